"""nbgrader configuration for the certlab course.

nbgrader reads this file from the course root for every command (generate_assignment, validate,
autograde, the formgrader). certlab's own commands load it too, so both give the same grades.
"""

import os

# TensorFlow and absl write C++ log lines to stderr at import; keep them out of kernels started
# by nbgrader (the kernel inherits this process's environment) ...
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# OpenMP threads that spin while waiting stall badly when kernels share cores (parallel grading,
# Binder's single CPU): KMeans went from 0.3 s to 34 s. Waiting threads should sleep instead.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

c = get_config()  # noqa: F821 - injected by traitlets when it loads this file

c.CourseDirectory.course_id = "certlab"
# The default gradebook is SQLite at the course root; a shared course sets a PostgreSQL URL here,
# e.g. "postgresql://user@host/certlab".
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(os.path.dirname(os.path.abspath(__file__)), "gradebook.db")

# A cell may train a small network: the slowest reference cell takes well under a minute here,
# so 300 s catches a runaway loop without failing a slow laptop.
c.Execute.timeout = 300
c.Execute.interrupt_on_timeout = True

# Cap what a submission can print into its autograded notebook and feedback.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 40

# ... and drop any that still reach stderr (TensorFlow, absl, XLA, oneDNN, CUDA probing).
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = (
    r"(^|\n)(WARNING: All log messages before absl|[IWE]\d{4} \d\d:\d\d|"
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWE] tensorflow|oneDNN custom operations|"
    r"Unable to register cu(DNN|FFT|BLAS)|Could not find cuda drivers|"
    r"TF-TRT Warning|This TensorFlow binary is optimized)"
)

c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError()",
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Kernels started for grading: no history file, and no start-up chatter on stderr.
c.Execute.extra_arguments = ["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"]
