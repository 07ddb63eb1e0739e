"""Does the Check button work in a real JupyterLab, and does it say what `certlab check` says?

JupyterLab serves a folder holding a scratch copy of the course and, beside it, a notebook that is
not part of any course. The certlab extension is loaded as an installed package would load it: the
prebuilt assets of certlab/labextension/ from a Jupyter data folder, the server extension enabled
by jupyter-config/. Playwright drives Debian's Chromium: answer one exercise correctly and one
wrongly, press Check, read both results, open the hint of the wrong one, jump to its cell, and see
the progress panel change; then the same on the notebook outside the course. Every step saves a
screenshot in tests/artifacts/ (labext_*.png). Needs /usr/bin/chromium (`make sysdeps`).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_browser import (
    ASSIGNMENT,
    CHROMIUM,
    CHROMIUM_ARGS,
    RELEASE_NOTEBOOK,
    SERVER_START_TIMEOUT,
    Lab,
    _answers,
    _free_port,
    _scratch_course,
    _scratch_home,
    _server_env,
    _stop,
    code_cell,
    open_notebook,
    paste,
    reference_answer,
    shot,
)

REPO = Path(__file__).resolve().parent.parent
COURSE_NOTEBOOK = f"course/{RELEASE_NOTEBOOK}"
OUTSIDE_NOTEBOOK = "elsewhere/my_linear_algebra.ipynb"
CHECK_TIMEOUT = 240_000  # ms: a check takes about 8 s on a quiet 2-core machine

WRONG_COSINE = """def cosine_similarity(u, v):
    u, v = np.asarray(u, dtype=float), np.asarray(v, dtype=float)
    if not u.any() or not v.any():
        raise ValueError("zero vector")
    return float(u @ v / np.sqrt(u @ u))"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.xdist_group("labext"),
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (scripts/sysdeps.sh installs it)"
    ),
]


def _installed_extension(data: Path) -> None:
    """A Jupyter data folder where JupyterLab finds the prebuilt extension, as pip installs it."""
    dest = data / "labextensions" / "certlab-labextension"
    dest.parent.mkdir(parents=True)
    dest.symlink_to(REPO / "certlab" / "labextension", target_is_directory=True)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab with the certlab extension on 127.0.0.1, serving course/ and elsewhere/."""
    root, home = tmp_path_factory.mktemp("labext"), tmp_path_factory.mktemp("home")
    logs, data = tmp_path_factory.mktemp("logs"), tmp_path_factory.mktemp("jupyter-data")
    course = root / "course"
    course.mkdir()
    _scratch_course(course)
    (root / "elsewhere").mkdir()
    shutil.copy2(REPO / RELEASE_NOTEBOOK, root / OUTSIDE_NOTEBOOK)
    _scratch_home(home)
    _installed_extension(data)
    env = _server_env(home, course)
    env.update(
        JUPYTER_PATH=str(data),
        JUPYTER_CONFIG_PATH=str(REPO / "jupyter-config"),
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p),
    )
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
        f"--ServerApp.root_dir={root}",
    ]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    with contextlib.ExitStack() as stack:
        lab_log = stack.enter_context(open(logs / "lab.log", "w"))
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
        lab = Lab(url, token, root)
        lab.env = env
        lab.log = logs / "lab.log"
        yield lab


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
    context = browser.new_context(viewport={"width": 1500, "height": 950})
    page = context.new_page()
    page.set_default_timeout(90_000)
    try:
        yield page
    finally:
        context.close()


def open_progress(page):
    """The progress panel in the left sidebar (its tab opens it)."""
    panel = page.locator("#certlab-progress")
    if not panel.is_visible():
        page.locator('.jp-SideBar [title="certlab progress"]').first.click()
    panel.wait_for()
    return panel


def points_of(panel, assignment: str) -> str:
    row = panel.locator(f'tr[data-assignment="{assignment}"] .certlab-points')
    row.wait_for()
    return row.inner_text().strip()


def press_check(page):
    page.locator(".certlab-check-button").first.click()
    panel = page.locator("#certlab-check")
    panel.wait_for()
    return panel


def cli_check(lab, notebook: Path) -> dict[str, tuple[str, str, str]]:
    """`certlab check` on the same file, as a learner runs it: exercise -> (points, result, why)."""
    env = dict(lab.env, COLUMNS="400", TERM="dumb", NO_COLOR="1")
    proc = subprocess.run(
        [sys.executable, "-m", "certlab.cli", "check", str(notebook), "--no-record"],
        cwd=notebook.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    rows = {}
    for line in proc.stdout.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃|]", line)]
        if len(cells) >= 6 and re.fullmatch(r"[\d.]+/[\d.]+", cells[2] or ""):
            rows[cells[1]] = (cells[2], cells[3], cells[4])
    assert rows, proc.stdout
    return rows


def test_check_button_grades_hints_and_updates_progress(page, lab):
    """One right and one wrong answer: Check shows both results, the same as `certlab check`,
    opens the hint of the wrong one, jumps to its cell, and the progress panel moves."""
    from playwright.sync_api import expect

    open_notebook(page, lab, COURSE_NOTEBOOK, "labext-course")
    progress = open_progress(page)
    before = points_of(progress, ASSIGNMENT)
    assert before.startswith("0/"), before
    expect(progress.locator(".certlab-readiness")).to_contain_text("coverage")
    shot(page, "labext_01_progress_before.png")

    paste(code_cell(page, "def l2_norm(v):").locator(".cm-content"), reference_answer("a02-norm-answer"))
    paste(code_cell(page, "def cosine_similarity(u, v):").locator(".cm-content"), WRONG_COSINE)
    expect(code_cell(page, "def cosine_similarity(u, v):").locator(".cm-content")).to_contain_text("np.sqrt(u @ u)")

    panel = press_check(page)  # saves the notebook, then grades it
    expect(panel.locator(".certlab-running, .certlab-result").first).to_be_visible()
    shot(page, "labext_02_check_running.png")
    expect(panel).to_have_attribute("data-state", "done", timeout=CHECK_TIMEOUT)
    norm = panel.locator('li[data-exercise="norm"]')
    cosine = panel.locator('li[data-exercise="cosine"]')
    expect(norm).to_have_class(re.compile("certlab-pass"))
    expect(norm.locator(".certlab-score")).to_have_text("1/1")
    expect(cosine).to_have_class(re.compile("certlab-fail"))
    expect(cosine.locator(".certlab-score")).to_have_text("0/2")
    expect(cosine.locator(".certlab-reason")).not_to_be_empty()
    expect(panel).to_contain_text("Graded with the hidden tests")
    cosine.scroll_into_view_if_needed()
    shot(page, "labext_03_check_results.png")

    # The page says what the command says, exercise by exercise.
    shown = {}
    for item in panel.locator("li.certlab-exercise").all():
        name = item.get_attribute("data-exercise")
        badge = item.locator(".certlab-badge").inner_text().strip().lower()
        reason = item.locator(".certlab-reason").inner_text().strip() if "fail" in badge else ""
        shown[name] = (item.locator(".certlab-score").inner_text().strip(), badge, reason)
    command = cli_check(lab, lab.root / COURSE_NOTEBOOK)
    command_total = command.pop("total")[0]
    assert {k: v[:2] for k, v in shown.items()} == {k: v[:2] for k, v in command.items()}
    assert {k: " ".join(v[2].split()) for k, v in shown.items()} == {
        k: " ".join(v[2].split()) for k, v in command.items()
    }
    earned, possible = (float(x) for x in command_total.split("/"))
    assert panel.locator(".certlab-total").inner_text().endswith(f"{command_total} points")

    # The next hint of the wrong answer, on request.
    cosine.locator(".certlab-hint-button").click()
    hint = cosine.locator(".certlab-hint")
    expect(hint).to_contain_text("level 1 of 3")
    expect(hint).to_contain_text("l2_norm")
    shot(page, "labext_04_hint_opened.png")

    # Its cell is one click away.
    cosine.locator(".certlab-goto").click()
    expect(page.locator(".jp-Notebook .jp-Cell.jp-mod-active")).to_contain_text("def cosine_similarity")
    shot(page, "labext_05_goto_cell.png")

    # The progress panel has the new points, as `certlab report` has them.
    progress = open_progress(page)
    expect(progress.locator(f'tr[data-assignment="{ASSIGNMENT}"] .certlab-points')).to_have_text(
        re.compile(rf"^{earned:g}/{possible:g}$")
    )
    expect(progress.locator(".certlab-next-list")).not_to_be_empty()
    shot(page, "labext_06_progress_after.png")


def test_check_outside_the_course_says_what_to_do(page, lab):
    """A copy of an assignment outside the course folder: a clear message, not a traceback."""
    from playwright.sync_api import expect

    open_notebook(page, lab, OUTSIDE_NOTEBOOK, "labext-outside")
    panel = press_check(page)
    expect(panel).to_have_attribute("data-state", "failed", timeout=CHECK_TIMEOUT)
    problem = panel.locator(".certlab-problem-box")
    expect(problem).to_contain_text("not part of the course")
    expect(problem.locator(".certlab-advice")).to_contain_text("release/NN_topic/NN_topic.ipynb")
    expect(panel).not_to_contain_text("Traceback")
    shot(page, "labext_07_outside_course.png")
