"""A check server: ``certlab check`` in seconds, from a process that stays warm.

Every ``certlab check`` (the command and the JupyterLab Check button alike) is a new process that
would import nbgrader and start a cold kernel before grading a single cell. The first check of a
course therefore starts this server in the background and checks in-process as before; the
next checks are sent to the server, which has nbgrader imported and keeps a warm-kernel
template (:mod:`certlab.grading.warm`) for the assignment: each check still gets a kernel of its
own, forked from the template inside the sandbox, and the scratch nbgrader course of an
assignment is kept between checks (a changed test notebook makes a new one).

- One server per user, Python environment, certlab code and course; it listens on a Unix socket
  in a folder only its user can enter, runs checks one at a time, and exits after
  ``CERTLAB_CHECK_SERVER_IDLE`` seconds without a request (15 minutes by default).
- ``CERTLAB_CHECK_SERVER=0`` turns it off: every check runs in its own process, as before.
- The answer is the same dictionary the Check button's worker prints (:func:`worker.run`); a
  server that is gone or fails mid-check makes the client check in-process instead.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import pickle
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from certlab.errors import CertlabError

IDLE_DEFAULT = 900
MAX_REQUEST = 1 << 20


def enabled() -> bool:
    return os.environ.get("CERTLAB_CHECK_SERVER", "1") not in ("0", "off", "no", "false") and hasattr(socket, "AF_UNIX")


def _folder() -> Path:
    """A folder of this user's own for the sockets (mode 0700)."""
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    folder = Path(base) / f"certlab-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.lstat()
    if info.st_uid != os.getuid() or info.st_mode & 0o077 or folder.is_symlink():
        raise OSError(f"{folder} is not a private folder of this user")
    return folder


def _code_stamp() -> str:
    """The certlab code this process runs: a changed file means a new server."""
    package = Path(__file__).resolve().parents[1]
    files = [*package.glob("*.py"), *package.glob("*/*.py")]  # the code; not data or built assets
    return repr(sorted((str(p), p.stat().st_mtime_ns) for p in files))


def socket_path(root: Path, env: dict | None = None) -> Path:
    """The socket of the server for ``root`` and this environment (or ``env``)."""
    from certlab.grading.sandbox import environment_key

    key = json.dumps([sys.executable, str(Path(root).resolve()), _code_stamp(), environment_key(env)])
    return _folder() / f"check-{hashlib.sha256(key.encode()).hexdigest()[:16]}.sock"


def request(notebook: str | Path, root: Path, student: str, record: bool, start: bool = True):
    """Ask the course's check server to check ``notebook``: the result of
    :func:`certlab.learner.check.check`. None when there is no server (one is then started in
    the background for the next check, unless ``start`` is false) or the server failed on
    something other than the learner's input (the caller then checks in-process); a
    :class:`CertlabError` of the check is raised as is."""
    if not enabled():
        return None
    try:
        path = socket_path(root)
    except OSError:
        return None
    message = {"notebook": str(Path(notebook).resolve()), "student": student, "record": record}
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(str(path))
            conn.sendall((json.dumps(message) + "\n").encode())
            conn.shutdown(socket.SHUT_WR)
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
        answer = json.loads(data)
    except (OSError, ValueError):
        if start:
            _hold_start_lock(path)
            launch(root, path, notebook, record)
        return None
    if answer.get("ok"):
        # Our own server (same user, same code, a socket only this user can reach).
        return pickle.loads(base64.b64decode(answer["result"]))
    if answer.get("certlab_error"):
        raise CertlabError(answer["certlab_error"])
    return None


# The lock a client holds from the moment it starts a server until its own, in-process check is
# done (:func:`release_start_lock`, or its exit): the server prepares the scratch course of the
# assignment (which writes the course's gradebook when checks are recorded) only after that.
_START_LOCK: dict[str, int] = {}


def _hold_start_lock(path: Path) -> None:
    import fcntl

    release_start_lock()
    with contextlib.suppress(OSError):
        fd = os.open(path.with_suffix(".lock"), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another starting client holds it: fine
        except OSError:
            os.close(fd)
            return
        _START_LOCK["fd"] = fd


def release_start_lock() -> None:
    """Tell a server this process started that its in-process check is done."""
    fd = _START_LOCK.pop("fd", None)
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)  # closing the descriptor releases the lock


def _start_lock_free(path: Path) -> bool:
    """Whether the client that started this server has finished its own check."""
    import fcntl

    try:
        fd = os.open(path.with_suffix(".lock"), os.O_CREAT | os.O_RDWR, 0o600)
    except OSError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def launch(root: Path, path: Path, notebook: str | Path | None = None, record: bool = False) -> None:
    """Start a server for ``root`` in the background (it warms up for ``notebook``, checked with
    or without recording)."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # a socket left by a server that died
    log = path.with_suffix(".log")
    cmd = [sys.executable, "-m", "certlab.learner.check_server", "--socket", str(path), "--root", str(root)]
    if notebook:
        cmd += ["--warm", str(notebook)] + (["--record"] if record else [])
    with open(log, "ab") as out:
        subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True, close_fds=True, cwd="/"
        )


def stop(root: Path, env: dict | None = None) -> bool:
    """Stop the course's server, if one runs (``certlab bench check`` starts from none)."""
    try:
        path = socket_path(root, env)
    except OSError:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(str(path))
            conn.sendall(b'{"stop": true}\n')
            conn.shutdown(socket.SHUT_WR)
            conn.recv(16)
    except OSError:
        return False
    for _ in range(100):
        if not path.exists():
            break
        time.sleep(0.05)
    return True


def _warm_up(root: Path, notebook: str | None, record: bool):
    """Import what a check needs, start the template for the notebook's assignment and prepare
    its scratch course, as the next check (recorded or not) will use it. A recorded check's
    scratch course writes the course's gradebook, which the check that started this server is
    still writing: that preparation is returned, to run once that check is done; else None."""
    import nbclient  # noqa: F401
    import nbgrader.converters  # noqa: F401

    import certlab.learner.check  # noqa: F401

    if not notebook:
        return None
    try:
        from certlab.course import Course
        from certlab.grading import warm
        from certlab.grading.nbgrader_io import db_url
        from certlab.grading.sandbox import isolation_problem
        from certlab.learner import check
        from certlab.notebooks import read_notebook

        course = Course(root)
        nb = read_notebook(Path(notebook))
        assignment = check.identify(course, nb, Path(notebook))
        if not isolation_problem() and warm.enabled():
            for source in sorted((course.source_dir / assignment).glob("*.ipynb"))[:1]:
                source_nb = read_notebook(source)
                setup = warm.warmup(source_nb, source_nb)  # as WarmSetup computes it for a check
                folder = tempfile.mkdtemp(prefix=f"certlab-{assignment}-")
                try:
                    warm.template_for(setup, os.path.join(folder, "autograded", "learner", assignment))
                finally:
                    os.rmdir(folder)
    except Exception:  # noqa: BLE001 - warming up is an optimisation; a check explains failures
        return None

    def prepare() -> None:
        with contextlib.suppress(Exception):
            tests_from, _ = check._tests_of(course, assignment)
            check._scratch_course(course, assignment, db_url(course.root) if record else None, tests_from)

    if not record:  # a scratch gradebook of its own: nothing to wait for
        prepare()
        return None
    return prepare  # writes the course's gradebook: only once the first check is done with it


def _check(root: Path, message: dict) -> dict:
    from certlab.learner.check import check

    try:
        result = check(message["notebook"], root=root, student=message["student"], record=bool(message["record"]))
    except CertlabError as exc:
        return {"ok": False, "certlab_error": str(exc)}
    except Exception as exc:  # the client checks in-process and shows the real failure
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"ok": True, "result": base64.b64encode(pickle.dumps(result)).decode()}


def serve(path: Path, root: Path, idle: float, notebook: str | None = None, record: bool = False) -> None:
    import certlab.learner.check
    from certlab.grading.nbgrader_io import skip_slow_optional_imports

    skip_slow_optional_imports()
    os.environ.setdefault("MPLBACKEND", "Agg")
    certlab.learner.check.KEEP_SCRATCH = True
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        try:
            server.bind(str(path))
        except OSError:
            return  # another server took the socket first
        os.chmod(path, 0o600)
        server.listen(8)
        try:
            prepare = _warm_up(root, notebook, record)
            started = time.monotonic()
            # While the client that started us still checks in-process, poll for its end; then
            # prepare, and wait for requests (an idle server exits).
            server.settimeout(0.1 if prepare else idle)
            while True:
                try:
                    conn, _ = server.accept()
                except TimeoutError:
                    if prepare is None:
                        return
                    if _start_lock_free(path) or time.monotonic() - started > idle:
                        prepare()
                        prepare = None
                        server.settimeout(idle)
                    continue
                with conn:
                    conn.settimeout(30)
                    data = b""
                    with contextlib.suppress(OSError):
                        while len(data) < MAX_REQUEST and (chunk := conn.recv(65536)):
                            data += chunk
                    try:
                        message = json.loads(data)
                    except ValueError:
                        continue
                    if message.get("stop"):
                        with contextlib.suppress(OSError):
                            conn.sendall(b"ok")
                        return
                    conn.settimeout(None)
                    out = _check(root, message)
                    with contextlib.suppress(OSError):
                        conn.sendall((json.dumps(out) + "\n").encode())
        finally:
            with contextlib.suppress(OSError):
                path.unlink()
            with contextlib.suppress(OSError):
                path.with_suffix(".lock").unlink()
            log = path.with_suffix(".log")
            with contextlib.suppress(OSError):
                if not log.stat().st_size:
                    log.unlink()
            from certlab.grading.warm import close_templates

            certlab.learner.check.close_scratch_courses()
            close_templates()


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m certlab.learner.check_server")
    parser.add_argument("--socket", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--warm", default=None)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args(argv)
    idle = float(os.environ.get("CERTLAB_CHECK_SERVER_IDLE", IDLE_DEFAULT))
    serve(Path(args.socket), Path(args.root).resolve(), idle, args.warm, args.record)


if __name__ == "__main__":
    main()
