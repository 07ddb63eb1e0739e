"""Course authoring: ``certlab build`` (release/ through nbgrader), ``certlab lint`` (the course
rules, one function each in :mod:`~certlab.authoring.notebook_rules` and
:mod:`~certlab.authoring.bank_rules`) and :class:`~certlab.authoring.builder.NotebookBuilder`."""
