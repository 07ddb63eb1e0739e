"""Item banks, one YAML file per exam (``<exam-id>.yml``): the multiple-choice part of the mock
exams, from which ``certlab exam start`` draws timed forms. The format is described in
:mod:`certlab.bank`; ``certlab lint`` checks every bank here."""
