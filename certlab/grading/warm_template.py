"""The template's side of warm kernels (:mod:`certlab.grading.warm`), inside bubblewrap.

A template runs this module and nothing of nbgrader: it imports what a kernel imports as it
starts, the setup cell's imports and the modules the instructor's locked cells import, formats
one traceback, then forks a kernel per request and wipes every trace of it afterwards. Kept
apart from the grader's side so that a kernel forked from it has the modules a cold kernel would
have, not the grader's.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sys
import time


def _preload(names: list[str]) -> None:
    """Import each module (and each ``module:name`` that is a submodule); one that fails is
    left to the kernel, which meets the same error in its own cell."""
    import importlib

    for name in names:
        module, _, attr = name.partition(":")
        try:
            found = importlib.import_module(module)
            if attr and not hasattr(found, attr):
                importlib.import_module(f"{module}.{attr}")
        except Exception:  # noqa: BLE001,S112 - the kernel raises it where the notebook imports it
            continue


# What ipykernel imports while a kernel starts, before it runs any cell (its debugger pulls in
# debugpy and pydevd: about half a second): imported once in the template instead.
KERNEL_MODULES = (
    "ipykernel.debugger",
    "IPython.core.completerlib",
    "IPython.core.debugger",
    "IPython.core.oinspect",
    "IPython.extensions.storemagic",
    "IPython.utils.wildcard",
    "faulthandler",
    "psutil",
    "sqlite3",
    "tornado.platform.asyncio",
)


def _warm_tracebacks() -> None:
    """Format the traceback of a failing ``numpy.testing`` check, as IPython does for a test cell
    that fails (and for every canary): its machinery (stack_data, pygments' lexer tables, NumPy's
    testing sources) is then loaded once in the template instead of in every kernel. Caches
    only: what a kernel prints is the same."""
    if "numpy" not in sys.modules:
        return
    try:
        from IPython.core.ultratb import AutoFormattedTB

        np = sys.modules["numpy"]
        formatter = AutoFormattedTB(mode="Context")
        for check in (lambda: np.testing.assert_allclose([1.0], [2.0]), lambda: _fail(np.allclose([1.0], [2.0]))):
            try:
                check()
            except AssertionError:
                formatter.structured_traceback(*sys.exc_info())
    except Exception:  # noqa: BLE001,S110 - a cache left cold costs time, nothing else
        pass


def _fail(ok: bool) -> None:
    assert ok, "the values do not match"


PR_SET_DUMPABLE = 4


def _no_dump() -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def _mount_points() -> list[str]:
    points = []
    with contextlib.suppress(OSError), open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4].replace("\\040", " ")
            points.append(point)
    return points


def _wipe(top: str, keep: list[str]) -> None:
    """Remove everything under ``top`` except mount points (and the folders leading to them),
    making folders writable first where a kernel took the permission away."""

    def inside(path: str, folder: str) -> bool:
        return path == folder or path.startswith(folder.rstrip("/") + "/")

    if not os.path.isdir(top):
        return
    with contextlib.suppress(OSError):
        os.chmod(top, 0o1777 if top in ("/tmp", "/dev/shm") else 0o755)
    for entry in list(os.scandir(top)):
        path = entry.path
        if any(inside(p, path) for p in keep):
            if entry.is_dir(follow_symlinks=False) and path not in keep:
                _wipe(path, keep)
            continue
        if entry.is_dir(follow_symlinks=False):

            def retry(func, p, _exc):
                with contextlib.suppress(OSError):
                    os.chmod(os.path.dirname(p), 0o700)
                    func(p)

            with contextlib.suppress(OSError):
                os.chmod(path, 0o700)
            shutil.rmtree(path, onerror=retry)
        else:
            with contextlib.suppress(OSError):
                os.unlink(path)


def _other_processes() -> list[int]:
    me = os.getpid()
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, me)]


def _reset(base: str, child: int | None) -> bool:
    """Kill every process but the template (and the sandbox's init), empty every writable
    place; True when nothing is left."""
    deadline = time.monotonic() + 10
    while True:
        others = _other_processes()
        if not others:
            break
        for pid in others:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    keep = [p for p in _mount_points() if p not in ("/tmp", "/dev/shm", base)]
    for top in dict.fromkeys(("/tmp", "/dev/shm", base)):
        _wipe(top, keep)
    leftovers = [
        e.name
        for top in dict.fromkeys(("/tmp", "/dev/shm", base))
        if os.path.isdir(top)
        for e in os.scandir(top)
        if not any(p == e.path or p.startswith(e.path + "/") for p in keep)
    ]
    os.makedirs("/tmp/home", mode=0o700, exist_ok=True)
    return not leftovers


READY_TIMEOUT = 30  # seconds a forked kernel may take to bind its sockets before the answer goes anyway


def _become_kernel(request: dict, control: list[int], ready: int) -> None:
    """In the forked child: become ``python -m ipykernel_launcher -f <connection file>``, and
    write to ``ready`` once its sockets are bound."""
    try:
        os.setsid()
        for fd in control:
            with contextlib.suppress(OSError):
                os.close(fd)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.dup2(2, 1)
        for sig in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP, signal.SIGUSR1):
            signal.signal(sig, signal.SIG_DFL)
        cwd = request["cwd"]
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(request["env"])
        from certlab.grading.sandbox import KERNEL_ENV

        os.environ.update(KERNEL_ENV)
        connection = "/tmp/.certlab-kernel.json"
        with open(connection, "w") as f:
            json.dump(request["connection"], f)
        import ipykernel_launcher

        sys.argv = [ipykernel_launcher.__file__, "-f", connection]
        if "numpy" in sys.modules:  # a fresh import seeds the global generator from the OS
            sys.modules["numpy"].random.seed()
        with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")  # under memory pressure the kernel goes before its template
        from ipykernel import kernelapp

        # What launch_new_instance() does, with word to the template between the two steps: a
        # client that connects only now finds the sockets bound and misses no message (else
        # it retries its connection and repeats kernel_info, a few hundred milliseconds).
        app = kernelapp.IPKernelApp.instance()
        app.initialize()
        with contextlib.suppress(OSError):
            os.write(ready, b"1")
            os.close(ready)
        app.start()
    except BaseException:
        import traceback

        traceback.print_exc()
        os._exit(1)
    os._exit(0)


def template_main() -> None:
    """The template process: warm up, then fork a kernel per ``spawn`` request (JSON lines on
    stdin, answers on stdout)."""
    import select

    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # as ipykernel_launcher does
    ctl_in, ctl_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)  # stray prints of imported modules go to stderr, not into the protocol
    lines = _LineReader(ctl_in)

    def send(message: dict) -> None:
        os.write(ctl_out, (json.dumps(message) + "\n").encode())

    init = json.loads(lines.next() or b"{}")
    base = os.environ.get("CERTLAB_WARM_BASE", "/tmp")
    try:
        _no_dump()
        import gc

        import ipykernel.kernelapp  # noqa: F401
        import ipykernel_launcher  # noqa: F401

        # The debugger's vendored pydevd warns about frozen modules when imported; a kernel never
        # debugs (its own kernel start would print the same to the kernel's log, not a notebook).
        os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        _preload(list(KERNEL_MODULES))
        namespace: dict = {"__name__": "__certlab_template__"}
        for statement in init["setup"]:
            exec(compile(statement, "<setup cell>", "exec"), namespace)
        del namespace
        _preload(init.get("preload", []))
        _warm_tracebacks()
        gc.collect()
        gc.freeze()  # fewer copy-on-write pages in the children
        import threading

        if threading.active_count() > 1:  # a fork copies only the forking thread, not its locks' owners
            raise RuntimeError(f"the warm-up started threads: {[t.name for t in threading.enumerate()]}")
        if not _reset(base, None):
            raise RuntimeError("the template's sandbox is not clean after its start")
    except BaseException as exc:
        send({"ok": False, "error": f"warm-up failed: {type(exc).__name__}: {exc}"})
        os._exit(1)
    send({"ok": True})

    child: int | None = None
    pidfd: int | None = None
    while True:
        watch = [ctl_in] + ([pidfd] if pidfd is not None else [])
        ready = [ctl_in] if lines.pending() else select.select(watch, [], [])[0]
        if pidfd is not None and pidfd in ready:
            _, status = os.waitpid(child, 0)
            os.close(pidfd)
            child, pidfd = None, None
            send({"event": "exit", "code": os.waitstatus_to_exitcode(status)})
            send({"event": "clean"} if _reset(base, None) else {"event": "dirty"})
            continue
        if ctl_in not in ready:
            continue
        line = lines.next()
        if line is None:  # the grader is gone
            _reset(base, None)
            os._exit(0)
        request = json.loads(line)
        op = request.get("op")
        if op == "spawn":
            if child is not None:
                send({"ok": False, "error": "a kernel is still running"})
                continue
            try:
                cwd = request["cwd"]
                os.makedirs(cwd, exist_ok=True)
                slot = os.environ["CERTLAB_WARM_SLOT"]
                shutil.copytree(slot, cwd, symlinks=True, dirs_exist_ok=True)
            except OSError as exc:
                send({"ok": False, "error": f"cannot copy the submission: {exc}"})
                continue
            ready_r, ready_w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(ready_r)
                _become_kernel(request, [ctl_in, ctl_out], ready_w)
            os.close(ready_w)
            child, pidfd = pid, os.pidfd_open(pid)
            # Answer once the kernel's sockets are bound (or it died trying: end of file).
            select.select([ready_r], [], [], READY_TIMEOUT)
            os.close(ready_r)
            send({"ok": True, "pid": pid})
        elif op == "signal" and child is not None:
            with contextlib.suppress(OSError):
                os.killpg(child, request["sig"])
        elif op == "kill" and child is not None:
            for pid in _other_processes():
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            # the pidfd turns readable: the loop reports the exit and cleans up


class _LineReader:
    """JSON lines from a file descriptor, read without a buffer that select cannot see."""

    def __init__(self, fd: int):
        self.fd, self.buffer = fd, b""

    def pending(self) -> bool:
        return b"\n" in self.buffer

    def next(self) -> bytes | None:
        while b"\n" not in self.buffer:
            chunk = os.read(self.fd, 65536)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line
