"""Warm kernels (certlab/grading/warm.py): forked from one template, yet apart.

Submissions are graded one after another in a scratch course of 02_linear_algebra, so that the
same template forks every kernel. The first submission leaves every trace it can (a module
attribute, a patched ``numpy.testing``, an IPython start-up file in its home, files in /tmp,
/dev/shm, its folder and the folder above, a process that keeps running); the next one looks
for each of them.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import numpy as np
import pytest

import certlab.grading.warm as warm
from certlab.errors import CertlabError
from certlab.grading import ScratchCourse, reference_notebook, release_notebook
from certlab.grading.sandbox import isolation_problem
from certlab.notebooks import is_answer, read_notebook


def sandboxed_test(test):
    """Slow, and only where kernels can be isolated (warm kernels need bubblewrap)."""
    test = pytest.mark.skipif(isolation_problem() is not None, reason="warm kernels need bubblewrap")(test)
    return pytest.mark.slow(test)


ASSIGNMENT = "02_linear_algebra"

LEAVE_TRACES = """
import json as _json, os as _os, subprocess as _sp
import numpy as _np
_np._certlab_probe = "first"
_np.testing.assert_allclose = lambda *a, **k: None
_start = _os.path.expanduser("~/.ipython/profile_default/startup")
_os.makedirs(_start, exist_ok=True)
with open(_os.path.join(_start, "00-patch.py"), "w") as _f:
    _f.write("import numpy\\nnumpy.testing.assert_allclose = lambda *a, **k: None\\n")
for _p in ("/tmp/probe", "/dev/shm/probe", "probe", "../../probe"):
    with open(_p, "w") as _f:
        _f.write("first")
_sp.Popen(["sleep", "600"], start_new_session=True)
try:
    open("/probe", "w").close()
    _root = True
except OSError:
    _root = False
print("PROBE", _json.dumps({"ppid": _os.getppid(), "root_writable": _root}))
"""

LOOK_FOR_TRACES = """
import json as _json, os as _os
import numpy as _np
_me = {_os.getpid(), _os.getppid(), 1}
print("PROBE", _json.dumps({
    "ppid": _os.getppid(),
    "module_attribute": hasattr(_np, "_certlab_probe"),
    "assert_allclose_module": _np.testing.assert_allclose.__module__,
    "files": [_p for _p in ("/tmp/probe", "/dev/shm/probe", "probe", "../../probe",
              _os.path.expanduser("~/.ipython/profile_default/startup/00-patch.py")) if _os.path.exists(_p)],
    "other_processes": [_p for _p in _os.listdir("/proc") if _p.isdigit() and int(_p) not in _me],
}))
"""


def _with_probe(notebooks: dict, probe: str, before: bool) -> dict:
    """The notebooks with ``probe`` added to the first answer cell (before or after its code)."""
    out = {}
    for name, nb in notebooks.items():
        nb = nbformat.from_dict(nb)
        cell = next(c for c in nb.cells if is_answer(c))
        cell.source = probe + "\n" + cell.source if before else cell.source + "\n" + probe
        out[name] = nb
    return out


def _probe_output(path: Path) -> dict:
    for cell in read_notebook(path).cells:
        for out in cell.get("outputs", []):
            for line in out.get("text", "").splitlines():
                if line.startswith("PROBE "):
                    return json.loads(line[len("PROBE ") :])
    raise AssertionError(f"no probe output in {path}")


@pytest.fixture(scope="module")
def scratch(repo_course):
    warm.close_templates()
    with ScratchCourse(repo_course, ASSIGNMENT) as course:
        yield course
    warm.close_templates()


@sandboxed_test
def test_two_submissions_from_one_template_see_nothing_of_each_other(repo_course, scratch):
    before = dict(warm.STATS)
    reference = reference_notebook(repo_course, ASSIGNMENT)
    stub = release_notebook(repo_course, ASSIGNMENT)
    [first] = scratch.grade("first", _with_probe(reference, LEAVE_TRACES, before=False))
    [second] = scratch.grade("second", _with_probe(stub, LOOK_FOR_TRACES, before=True))
    left, seen = _probe_output(first.autograded_path), _probe_output(second.autograded_path)

    assert warm.STATS["forked"] - before.get("forked", 0) == 2, "both kernels should come from a template"
    assert warm.STATS["templates"] - before.get("templates", 0) <= 1
    assert seen["ppid"] == left["ppid"], "the two kernels should be children of the same template"
    assert not left["root_writable"], "a warm kernel must not be able to write outside its folders"
    assert not seen["module_attribute"], "a module attribute set by the first kernel reached the second"
    assert seen["assert_allclose_module"] == np.testing.assert_allclose.__module__, "numpy.testing stayed patched"
    assert seen["files"] == [], f"files of the first kernel survived: {seen['files']}"
    assert seen["other_processes"] == [], "a process started by the first kernel still runs"
    # The stub still scores nothing: the first kernel's patches did not pass its tests.
    assert second.score == 0 and second.flags == []


@sandboxed_test
def test_a_kernel_that_kills_its_template_costs_only_itself(repo_course, scratch):
    stub = release_notebook(repo_course, ASSIGNMENT)
    killer = _with_probe(stub, "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)", before=True)
    try:
        [dead] = scratch.grade("killer", killer)
    except CertlabError:
        pass  # nbgrader may give up on the notebook: a failure of this submission only
    else:
        assert dead.score == 0
    # Counted after the killer, not before: under xdist this test may run in a worker where no
    # other test of this module has started the template yet, so the killer's grading starts one.
    templates, forked = warm.STATS["templates"], warm.STATS["forked"]
    [honest] = scratch.grade("honest", reference_notebook(repo_course, ASSIGNMENT))
    assert honest.score == honest.max_score > 0
    assert warm.STATS["templates"] == templates + 1, "a fresh template should replace the killed one"
    assert warm.STATS["forked"] == forked + 1, "the honest submission should still get a warm kernel"


@sandboxed_test
def test_warm_and_cold_kernels_write_the_same_notebook(repo_course, scratch, monkeypatch):
    reference = reference_notebook(repo_course, ASSIGNMENT)
    outputs = {}
    for mode in ("0", "1"):
        monkeypatch.setenv("CERTLAB_WARM", mode)
        forked = warm.STATS["forked"]
        [scores] = scratch.grade(f"mode{mode}", reference)
        assert (warm.STATS["forked"] > forked) == (mode == "1")
        nb = read_notebook(scores.autograded_path)
        outputs[mode] = (scores.score, [c.get("outputs") for c in nb.cells if c.cell_type == "code"])
    assert outputs["1"] == outputs["0"]
    # ... although the warm kernel found the tests' imports done (they are in hidden test cells).
    probe = (
        'import json as _j, sys as _s\nprint("PROBE", _j.dumps({"preloaded": "sklearn.linear_model" in _s.modules}))'
    )
    monkeypatch.setenv("CERTLAB_WARM", "1")
    [probed] = scratch.grade("preload", _with_probe(reference, probe, before=True))
    assert _probe_output(probed.autograded_path) == {"preloaded": True}


def test_preload_takes_the_imports_of_the_instructors_cells_only():
    def cell(source: str, **nbgrader):
        c = nbformat.v4.new_code_cell(source)
        c.metadata["nbgrader"] = nbgrader
        return c

    nb = nbformat.v4.new_notebook(
        cells=[
            cell("import numpy as np", locked=True, grade_id="setup"),
            cell("import sympy\nfrom os import path", locked=False, grade_id="answer", solution=True),
            cell("import json", locked=True),  # no grade id: a learner's cell marked locked
            cell(
                "def _check():\n    from scipy import stats\n    import sklearn.metrics as m\nfrom . import x",
                locked=True,
                grade_id="tests",
                grade=True,
            ),
            cell("import email  # not parsed", locked=True, grade_id="bad"),
        ]
    )
    nb.cells[-1].source += "\ndef ("
    assert warm.preload_modules(nb) == ("numpy", "scipy", "scipy:stats", "sklearn.metrics")
    assert warm.warmup(nb) == (("import numpy as np",), ("numpy", "scipy", "scipy:stats", "sklearn.metrics"))
    # From the instructor's source notebook: every code cell but the solutions (whose imports a
    # learner could read from sys.modules), plain demo cells included.
    source = nbformat.v4.new_notebook(
        cells=[
            cell("import numpy as np", locked=True, grade_id="setup"),
            cell("from scipy.optimize import minimize", solution=True, grade_id="answer"),
            nbformat.v4.new_code_cell("import transformers"),
        ]
    )
    assert warm.source_modules(source) == ("numpy", "transformers")
    assert warm.warmup(nb, source)[1] == ("numpy", "scipy", "scipy:stats", "sklearn.metrics", "transformers")


def test_setup_statements_take_only_the_leading_imports():
    def notebook(source: str, locked: bool = True, grade_id: str | None = "setup"):
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["nbgrader"] = {"locked": locked, **({"grade_id": grade_id} if grade_id else {})}
        return nbformat.v4.new_notebook(cells=[cell])

    source = (
        "# Setup\nimport os\n"
        'os.environ["HF_HUB_OFFLINE"] = "1"\n'
        'os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")\n'
        "import numpy as np\nfrom sklearn.svm import SVC\n"
        "SEED = 42\nimport pandas as pd\n"
    )
    assert warm.setup_statements(notebook(source)) == (
        "import os",
        'os.environ["HF_HUB_OFFLINE"] = "1"',
        'os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")',
        "import numpy as np",
        "from sklearn.svm import SVC",
    )
    # A cell a learner could have written warms nothing up; neither does code with side effects.
    assert warm.setup_statements(notebook(source, locked=False)) == ()
    # Marked locked by hand, without a grade id nbgrader knows (OverwriteCells removes unknown ones).
    assert warm.setup_statements(notebook(source, grade_id=None)) == ()
    assert warm.setup_statements(notebook("print('hi')\nimport numpy")) == ()
    assert warm.setup_statements(notebook("os.environ['X'] = compute()\nimport numpy")) == ()
    assert warm.setup_statements(notebook("from . import local")) == ()
