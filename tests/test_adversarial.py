"""Can a broken or hostile submission earn points it did not earn, stop a grading run, or damage
the gradebook? Each corpus case is one learner of a cohort graded in one `certlab grade` run."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from traitlets.config import Config

from certlab.grading.integrity import flagged_students, scan
from certlab.grading.pool import grade
from certlab.grading.sandbox import kernel_config, network_isolation_available, sandboxed

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("adversarial")]

TINY = Path(__file__).parent / "fixtures" / "tiny_course"
# Kernels get a network namespace of their own where the platform allows one (Linux, as root or
# with unprivileged user namespaces); the network cases need it.
NETWORK_ISOLATED = network_isolation_available()
RIGHT = {
    "double": "def double(x):\n    return 2 * x",
    "mean": "def mean(v):\n    return float(np.sum(v) / len(v))",
    "mse": "def mse(y, p):\n    return float(np.mean((np.asarray(y) - np.asarray(p)) ** 2))",
    "minmax": "def minmax(v):\n    v = np.asarray(v, dtype=float)\n    return (v - v.min()) / (v.max() - v.min())",
}
# Wrong answers that only pass when the checks are disabled.
WRONG = {
    "double": "def double(x):\n    return 0",
    "mean": "def mean(v):\n    return 0.0",
    "mse": "def mse(y, p):\n    return 0.0",
    "minmax": "def minmax(v):\n    return np.zeros(len(v))",
}


def release() -> dict:
    return json.loads((TINY / "release/01_tiny/01_tiny.ipynb").read_text())


def with_answers(answers: dict[str, str], first_extra: str = "") -> dict:
    nb = release()
    first = True
    for cell in nb["cells"]:
        ex = cell["metadata"].get("certlab", {}).get("exercise")
        if ex and cell["metadata"].get("nbgrader", {}).get("solution"):
            body = answers.get(ex, cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"]))
            cell["source"] = (first_extra + "\n" + body) if first and first_extra else body
            first = False
    return nb


def edit_tests(nb: dict, change) -> dict:
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade") and cell["cell_type"] == "code":
            change(cell)
    return nb


def cheat(code: str) -> dict:
    """Wrong answers plus a first answer cell that disables the checks."""
    return with_answers(WRONG, first_extra=code)


@dataclass
class Case:
    name: str
    files: dict  # file name -> notebook dict, or bytes/str for raw content
    max_points: float = 0.0
    min_points: float = 0.0
    flagged: bool = False
    may_fail: bool = False  # the pair may end as a reported failure (score 0)


def nb_file(nb: dict) -> dict:
    return {"01_tiny.ipynb": nb}


def duplicated_ids() -> dict:
    nb = with_answers(RIGHT)
    nb["cells"][1]["id"] = nb["cells"][0]["id"]
    return nb


def reordered() -> dict:
    nb = with_answers({})
    tests = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    nb["cells"] = tests + [c for c in nb["cells"] if c not in tests]
    return nb


def network_case() -> Case:
    """Every answer cell fetches the right code from a server on the grader's loopback."""
    fetch = {
        ex: "import os, sys, tempfile, urllib.request\n"
        f"url = 'http://127.0.0.1:' + os.environ['ANSWER_SERVER_PORT'] + '/{ex}'\n"
        "folder = tempfile.mkdtemp()\n"
        f"with open(os.path.join(folder, 'fetched_{ex}.py'), 'w') as f:\n"
        "    f.write(urllib.request.urlopen(url, timeout=5).read().decode())\n"
        "sys.path.insert(0, folder)\n"
        f"from fetched_{ex} import {ex}"
        for ex in RIGHT
    }
    return Case("fetches_answers_over_the_network", nb_file(with_answers(fetch)))


CASES = [
    Case("honest_blank", nb_file(with_answers({}))),
    Case("honest_full", nb_file(with_answers(RIGHT)), max_points=7, min_points=7),
    Case(
        "infinite_loop", nb_file(with_answers({**RIGHT, "double": "while True:\n    pass"})), max_points=6, min_points=6
    ),
    Case(
        "memory_bomb",
        nb_file(with_answers({**RIGHT, "double": "hog = [bytearray(2**26) for _ in range(1000)]"})),
        max_points=6,
        may_fail=True,
    ),
    Case(
        "fork_bomb",
        nb_file(
            with_answers(
                {
                    **RIGHT,
                    "double": "import os, time\nwhile True:\n    if os.fork() == 0:\n        time.sleep(30)\n        os._exit(0)",
                }
            )
        ),
        max_points=6,
        may_fail=True,
    ),
    Case(
        "os_exit_kills_kernel",
        nb_file(with_answers({**RIGHT, "double": "import os\nos._exit(0)"})),
        max_points=6,
        may_fail=True,
    ),
    Case("sys_exit", nb_file(with_answers({**RIGHT, "double": "import sys\nsys.exit(1)"})), max_points=6, min_points=6),
    Case(
        "huge_output",
        nb_file(with_answers({**RIGHT, "double": RIGHT["double"] + "\nfor i in range(200000):\n    print('spam', i)"})),
        max_points=7,
        min_points=7,
    ),
    Case(
        "deleted_test_cells",
        nb_file(
            edit_tests(with_answers(WRONG), lambda c: c.update(cell_type="markdown", source="deleted", outputs=None))
        ),
    ),
    Case("test_cells_emptied", nb_file(edit_tests(with_answers(WRONG), lambda c: c.update(source="pass")))),
    Case(
        "hidden_tests_removed",
        nb_file(edit_tests(with_answers(WRONG), lambda c: c.update(source="# hidden tests were here"))),
    ),
    Case("reordered_cells", nb_file(reordered())),
    Case(
        "changed_grade_ids",
        nb_file(
            edit_tests(
                with_answers(WRONG),
                lambda c: (
                    c["metadata"]["nbgrader"].update(grade_id="x-" + c["metadata"]["nbgrader"]["grade_id"]),
                    c.update(source="pass"),
                ),
            )
        ),
        may_fail=True,  # nbgrader refuses the corrupted metadata: reported, scored 0
    ),
    Case(
        "inflated_points",
        nb_file(
            edit_tests(
                with_answers(WRONG), lambda c: (c["metadata"]["nbgrader"].update(points=100), c.update(source="pass"))
            )
        ),
    ),
    Case("duplicated_cell_ids", nb_file(duplicated_ids()), max_points=7, min_points=7),
    Case("malformed_json", {"01_tiny.ipynb": '{"cells": [ {'}, may_fail=True),
    Case("not_a_notebook", {"01_tiny.ipynb": b"\x89PNG\r\n\x1a\n\x00\x00"}, may_fail=True),
    Case("renamed_notebook", {"my_answers.ipynb": with_answers(RIGHT)}, may_fail=True),
    Case("empty_submission", {}, may_fail=True),
    Case("writes_outside_its_folder", nb_file(cheat("open('../../../planted.txt', 'w').write('x')")), flagged=True),
    Case(
        "reads_the_source_notebook",
        nb_file(cheat("src = open('../../../source/01_tiny/01_tiny.ipynb').read()")),
        flagged=True,
    ),
    Case(
        "patches_numpy",
        nb_file(cheat("np.isclose = lambda *a, **k: True\nnp.allclose = lambda *a, **k: True")),
        flagged=True,
    ),
    Case("patches_numpy_via_setattr", nb_file(cheat("setattr(np, 'isclose', lambda *a, **k: True)")), flagged=True),
    Case(
        "patches_builtins",
        nb_file(cheat("import builtins\nbuiltins.isinstance = lambda *a: True")),
        flagged=True,
        may_fail=True,
    ),
    Case(
        "edits_sys_modules",
        nb_file(cheat("import sys, types\nfake = types.ModuleType('numpy')\nsys.modules['numpy'] = fake")),
        flagged=True,
    ),
    Case(
        "swallows_errors_with_a_hook",
        nb_file(cheat("get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)")),
        flagged=True,
    ),
    *([network_case()] if NETWORK_ISOLATED else []),
    Case(
        "imports_the_answer_key_generator",
        nb_file(cheat("from certlab.datagen.capstone import held_out_labels\nkey = held_out_labels()")),
        flagged=True,
    ),
    Case(
        "reaches_the_generator_as_an_attribute",
        nb_file(
            cheat("import certlab\nimport certlab.datagen.capstone\nkey = certlab.datagen.capstone.held_out_labels()")
        ),
        flagged=True,
    ),
    Case(
        "hides_code_in_exec",
        nb_file(cheat("exec('import numpy\\nnumpy.isclose = lambda *a, **k: True')")),
        flagged=True,
    ),
]


def write_case(root: Path, case: Case) -> None:
    folder = root / "submitted" / case.name / "01_tiny"
    folder.mkdir(parents=True)
    for name, content in case.files.items():
        if isinstance(content, dict):
            (folder / name).write_text(json.dumps(content, indent=1))
        elif isinstance(content, bytes):
            (folder / name).write_bytes(content)
        else:
            (folder / name).write_text(content)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    import shutil

    root = tmp_path_factory.mktemp("corpus")
    for name in ("course.yml", "source", "release"):
        src = TINY / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, root / name)
    shutil.copy2(Path(__file__).parent.parent / "nbgrader_config.py", root / "nbgrader_config.py")
    for case in CASES:
        write_case(root, case)
    with answer_server() as port:
        os.environ.update(CERTLAB_SANDBOX_MEMORY="768M", ANSWER_SERVER_PORT=str(port))
        try:
            run = grade(root, jobs=2, cell_timeout=10, notebook_timeout=120)
        finally:
            os.environ.pop("CERTLAB_SANDBOX_MEMORY", None)
            os.environ.pop("ANSWER_SERVER_PORT", None)
    return root, {r.student: r for r in run.graded}


@contextlib.contextmanager
def answer_server():
    """An HTTP server on this machine's loopback that hands out the right answers."""

    class Answers(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            answer = RIGHT.get(self.path.strip("/"))
            body = f"import numpy as np\n{answer}\n".encode() if answer else b""
            self.send_response(200 if body else 404)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_corpus_has_twenty_cases():
    assert len(CASES) >= 20 and len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_grades_to_its_expected_outcome(corpus, case):
    """Does the case get what it earned, and no more than an honest blank when it cheats?"""
    _, results = corpus
    r = results[case.name]
    if r.error:
        assert case.may_fail, f"unexpected failure: {r.error}"
        assert r.score == 0
    assert case.min_points <= r.score <= case.max_points, (r.score, r.error, r.flags)
    assert bool(r.flags) == case.flagged, r.flags


def test_gradebook_has_one_row_per_submission(corpus):
    """After the whole corpus, is there exactly one submission row per learner, and is nothing
    planted next to the course?"""
    from nbgrader.api import Gradebook

    root, results = corpus
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        rows = [(s.student.id, s.assignment.name) for a in gb.assignments for s in a.submissions]
    assert sorted(rows) == sorted((c.name, "01_tiny") for c in CASES)
    flagged = {s for s, _ in flagged_students(f"sqlite:///{root / 'gradebook.db'}")}
    assert flagged == {c.name for c in CASES if c.flagged}


def test_rerun_after_the_corpus_changes_nothing(corpus):
    """Is the corpus fully graded, so that a rerun has nothing to do except retry failures?"""
    root, results = corpus
    again = grade(root, jobs=2, cell_timeout=10, notebook_timeout=120)
    failed_before = {s for s, r in results.items() if r.error}
    assert {r.student for r in again.graded} == failed_before


def test_integrity_scan_leaves_honest_code_alone():
    """Does the scan stay quiet on ordinary answers (imports, local variables, files in tmp)?"""
    nb = nbformat.reads(
        json.dumps(
            with_answers(
                {
                    **RIGHT,
                    "double": "import tempfile, os\nimport numpy as np\nx = np.zeros(3)\nx[0] = 1\nwith tempfile.TemporaryDirectory() as d:\n    open(os.path.join(d, 'a.txt'), 'w').write('ok')\ndef double(x):\n    return 2 * x",
                }
            )
        ),
        as_version=4,
    )
    assert scan(nb) == []


def run_cells(sources: list[str], timeout: int, memory: str | None = None):
    import tempfile

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    with sandboxed(memory=memory), tempfile.TemporaryDirectory() as work:
        config = Config(kernel_config())
        client = NotebookClient(
            nb,
            kernel_name="python3",
            timeout=timeout,
            allow_errors=True,
            config=config,
            resources={"metadata": {"path": work}},
        )
        client.execute()
    return nb


def cell_text(nb, index: int = 0) -> str:
    return "".join(o.get("text", "") + o.get("evalue", "") for o in nb.cells[index].outputs)


@pytest.mark.skipif(not NETWORK_ISOLATED, reason="no network namespaces on this platform")
def test_kernel_cannot_reach_the_graders_network(monkeypatch):
    """Is a server on the grader's loopback out of a sandboxed kernel's reach, while servers the
    kernel starts itself still work? With the network allowed, the same cell reaches it."""
    code = (
        "import os, urllib.request, http.server, threading\n"
        "try:\n"
        "    print(urllib.request.urlopen('http://127.0.0.1:' + os.environ['ANSWER_SERVER_PORT'] + '/double', timeout=5).read().decode())\n"
        "except OSError as e:\n"
        "    print('unreachable:', type(e).__name__)\n"
        "own = http.server.HTTPServer(('127.0.0.1', 0), http.server.SimpleHTTPRequestHandler)\n"
        "threading.Thread(target=own.handle_request, daemon=True).start()\n"
        "print('own server:', urllib.request.urlopen(f'http://127.0.0.1:{own.server_port}/', timeout=5).status)"
    )
    with answer_server() as port:
        monkeypatch.setenv("ANSWER_SERVER_PORT", str(port))
        isolated = cell_text(run_cells([code], timeout=30))
        monkeypatch.setenv("CERTLAB_SANDBOX_NETWORK", "on")
        open_net = cell_text(run_cells([code], timeout=30))
    assert "unreachable: URLError" in isolated and "own server: 200" in isolated, isolated
    assert "def double" in open_net and "own server: 200" in open_net, open_net


def test_memory_bomb_stops_at_the_limit():
    """Under a 400 MB limit, does 100 MB work and does a 2 GB allocation end the kernel?"""
    nb = run_cells(
        ["a = bytearray(100 * 2**20); a[::4096] = b'1' * len(a[::4096]); print('ok')"], timeout=60, memory="400M"
    )
    assert "ok" in nb.cells[0].outputs[0]["text"]
    with pytest.raises(DeadKernelError):
        run_cells(["b = bytearray(2 * 2**30); b[::4096] = b'1' * len(b[::4096])"], timeout=60, memory="400M")


def test_runaway_cell_stops_at_the_timeout():
    """Is an endless loop stopped by the cell timeout?"""
    import tempfile

    with pytest.raises(CellTimeoutError):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("while True:\n    pass")])
        with sandboxed(), tempfile.TemporaryDirectory() as work:
            config = Config(kernel_config())
            resources = {"metadata": {"path": work}}
            NotebookClient(
                nb, kernel_name="python3", timeout=3, allow_errors=False, config=config, resources=resources
            ).execute()
