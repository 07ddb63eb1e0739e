"""Does the lab work in a real browser, as a learner and an instructor use it?

JupyterLab (with nbgrader's extension) serves a scratch copy of the course; Playwright drives
Debian's Chromium through a learner's session (run a release notebook and see the visible tests
fail on the stubs, paste a correct answer and see its test pass, press nbgrader's Validate) and
an instructor's (the formgrader lists the assignment), then runs the progress dashboard. Every
step saves a screenshot in tests/artifacts/. Needs /usr/bin/chromium (`make sysdeps`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ASSIGNMENT = "02_linear_algebra"
RELEASE_NOTEBOOK = f"release/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
SERVER_START_TIMEOUT = 120  # seconds; a busy 2-core machine needs most of a minute

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (scripts/sysdeps.sh installs it)"
    ),
]


@dataclass
class Lab:
    url: str
    token: str
    root: Path

    def lab_url(self, path: str, workspace: str) -> str:
        # A named, reset workspace per test: no tabs restored from an earlier test.
        return f"{self.url}/lab/workspaces/{workspace}/tree/{path}?reset&token={self.token}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def _scratch_course(root: Path) -> None:
    """The course files a learner's and an instructor's session need, and nothing else."""
    for name in ("course.yml", "nbgrader_config.py"):
        shutil.copy2(REPO / name, root / name)
    for folder in ("data", f"release/{ASSIGNMENT}", f"source/{ASSIGNMENT}", "notebooks"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))


def _scratch_home(home: Path) -> None:
    """A HOME with quiet, predictable JupyterLab settings and an nbgrader exchange of its own."""
    settings = home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab"
    # No news or update toasts over the screenshots (and no network calls).
    _write_json(
        settings / "apputils-extension" / "notification.jupyterlab-settings",
        {"fetchNews": "false", "checkForUpdates": False},
    )
    # Every cell stays in the page, so locators find cells that are scrolled out of view.
    _write_json(settings / "notebook-extension" / "tracker.jupyterlab-settings", {"windowingMode": "none"})
    exchange = home / "exchange"
    exchange.mkdir(mode=0o777)
    (home / ".jupyter" / "nbgrader_config.py").write_text(
        f"c = get_config()  # noqa: F821\nc.Exchange.root = {str(exchange)!r}\n", encoding="utf-8"
    )


def _server_env(home: Path, course: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON", "CERTLAB_"))}
    env.pop("MPLBACKEND", None)  # the kernel draws inline, as in a learner's lab
    bindir = os.path.dirname(sys.executable)
    env.update(
        HOME=str(home),
        CERTLAB_DATA=str(course / "data"),
        CERTLAB_STUDENT="learner",
        CERTLAB_THREADS="1",
        PATH=bindir + os.pathsep + env.get("PATH", ""),
    )
    return env


def _answers(status: str) -> bool:
    try:
        with urllib.request.urlopen(status, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server (it shuts its kernels down), then any of its children still running."""
    import psutil

    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        children = []
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    for child in children:
        try:
            child.kill()
        except psutil.Error:
            pass  # already gone


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on 127.0.0.1 with a token, serving a scratch course; always stopped afterwards."""
    course, home = tmp_path_factory.mktemp("course"), tmp_path_factory.mktemp("home")
    logs = tmp_path_factory.mktemp("logs")
    _scratch_course(course)
    _scratch_home(home)
    env = _server_env(home, course)
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        "--ServerApp.open_browser=False",
        f"--ServerApp.root_dir={course}",
    ]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    with contextlib.ExitStack() as stack:
        gen_log = stack.enter_context(open(logs / "generate.log", "w"))
        lab_log = stack.enter_context(open(logs / "lab.log", "w"))
        # The formgrader lists the assignments of the gradebook: generate 02 while the server starts.
        generate = subprocess.Popen(
            [sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force"],
            cwd=course,
            env=env,
            stdout=gen_log,
            stderr=subprocess.STDOUT,
        )
        stack.callback(lambda: generate.poll() is None and generate.kill())
        server = subprocess.Popen(
            cmd, cwd=course, env=env, stdout=lab_log, stderr=subprocess.STDOUT, start_new_session=True
        )
        stack.callback(_stop, server)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not _answers(f"{url}/api/status?token={token}"):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start:\n{(logs / 'lab.log').read_text()[-3000:]}")
            time.sleep(0.5)
        if generate.wait(timeout=SERVER_START_TIMEOUT) != 0:
            pytest.fail(f"nbgrader generate_assignment failed:\n{(logs / 'generate.log').read_text()[-3000:]}")
        yield Lab(url, token, course)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, lab):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(90_000)
    try:
        yield page
    finally:
        context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def open_notebook(page, lab: Lab, path: str, workspace: str) -> None:
    """Open a notebook and wait until its kernel has started and is idle."""
    page.goto(lab.lab_url(path, workspace))
    page.locator(".jp-StatusBar-TextItem", has_text="| Idle").first.wait_for()


def run_all_cells(page) -> None:
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()


def code_cell(page, source: str):
    """The code cell whose source (not its output) contains ``source``."""
    return page.locator(".jp-CodeCell").filter(has=page.locator(".jp-InputArea", has_text=source))


def output(page, text: str):
    """Cell outputs that contain ``text`` (a cell's source may contain it too)."""
    return page.locator(".jp-OutputArea-output", has_text=text)


def reference_answer(grade_id: str) -> str:
    """An answer cell's reference solution from source/, without nbgrader's solution markers."""
    nb = json.loads((REPO / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)
    return "\n".join(line for line in "".join(cell["source"]).splitlines() if "### " not in line)


def paste(editor, text: str) -> None:
    """Paste into a cell editor as the clipboard would (no typing, so no auto-indent)."""
    editor.click()
    editor.page.keyboard.press("Control+A")
    editor.evaluate(
        """(el, text) => {
            const data = new DataTransfer();
            data.setData("text/plain", text);
            el.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
        }""",
        text,
    )


def test_learner_runs_fixes_and_validates_a_notebook(page, lab):
    """Do the visible tests fail on the stubs, pass once an answer is right, and does nbgrader's
    Validate report the exercises still to do?"""
    from playwright.sync_api import expect

    open_notebook(page, lab, RELEASE_NOTEBOOK, "learner")
    norm_answer = code_cell(page, "def l2_norm(v):")
    norm_tests = code_cell(page, "assert isinstance(l2_norm(v), float)")
    cosine_tests = code_cell(page, "c = cosine_similarity(u, v)")

    run_all_cells(page)
    failure = norm_tests.locator(".jp-OutputArea-output", has_text="NotImplementedError")
    failure.wait_for()
    failure.scroll_into_view_if_needed()
    expect(norm_answer).to_contain_text("raise NotImplementedError()")
    shot(page, "01_stub_fails_visible_test.png")

    answer = reference_answer("a02-norm-answer")
    paste(norm_answer.locator(".cm-content"), answer)
    expect(norm_answer.locator(".cm-content")).to_have_text(re.compile(r"return float\(np\.sqrt"))
    shot(page, "02_answer_pasted.png")

    run_all_cells(page)
    # Run All stops at the next stub: cosine's test fails, so norm's test ran before it.
    cosine_tests.locator(".jp-OutputArea-output", has_text="NotImplementedError").wait_for()
    expect(norm_tests.locator(".jp-InputPrompt")).to_have_text(re.compile(r"\[\d+\]:"))
    expect(norm_tests.locator(".jp-OutputArea-output")).to_have_count(0)
    norm_answer.scroll_into_view_if_needed()
    shot(page, "03_visible_test_passes.png")

    page.locator(".validate-button").click()  # nbgrader's toolbar button: saves, then validates
    dialog = page.locator(".jp-Dialog", has_text="Validation Results")
    dialog.wait_for(timeout=180_000)
    expect(dialog.locator(".validation-failed")).to_be_visible()
    expect(dialog).to_contain_text("cosine_similarity(u, v)")
    expect(dialog).not_to_contain_text("assert isinstance(l2_norm(v), float)")
    shot(page, "04_validate_dialog.png")
    dialog.get_by_role("button", name="Ok").click()


def test_instructor_sees_the_assignment_in_the_formgrader(page, lab):
    """Does nbgrader's formgrader open and list the generated assignment?"""
    from playwright.sync_api import expect

    page.goto(f"{lab.url}/formgrader?token={lab.token}")
    expect(page.get_by_role("heading", name="Manage Assignments")).to_be_visible()
    row = page.locator("tr", has_text=ASSIGNMENT)
    row.wait_for()
    expect(page.get_by_text("does not exist and could not be created")).to_have_count(0)  # the exchange works
    shot(page, "05_formgrader_assignments.png")


def test_progress_dashboard_draws_its_charts(page, lab):
    """Does the dashboard run in the lab on an empty gradebook, say so, and draw its charts?"""
    from playwright.sync_api import expect

    open_notebook(page, lab, "notebooks/01_progress_dashboard.ipynb", "dashboard")
    run_all_cells(page)
    output(page, "Help used:").wait_for()  # the last cell's output
    expect(output(page, "No attempts yet")).to_be_visible()
    expect(output(page, "Traceback")).to_have_count(0)
    charts = page.locator(".jp-OutputArea-output img")
    expect(charts).to_have_count(2)
    sizes = charts.evaluate_all("imgs => imgs.map(img => [img.naturalWidth, img.naturalHeight])")
    assert all(w > 300 and h > 100 for w, h in sizes), sizes
    charts.nth(0).scroll_into_view_if_needed()
    shot(page, "06_dashboard_readiness_chart.png")
    charts.nth(1).scroll_into_view_if_needed()
    shot(page, "07_dashboard_domain_chart.png")
