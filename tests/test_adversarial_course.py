"""Can a determined student fool `certlab grade` on a real assignment of the course?

A copy of the course holds 02_linear_algebra (source, release, data) and one submission per
cheat, graded in one `certlab grade` run next to an honest reference. Every cheat starts from the
release stub (an honest score of 0) and adds code to its first answer cell (one cheat adds cells
of its own around every test cell instead). The cheats are the ones that beat the grader before
it had namespaces and canaries: execution transformers, hooks and patches reached without any
name a scanner knows, reading solutions, hidden tests or a classmate's work through any API,
writing the gradebook, killing the parent, a symbolic link for nbgrader to write through. A positive control grades the file-reading cheats without the sandbox
and sees them earn points, so the corpus is known to bite.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from certlab.grading.integrity import flagged_students
from certlab.grading.pool import grade

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("adversarial_course")]

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = "02_linear_algebra"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"

# Runs the solution regions (or, for a student notebook, the answer cells) of every notebook it
# can find through `finder`, with runpy, and keeps what they define.
HARVEST = """
import json as _json, os as _os, runpy as _runpy, tempfile as _tempfile
def _harvest(finder):
    global _seen
    if "_seen" not in globals():  # every answer cell runs this: search once, define again
        _seen = list(finder())
    for _p in _seen:
        try:
            _cells = _json.loads(open(_p).read())["cells"]
        except Exception:
            continue
        for _c in _cells:
            _src = "".join(_c["source"]) if isinstance(_c["source"], list) else _c["source"]
            _meta = _c.get("metadata", {}).get("nbgrader", {})
            if _c["cell_type"] != "code" or not _meta.get("solution") or _meta.get("grade"):
                continue
            if "NotImplementedError" in _src:
                continue
            _f = _os.path.join(_tempfile.mkdtemp(), "a.py")
            open(_f, "w").write("import numpy as np\\n" + _src)
            try:
                globals().update({k: v for k, v in _runpy.run_path(_f).items() if not k.startswith("__")})
            except Exception:
                pass
"""
PARENTS = "[_os.path.dirname(_os.getcwd())] + [_os.path.abspath(_os.path.join(_os.getcwd(), *['..'] * i)) for i in range(2, 6)]"

CHEATS = {
    # Execution transformers: every later cell (test cells included) is blanked or wrapped.
    "input_transformer_blanks_cells": "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])",
    "ast_transformer_swallows_errors": (
        "import ast\n"
        "class _Wrap(ast.NodeTransformer):\n"
        "    def visit_Module(self, node):\n"
        "        h = ast.ExceptHandler(type=ast.Name('BaseException', ast.Load()), name=None, body=[ast.Pass()])\n"
        "        node.body = [ast.Try(body=node.body or [ast.Pass()], handlers=[h], orelse=[], finalbody=[])]\n"
        "        return ast.fix_missing_locations(node)\n"
        "get_ipython().ast_transformers.append(_Wrap())"
    ),
    "exception_hook_by_a_built_name": (
        "getattr(get_ipython(), 'set_' + 'custom' + '_exc')((BaseException,), lambda *a, **k: None)"
    ),
    "patches_numpy_through_importlib": (
        "import importlib\n"
        "_t = importlib.import_module('numpy.testing')\n"
        "_t.__dict__['assert_allclose'] = lambda *a, **k: None\n"
        "_n = importlib.import_module('num' + 'py')\n"
        "_n.__dict__['allclose'] = lambda *a, **k: True\n"
        "_n.__dict__['isclose'] = lambda *a, **k: True"
    ),
    "replaces_run_cell_through_the_class": (
        "import importlib\n"
        "_cls = type(get_ipython())\n"
        "_orig = _cls.run_cell\n"
        "def _quiet(self, raw_cell, *a, **k):\n"
        "    return _orig(self, 'pass', *a, **k)\n"
        "_cls.run_cell = _quiet\n"
        "_orig_async = _cls.run_cell_async\n"
        "async def _quiet_async(self, raw_cell, *a, **k):\n"
        "    return await _orig_async(self, 'pass', *a, **k)\n"
        "_cls.run_cell_async = _quiet_async"
    ),
    # Reading what the kernel must not see.
    "reads_solutions_with_pathlib": HARVEST
    + "import pathlib as _pl\n"
    + f"_harvest(lambda: [q for b in {PARENTS} for q in _pl.Path(b).glob('source/*/*.ipynb')])",
    "reads_solutions_with_scandir": HARVEST
    + "def _walk(d, depth):\n"
    + "    try:\n"
    + "        entries = list(_os.scandir(d))\n"
    + "    except OSError:\n"
    + "        return []\n"
    + "    found = [e.path for e in entries if e.name.endswith('.ipynb') and 'source' in e.path]\n"
    + "    for e in entries:\n"
    + "        if depth and e.is_dir(follow_symlinks=False) and e.name not in ('proc', 'sys', 'usr', 'dev'):\n"
    + "            found += _walk(e.path, depth - 1)\n"
    + "    return found\n"
    + "_harvest(lambda: _walk('/', 7))",
    "reads_solutions_with_subprocess": HARVEST
    + "import subprocess as _sp\n"
    + "_harvest(lambda: _sp.run(['sh', '-c', \"find / -maxdepth 8 -name '*.ipynb' -not -path '/proc/*' "
    + "-not -path '/usr/*' -not -path '/sys/*' 2>/dev/null\"], capture_output=True, text=True).stdout.split())",
    "copies_a_classmate": HARVEST
    + "import glob as _glob\n"
    + f"_harvest(lambda: [q for b in {PARENTS} for q in _glob.glob(b + '/submitted/*/{ASSIGNMENT}/*.ipynb')])",
    "reads_hidden_tests_from_the_gradebook": (
        "import os, sqlite3, glob\n"
        f"_dbs = [q for b in {PARENTS.replace('_os', 'os')} for q in glob.glob(b + '/gradebook.db')]\n"
        "_leak = []\n"
        "for _db in _dbs:\n"
        "    _leak += sqlite3.connect(_db).execute('select source from source_cell').fetchall()\n"
        "print('hidden tests read:', len(_leak))"
    ),
    "wipes_the_gradebook": (
        "import os, sqlite3, glob\n"
        f"for _db in [q for b in {PARENTS.replace('_os', 'os')} for q in glob.glob(b + '/gradebook.db')]:\n"
        "    _c = sqlite3.connect(_db)\n"
        "    _c.execute('update grade set manual_score = 0')\n"
        "    _c.commit()"
    ),
    "plants_a_link_for_nbgrader_to_write_through": (
        f"import os\nos.remove('{NOTEBOOK}')\nos.symlink('../../reference/{ASSIGNMENT}/{NOTEBOOK}', '{NOTEBOOK}')"
    ),
    # In cells the student adds (no nbgrader metadata) around each test cell: before it, a
    # transformer that blanks every cell; after it, a cell the transformer spares removes it.
    "blanks_each_test_from_added_cells": (
        "def _blank(lines):\n"
        "    return lines if any('_restore' in line for line in lines) else ['pass\\n']\n"
        "get_ipython().input_transformers_post.append(_blank)",
        "_restore = [t for t in get_ipython().input_transformers_post if t.__name__ == '_blank']\n"
        "for _t in _restore:\n"
        "    get_ipython().input_transformers_post.remove(_t)",
    ),
    "kills_its_parent_and_everything_it_can": (
        "import os, signal\n"
        "os.kill(os.getppid(), signal.SIGKILL)\n"
        "try:\n"
        "    os.kill(-1, signal.SIGKILL)\n"
        "except OSError:\n"
        "    pass"
    ),
}
# Caught at run time: a canary passes after these. (A custom exception handler earns nothing to
# begin with: the kernel still replies "error", and nbgrader records that as a failed cell.)
TAMPERING = {
    "input_transformer_blanks_cells",
    "blanks_each_test_from_added_cells",
    "ast_transformer_swallows_errors",
    "patches_numpy_through_importlib",
    "replaces_run_cell_through_the_class",
}
FILE_CHEATS = ("reads_solutions_with_pathlib", "copies_a_classmate")
# Cheats that bring in answers from files: they fill every answer cell.
FINDERS = {
    "reads_solutions_with_pathlib",
    "reads_solutions_with_scandir",
    "reads_solutions_with_subprocess",
    "copies_a_classmate",
}


def every_answer_is(nb: dict, code: str) -> dict:
    """Every answer cell holds ``code`` only (so no stub redefines what the cheat brought in)."""
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if cell["cell_type"] == "code" and meta.get("solution") and not meta.get("grade"):
            cell["source"] = code
    return nb


# Cheats that run from cells of their own, added before every test cell.
ADDED_CELLS = {"blanks_each_test_from_added_cells"}


def around_every_test(nb: dict, code: tuple[str, str]) -> dict:
    """New code cells (no nbgrader metadata, as a student's added cells) before and after every
    test cell."""
    nb = json.loads(json.dumps(nb))
    cells = []
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        test = cell["cell_type"] == "code" and meta.get("grade") and not meta.get("solution")
        if test:
            cells.append(
                {"cell_type": "code", "metadata": {}, "source": code[0], "outputs": [], "execution_count": None}
            )
        cells.append(cell)
        if test:
            cells.append(
                {"cell_type": "code", "metadata": {}, "source": code[1], "outputs": [], "execution_count": None}
            )
    nb["cells"] = cells
    return nb


def cheat_notebook(stub: dict, name: str) -> dict:
    if name in FINDERS:
        return every_answer_is(stub, CHEATS[name])
    if name in ADDED_CELLS:
        return around_every_test(stub, CHEATS[name])
    return first_answer_with(stub, CHEATS[name])


def first_answer_with(nb: dict, code: str) -> dict:
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if cell["cell_type"] == "code" and meta.get("solution") and not meta.get("grade"):
            body = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = code + "\n\n" + body
            return nb
    raise AssertionError("no answer cell")


def make_course(root: Path, students: dict[str, dict]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name in ("course.yml", "nbgrader_config.py"):
        shutil.copy2(REPO / name, root / name)
    for folder in ("source", "release"):
        shutil.copytree(REPO / folder / ASSIGNMENT, root / folder / ASSIGNMENT)
    shutil.copytree(REPO / "data", root / "data")
    for student, nb in students.items():
        dest = root / "submitted" / student / ASSIGNMENT
        dest.mkdir(parents=True)
        (dest / NOTEBOOK).write_text(json.dumps(nb, indent=1))
    return root


def notebooks() -> tuple[dict, dict]:
    reference = json.loads((REPO / "source" / ASSIGNMENT / NOTEBOOK).read_text())
    stub = json.loads((REPO / "release" / ASSIGNMENT / NOTEBOOK).read_text())
    return reference, stub


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    reference, stub = notebooks()
    students = {"reference": reference, "stub": stub}
    students.update({name: cheat_notebook(stub, name) for name in CHEATS})
    root = make_course(tmp_path_factory.mktemp("course"), students)
    run = grade(root, jobs=2, cell_timeout=60, notebook_timeout=300)
    return root, {r.student: r for r in run.graded}


def test_reference_keeps_full_marks_in_the_same_run(graded):
    """Does the honest reference, graded beside every cheat, keep all its points?"""
    root, results = graded
    r = results["reference"]
    assert r.error is None and r.max_score > 0 and r.score == r.max_score, (r.score, r.max_score, r.error, r.flags)
    assert not r.flags


@pytest.mark.parametrize("cheat", sorted(CHEATS))
def test_cheat_earns_nothing(graded, cheat):
    """Does each cheat score what the blank stub scores (nothing), whatever it reached for?"""
    _, results = graded
    assert results["stub"].score == 0
    r = results[cheat]
    assert r.score == 0, (cheat, r.score, r.flags, r.error)


@pytest.mark.parametrize("cheat", sorted(TAMPERING))
def test_tampering_is_caught_and_explained(graded, cheat):
    """Is every execution cheat flagged at run time, with the reason in the gradebook?"""
    root, results = graded
    assert any("tampered" in f for f in results[cheat].flags), results[cheat].flags
    notes = flagged_students(f"sqlite:///{root / 'gradebook.db'}")
    assert any("tampered" in n for n in notes[(cheat, ASSIGNMENT)])


def test_one_row_per_submission_and_the_gradebook_intact(graded):
    """Does every submission have exactly one gradebook row, with the reference's grades intact,
    and did nothing write through a planted link?"""
    from nbgrader.api import Gradebook

    root, results = graded
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        rows = [s.student.id for s in gb.assignment_submissions(ASSIGNMENT)]
        reference = gb.find_submission(ASSIGNMENT, "reference")
        assert reference.score == reference.max_score > 0
    assert sorted(rows) == sorted(["reference", "stub", *CHEATS])
    planted = root / "autograded" / "plants_a_link_for_nbgrader_to_write_through" / ASSIGNMENT / NOTEBOOK
    assert not planted.is_symlink()
    ref_nb = json.loads((root / "autograded" / "reference" / ASSIGNMENT / NOTEBOOK).read_text())
    assert ref_nb["cells"], "the reference's autograded notebook was overwritten"


def test_the_file_cheats_work_without_the_sandbox(tmp_path):
    """Positive control: without the sandbox, do the file-reading cheats earn points? (So the
    corpus cheats for real, and the sandbox is what stops them.)"""
    reference, stub = notebooks()
    students = {"reference": reference, **{c: cheat_notebook(stub, c) for c in FILE_CHEATS}}
    root = make_course(tmp_path / "course", students)
    run = grade(root, jobs=2, cell_timeout=60, notebook_timeout=300, sandbox=False)
    scores = {r.student: r.score for r in run.graded}
    assert all(scores[c] > 0 for c in FILE_CHEATS), scores
