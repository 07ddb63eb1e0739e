"""What a learner runs: ``certlab check`` (:mod:`~certlab.learner.check`), mock exams
(:mod:`~certlab.learner.exam`, :mod:`~certlab.learner.bank`, :mod:`~certlab.learner.form`),
hints and usage, mastery and readiness (:mod:`~certlab.learner.mastery`), reports, the cohort
view and the suggested pathway."""
