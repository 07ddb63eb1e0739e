"""Does setting up respect a learner's machine?

- ``make demo``, ``make lab`` (and ``setup``, ``build``, ``data``) install the Python environment
  and nothing system-wide: they work where there is no ``apt-get`` and no ``sudo``;
- ``make test`` (and ``make sysdeps`` alone) installs the test suite's Debian packages;
- the route without ``make`` that the README shows is the same install;
- without Java, the Spark notebook and ``certlab check`` say so once, with how to install it.

What runs for real and what only as a dry run is said in each test.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from certlab.java import HOW_TO_INSTALL, JavaMissing, java_problem, main, needs_java, require_java

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
SPARK = "21_spark_ml"
# What `make` and the recipes of the learner's targets call by name (everything else by path).
TOOLS = ("make", "bash", "sh", "env", "python3", "git", "test", "touch", "uname", "dirname", "cat", "ls", "rm")
NOT_THERE = ("apt-get", "apt", "sudo", "java")


def tool_path(folder: Path, *, without=NOT_THERE, extra=()) -> str:
    """A PATH of one folder of links to the tools make needs: no apt-get, no sudo, no java."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in (*TOOLS, *extra):
        found = shutil.which(name)
        if found and name not in without and not (folder / name).exists():
            (folder / name).symlink_to(os.path.abspath(found))
    for name in without:
        assert shutil.which(name, path=str(folder)) is None
    return str(folder)


def env_without_java(path: str, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env.update(PATH=path, **more)
    return env


def make(*args: str, env: dict[str, str], cwd: Path = REPO, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def current_venv() -> Path:
    """The environment running these tests, if it is one `make` can use as VENV (bin/certlab etc.)."""
    prefix = Path(sys.prefix)
    if not all((prefix / "bin" / name).exists() for name in ("python", "certlab", "jupyter")):
        pytest.skip("the tests do not run from a virtual environment with certlab and jupyter installed")
    return prefix


def course_copy(dest: Path) -> Path:
    """The working tree's files (tracked and new, not ignored) in a folder of their own."""
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in filter(None, files):
        src = REPO / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


# ---------------------------------------------------------------------------------------------
# make: which targets install what (dry runs: `make -n` prints the recipes and runs none)


@pytest.mark.parametrize("target", ["demo", "lab", "setup", "build", "data"])
def test_learner_targets_install_the_venv_and_nothing_system_wide(tmp_path, target):
    """`make -n TARGET` on a machine with no venv yet, no apt-get, no sudo: the recipe creates the
    venv and pip-installs requirements.txt and the package, and never calls apt-get, sudo or the
    system-package script."""
    path = tool_path(tmp_path / "bin")
    proc = make("-n", target, f"VENV={tmp_path / 'venv'}", env=env_without_java(path))
    assert proc.returncode == 0, proc.stderr
    recipe = proc.stdout
    assert re.search(r"-m venv \S*venv", recipe) and "pip install -r requirements.txt" in recipe
    assert "pip install --no-deps -e ." in recipe
    for word in ("apt-get", "sudo", "sysdeps", "requirements-dev"):
        assert word not in recipe, f"make {target} would run {word}:\n{recipe}"
    assert "-m certlab.java" in recipe  # the Java note


def test_make_test_installs_the_test_system_packages_first(tmp_path):
    """`make -n test`: the system-package script runs before anything else; `make sysdeps` alone
    runs it too."""
    env = env_without_java(tool_path(tmp_path / "bin"))
    recipe = make("-n", "test", f"VENV={tmp_path / 'venv'}", env=env).stdout.splitlines()
    first = next(i for i, line in enumerate(recipe) if "scripts/sysdeps.sh" in line)
    venv = next(i for i, line in enumerate(recipe) if "-m venv" in line)
    pytest_line = next(i for i, line in enumerate(recipe) if "-m pytest" in line)
    assert first < venv < pytest_line
    assert "requirements-dev.txt" in "\n".join(recipe)
    assert "scripts/sysdeps.sh" in make("-n", "sysdeps", env=env).stdout


# ---------------------------------------------------------------------------------------------
# scripts/sysdeps.sh on a "fresh Debian machine": an empty root folder, apt-get and sudo that
# only record how they were called. The real apt-get never runs.


def fake_debian(tmp_path: Path, *, uid: int = 0, sudo: bool = True, apt: bool = True, java: str | None = None):
    root, bindir, calls = tmp_path / "root", tmp_path / "bin", tmp_path / "calls"
    root.mkdir(parents=True)
    tools = ["sed", "head", "env", "cat", "mkdir"]
    tool_path(bindir, extra=tools)
    (bindir / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    if apt:
        (bindir / "apt-get").write_text(f'#!/bin/sh\necho "apt-get $*" >> {calls}\n')
    if sudo:
        (bindir / "sudo").write_text(f'#!/bin/sh\necho "sudo $1" >> {calls}\nexec "$@"\n')
    if java:
        (bindir / "java").write_text(f"#!/bin/sh\necho {shlex.quote(java)} >&2\n")
    for tool in bindir.iterdir():
        if not tool.is_symlink():
            tool.chmod(0o755)
    env = env_without_java(str(bindir), SYSDEPS_ROOT=str(root), PYTHON=str(tmp_path / "no-python"))
    return env, calls


def sysdeps(env, *args):
    return subprocess.run(
        ["/bin/bash", str(REPO / "scripts" / "sysdeps.sh"), *args], env=env, capture_output=True, text=True, timeout=60
    )


TEST_PACKAGES = ["openjdk-17-jre-headless", "chromium", "postgresql", "bubblewrap", "python3-venv"]


def test_sysdeps_installs_every_test_package_on_a_fresh_debian_machine(tmp_path):
    """As root: one apt-get update, one apt-get install of Java 17, Chromium, PostgreSQL,
    bubblewrap and python3-venv (the fake root has none of them)."""
    env, calls = fake_debian(tmp_path)
    assert sysdeps(env, "--list").stdout.split() == TEST_PACKAGES
    proc = sysdeps(env)
    assert proc.returncode == 0, proc.stderr
    assert calls.read_text().splitlines() == [
        "apt-get update -qq",
        "apt-get install -y -qq --no-install-recommends " + " ".join(TEST_PACKAGES),
    ]


def test_sysdeps_uses_sudo_when_not_root_and_says_what_to_do_without_it(tmp_path):
    env, calls = fake_debian(tmp_path / "a", uid=1000)
    assert sysdeps(env).returncode == 0
    assert [line for line in calls.read_text().splitlines() if line.startswith("sudo")] == ["sudo env", "sudo env"]
    env, calls = fake_debian(tmp_path / "b", uid=1000, sudo=False)
    proc = sysdeps(env)
    assert proc.returncode == 1 and "as root" in proc.stderr and not calls.exists()
    env, calls = fake_debian(tmp_path / "c", apt=False)
    proc = sysdeps(env)
    assert proc.returncode == 1 and "no apt-get here" in proc.stderr and "chromium" in proc.stderr


@pytest.mark.parametrize(
    "version, wanted",
    [('openjdk version "17.0.15" 2025-04-15', False), ('openjdk version "21.0.2"', False)]
    + [('java version "1.8.0_392"', True), ('openjdk version "11.0.22"', True)],
)
def test_sysdeps_installs_java_17_unless_java_17_or_later_is_there(tmp_path, version, wanted):
    env, _ = fake_debian(tmp_path, java=version)
    assert ("openjdk-17-jre-headless" in sysdeps(env, "--list").stdout.split()) is wanted


def test_sysdeps_installs_nothing_when_everything_is_there():
    """On this machine (which ran `make test`): nothing missing, nothing run."""
    if not shutil.which("java") or sysdeps(dict(os.environ), "--list").stdout.strip():
        pytest.skip("the test packages are not all installed here")
    assert sysdeps(dict(os.environ)).stdout == ""


# ---------------------------------------------------------------------------------------------
# make demo and make lab, for real, with no apt-get, sudo or java on PATH. Only the venv install
# (`$(VENV)/bin/.installed`, minutes of pip) is skipped: `make -o` treats it as done, and VENV is
# the environment these tests run in. Its recipe is what the dry runs above check.


@pytest.fixture(scope="module")
def learner(tmp_path_factory):
    """A copy of the course, a PATH without apt-get, sudo or java, and the make arguments."""
    venv = current_venv()
    tmp = tmp_path_factory.mktemp("learner")
    course = course_copy(tmp / "course")
    env = env_without_java(
        tool_path(tmp / "bin"),
        HOME=str(tmp / "home"),
        PYTHONPATH=str(course),
        COLUMNS="120",
        CERTLAB_THREADS="1",
    )
    (tmp / "home").mkdir()
    env = {k: v for k, v in env.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
    return course, env, ["-o", f"{venv}/bin/.installed", f"VENV={venv}"]


def _java_notes(text: str) -> int:
    """How many times the Java message appears."""
    return text.count(HOW_TO_INSTALL.format(minimum=17).splitlines()[0])


@pytest.mark.slow
def test_make_demo_runs_without_apt_get_sudo_or_java(learner):
    """`make demo` for real in a copy of the course: builds the student notebooks, grades three
    learners, prints readiness; the Java note appears once and does not stop it."""
    course, env, args = learner
    proc = make(*args, "demo", cwd=course, env=env, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Readiness for" in proc.stdout and "built " in proc.stdout
    assert _java_notes(proc.stdout + proc.stderr) == 1  # said once, and the demo went on


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def running(cmd: list[str], **kwargs):
    proc = subprocess.Popen(cmd, start_new_session=True, **kwargs)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def wait_for_lab(proc, url: str, log: Path, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while not _answers(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"JupyterLab did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.5)


def lab_args(port: int, token: str) -> str:
    args = f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} --ServerApp.port_retries=0"
    args += f" --IdentityProvider.token={token}"
    return args + (" --allow-root" if os.geteuid() == 0 else "")


@pytest.mark.slow
def test_make_lab_starts_without_apt_get_sudo_or_java(learner, tmp_path):
    """`make lab` starts JupyterLab on the course (asked for its status and the start-here
    notebook over HTTP), then is stopped."""
    course, env, args = learner
    port, token = _free_port(), secrets.token_hex(16)
    log = tmp_path / "lab.log"
    with open(log, "w") as out:
        cmd = ["make", "--no-print-directory", *args, "lab", f"LAB_ARGS={lab_args(port, token)}"]
        with running(cmd, cwd=course, env=env, stdout=out, stderr=subprocess.STDOUT) as proc:
            base = f"http://127.0.0.1:{port}"
            wait_for_lab(proc, f"{base}/api/status?token={token}", log)
            assert _answers(f"{base}/api/contents/notebooks/00_start_here.ipynb?token={token}")
    assert _java_notes(log.read_text()) == 1


# ---------------------------------------------------------------------------------------------
# Without make: the README's venv + pip + jupyter lab sequence


def readme_without_make() -> list[str]:
    """The commands of the README's block that starts with `python3 -m venv` (comments dropped)."""
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    block = next((b for b in blocks if b.lstrip().startswith("python3 -m venv")), None)
    assert block, "the README shows no `python3 -m venv` block for learners without make"
    lines = [line.split("#", 1)[0].strip() for line in block.splitlines()]
    return [line for line in lines if line]


def test_readme_route_without_make_is_the_makefile_install():
    """The README's commands parse as shell, and install what `make setup` installs: a venv in
    .venv, requirements.txt, the package itself (editable), then JupyterLab at the start page."""
    commands = readme_without_make()
    assert subprocess.run(["bash", "-n"], input="\n".join(commands), text=True).returncode == 0
    assert commands == [
        "python3 -m venv .venv",
        ". .venv/bin/activate",
        "pip install -r requirements.txt -e .",
        "jupyter lab notebooks/00_start_here.ipynb",
    ]
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "VENV ?= .venv" in makefile
    assert "pip install -r requirements.txt" in makefile and "pip install --no-deps -e ." in makefile
    assert "notebooks/00_start_here.ipynb" in makefile and (REPO / "notebooks/00_start_here.ipynb").exists()


@pytest.mark.slow
def test_readme_route_without_make_runs(tmp_path):
    """The README's commands, run one by one in a copy of the course with bash, no make, no
    apt-get, no sudo, no java on PATH. So as not to download gigabytes, the new venv sees the
    packages of the environment these tests run in (one .pth line, added after `python3 -m venv`):
    pip then checks every pin of requirements.txt against them (a pin they do not satisfy would be
    downloaded) and installs the package from the copy, editable, with its `certlab` command.
    `jupyter lab` starts in the activated venv and answers over HTTP. Not proved here: the
    download of the stack, and the console scripts of packages pip found already installed
    (`jupyter` is the environment's own, found on PATH after the venv's bin)."""
    venv = current_venv()
    site = next(Path(venv, "lib").glob("python3.*/site-packages"))
    course = course_copy(tmp_path / "course")
    (tmp_path / "home").mkdir()
    path = tool_path(tmp_path / "bin")
    env = env_without_java(f"{path}:{venv}/bin", HOME=str(tmp_path / "home"), PIP_NO_INPUT="1")
    env = {k: v for k, v in env.items() if not k.startswith(("PYTHONPATH", "VIRTUAL_ENV", "JUPYTER", "IPYTHON"))}
    make_venv, activate, install, lab = readme_without_make()
    python = shutil.which("python3", path=path)
    run = subprocess.run(
        ["bash", "-c", make_venv.replace("python3", python, 1)], cwd=course, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    new_site = next((course / ".venv/lib").glob("python3.*/site-packages"))
    (new_site / "_existing_environment.pth").write_text(f"{site}\n")
    script = f"set -e\n{activate}\n{install}\ncommand -v certlab\npython -c 'import certlab; print(certlab.__file__)'\n"
    run = subprocess.run(["bash", "-c", script], cwd=course, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    where_cmd, where_pkg = run.stdout.strip().splitlines()[-2:]
    assert where_cmd == str(course / ".venv/bin/certlab")
    assert Path(where_pkg).resolve().is_relative_to(course.resolve())
    port, token = _free_port(), secrets.token_hex(16)
    log = tmp_path / "lab.log"
    script = f"{activate}\nexec {lab} {lab_args(port, token)}\n"
    with open(log, "w") as out:
        with running(["bash", "-c", script], cwd=course, env=env, stdout=out, stderr=subprocess.STDOUT) as proc:
            wait_for_lab(proc, f"http://127.0.0.1:{port}/api/status?token={token}", log)


# ---------------------------------------------------------------------------------------------
# Java: one message, in make, the Spark notebook and certlab check


def fake_jdk(folder: Path, said: str, code: int = 0) -> Path:
    (folder / "bin").mkdir(parents=True)
    java = folder / "bin" / "java"
    java.write_text(f"#!/bin/sh\necho {shlex.quote(said)} >&2\nexit {code}\n")
    java.chmod(0o755)
    return folder


def test_java_problem_names_what_is_wrong_and_how_to_install(tmp_path, monkeypatch):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    problem = java_problem()
    assert problem.startswith("No Java runtime found: there is no `java` on PATH")
    for route in ("apt-get install openjdk-17-jre-headless", "brew install openjdk@17", "JAVA_HOME", "Binder"):
        assert route in problem
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "nowhere"))
    assert "that folder has no bin/java" in java_problem()
    monkeypatch.setenv("JAVA_HOME", str(fake_jdk(tmp_path / "jdk11", 'openjdk version "11.0.22" 2024-01-16')))
    assert java_problem().startswith("Java 11 found")
    monkeypatch.setenv("JAVA_HOME", str(fake_jdk(tmp_path / "jdk8", 'java version "1.8.0_392"')))
    assert java_problem().startswith("Java 8 found")
    stub = "The operation couldn't be completed. Unable to locate a Java Runtime."  # macOS without a JDK
    monkeypatch.setenv("JAVA_HOME", str(fake_jdk(tmp_path / "stub", stub, code=1)))
    assert java_problem().startswith("No working Java runtime") and "Unable to locate" in java_problem()
    jdk21 = fake_jdk(tmp_path / "jdk21", 'openjdk version "21.0.2" 2024-01-16')
    monkeypatch.setenv("JAVA_HOME", str(jdk21))
    assert java_problem() is None and require_java() == str(jdk21 / "bin" / "java")


def test_java_note_is_one_message_and_never_fails_make_setup(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main([]) == 0
    err = capsys.readouterr().err
    assert err.startswith("note: No Java runtime") and _java_notes(err) == 1
    assert main(["--strict"]) == 1  # `make test` needs it
    with pytest.raises(JavaMissing) as info:
        require_java()
    lines = info.value._render_traceback_()  # what a notebook shows: the message, no stack trace
    assert "JavaMissing" in lines[0] and len(lines) == len(str(info.value).splitlines())


def test_only_the_spark_notebook_needs_java():
    needing = [p.parent.name for p in sorted((REPO / "source").glob("*/*.ipynb")) if needs_java(nbformat.read(p, 4))]
    assert needing == [SPARK]
    assert needs_java(nbformat.read(REPO / "release" / SPARK / f"{SPARK}.ipynb", 4))


@pytest.mark.slow
def test_spark_setup_cell_without_java_shows_one_clear_message(tmp_path):
    """The release notebook's setup cell, run in a kernel whose PATH has no java and no JAVA_HOME:
    one error, JavaMissing, whose lines are the message (no stack trace, no Spark start)."""
    from nbclient import NotebookClient

    nb = nbformat.read(REPO / "release" / SPARK / f"{SPARK}.ipynb", 4)
    setup = next(c for c in nb.cells if c.get("metadata", {}).get("certlab", {}).get("role") == "setup")
    nb.cells = [setup]
    bindir = tool_path(tmp_path / "bin")
    env = env_without_java(f"{Path(sys.executable).parent}:{bindir}", CERTLAB_DATA=str(REPO / "data"))
    client = NotebookClient(nb, timeout=120, allow_errors=True, resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env=env)  # the kernel's environment
    errors = [o for o in setup.outputs if o.output_type == "error"]
    assert len(errors) == 1 and errors[0].ename == "JavaMissing", setup.outputs
    shown = "\n".join(errors[0].traceback)
    assert "Traceback" not in shown and "File " not in shown and "JAVA_GATEWAY" not in shown
    assert "apt-get install openjdk-17-jre-headless" in shown and "brew install openjdk@17" in shown


def test_certlab_check_on_spark_without_java_reports_it_once(tmp_path):
    """`certlab check` on the Spark notebook with PATH and JAVA_HOME hiding java: exit 2, the
    message once, no table of failed exercises, nothing graded or recorded."""
    course = tmp_path / "course"
    course.mkdir()
    for name in ("course.yml", "nbgrader_config.py"):
        shutil.copy2(REPO / name, course / name)
    for folder in (f"source/{SPARK}", f"release/{SPARK}"):
        shutil.copytree(REPO / folder, course / folder)
    notebook = course / "release" / SPARK / f"{SPARK}.ipynb"
    bindir = tool_path(tmp_path / "bin")
    certlab = Path(sys.executable).with_name("certlab")
    for java_home in (None, str(fake_jdk(tmp_path / "jdk11", 'openjdk version "11.0.22"'))):
        env = env_without_java(f"{certlab.parent}:{bindir}", COLUMNS="120", PYTHONPATH=str(REPO))
        if java_home:
            env["JAVA_HOME"] = java_home
        proc = subprocess.run(
            [str(certlab), "check", str(notebook), "--student", "learner"],
            cwd=course,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert _java_notes(proc.stderr) == 1 and f"{SPARK} was not graded" in proc.stderr
        assert ("Java 11 found" in proc.stderr) is bool(java_home)
        assert "fail" not in proc.stdout and "NameError" not in proc.stdout + proc.stderr
        assert not (course / "gradebook.db").exists()
