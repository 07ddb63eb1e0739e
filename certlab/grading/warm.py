"""Warm kernels: each submission's kernel is forked from a template that has done the imports.

Starting a Python kernel and importing NumPy, pandas, scikit-learn or TensorFlow again for every
submission costs more than most submissions' own code. When certlab grades (``certlab grade``,
``certlab check`` and everything built on :class:`certlab.grading.ScratchCourse`), a grading
worker keeps a *template*: a Python process inside bubblewrap, with the same view of the file
system and the same limits as a cold sandboxed kernel (:mod:`certlab.grading.sandbox`), that
has imported ipykernel and run the import lines of the assignment's locked setup cell, and
nothing else. For every notebook nbgrader executes, the template forks a child that becomes
the kernel; the child is never reused.

What keeps two submissions of one template apart:

- memory: a child is a copy-on-write fork; whatever it changes (module attributes, patched
  functions, ``sys.modules``) lives in its own pages and dies with it;
- one child at a time: the next child is forked only when the previous one and everything it
  started are gone (the template kills every process of its PID namespace but itself) and every
  place a child can write is emptied (``/tmp`` with the home folder, ``/dev/shm``, the folder
  the submission is copied into). The root of the sandbox is read-only, so nothing else
  persists;
- the template is not dumpable (``PR_SET_DUMPABLE`` 0): a child, which runs as the same user
  inside the sandbox, cannot trace it, read or write its memory or open its file descriptors.
  It can kill or stop the template: the grader then notices, fails only the pair that was
  running, and starts a fresh template (a kernel under a dead template is stopped with it);
- the submission's files reach the template through a read-only folder, and the kernel talks
  to the grader over Unix sockets in a folder of its own, as a cold kernel does.

A result is the same as with a cold kernel: the child gets the kernel's environment, working
folder, ``sys.path`` and ``sys.argv`` as ``python -m ipykernel_launcher`` would, NumPy's global
generator is reseeded from the OS as a fresh import would be, and the setup cell runs again in
the child (its imports are then found in ``sys.modules``). Where the template cannot be used
(no bubblewrap, ``CERTLAB_WARM=0``, a kernel started outside a grading pipeline, a template that
failed) the kernel starts cold, exactly as before.
"""

from __future__ import annotations

import ast
import atexit
import collections
import contextlib
import functools
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.provisioning import LocalProvisioner
from nbgrader.preprocessors import NbGraderPreprocessor

# How many templates one grading process keeps (one per distinct setup cell and folder).
MAX_TEMPLATES = 2
START_TIMEOUT = 300  # importing TensorFlow on a busy machine
REPLY_TIMEOUT = 60
# The setup statements the next kernel start in this process warms up with (set by WarmSetup
# just before nbgrader's Execute runs, taken by that launch), or None: a cold start.
_NEXT: dict[str, Any] = {"setup": None}  # a warmup(): (setup statements, modules to preload)
_TEMPLATES: collections.OrderedDict[tuple, Template] = collections.OrderedDict()
_LOCK = threading.Lock()
# What this process did: templates started, kernels forked, warm launches that fell back to cold.
STATS: collections.Counter = collections.Counter()


def enabled() -> bool:
    return os.environ.get("CERTLAB_WARM", "1") not in ("0", "off", "no", "false")


# --------------------------------------------------------------------------------------------
# Which statements warm a template up
# --------------------------------------------------------------------------------------------


def _is_environ(node: ast.AST) -> bool:
    """``os.environ`` (as an attribute of a name ``os``)."""
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def _is_warm_statement(node: ast.stmt) -> bool:
    """Imports, and settings of environment variables to constants (which must come before the
    imports that read them, e.g. ``OMP_WAIT_POLICY`` or ``HF_HUB_OFFLINE``)."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return not (isinstance(node, ast.ImportFrom) and node.level)
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        return (
            isinstance(target, ast.Subscript)
            and _is_environ(target.value)
            and isinstance(target.slice, ast.Constant)
            and isinstance(node.value, ast.Constant)
        )
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        call = node.value
        return (
            isinstance(call.func, ast.Attribute)
            and call.func.attr == "setdefault"
            and _is_environ(call.func.value)
            and all(isinstance(a, ast.Constant) for a in call.args)
            and not call.keywords
        )
    return False


def _instructors(cell) -> bool:
    """A locked cell with a grade id: after nbgrader's OverwriteCells, its source is the
    instructor's (a cell a learner marks locked has no grade id nbgrader knows, and loses it)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("locked") and meta.get("grade_id"))


def setup_statements(nb) -> tuple[str, ...]:
    """The leading imports (and constant environment settings) of a notebook's locked setup
    cell: what a template runs before forking kernels for it. Empty when the first code cell is
    not the instructor's (a learner could have written it) or starts otherwise."""
    cell = next((c for c in nb.cells if c.get("cell_type") == "code"), None)
    return _setup_of(cell.source) if cell is not None and _instructors(cell) else ()


@functools.lru_cache(maxsize=64)
def _setup_of(source: str) -> tuple[str, ...]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ()
    out = []
    for node in tree.body:
        if not _is_warm_statement(node):
            break
        out.append(ast.get_source_segment(source, node) or ast.unparse(node))
    return tuple(out)


def preload_modules(nb) -> tuple[str, ...]:
    """The modules the instructor's locked cells import anywhere (the tests' own imports, hidden
    ones included once OverwriteCells has restored them): a template imports them too, without
    binding a name, so that a kernel finds them in ``sys.modules``. ``from m import x`` lists
    ``m`` and ``m:x`` (``x`` may be a submodule). Sorted, so the same notebook warms up the same
    way whatever the learner did to the other cells."""
    sources = (c.source for c in nb.cells if c.get("cell_type") == "code" and _instructors(c))
    return tuple(sorted({name for source in sources for name in _imports_of(source)}))


@functools.lru_cache(maxsize=1024)
def _imports_of(source: str) -> frozenset[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return frozenset()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}:{alias.name}" for alias in node.names if alias.name != "*")
    return frozenset(names)


def source_modules(source_nb) -> tuple[str, ...]:
    """The modules the instructor's source notebook imports outside its solutions: its demo and
    toolbox cells (read from the source, since a learner can change their own copy of them) and
    its tests, hidden parts included. Not the solutions' imports, which a learner could otherwise
    read from ``sys.modules`` as a hint."""
    sources = (
        c.source
        for c in source_nb.cells
        if c.get("cell_type") == "code" and not c.get("metadata", {}).get("nbgrader", {}).get("solution")
    )
    return tuple(sorted({name for source in sources for name in _imports_of(source)}))


@functools.lru_cache(maxsize=64)
def _source_modules_at(path: str, stamp: int) -> tuple[str, ...]:
    import nbformat

    return source_modules(nbformat.read(path, as_version=4))


def warmup(nb, source_nb=None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What a template for this notebook runs: (setup statements, modules to preload), with the
    imports of its source notebook's non-solution cells when that is given."""
    preload = set(preload_modules(nb)) | set(source_modules(source_nb) if source_nb is not None else ())
    return setup_statements(nb), tuple(sorted(preload))


class WarmSetup(NbGraderPreprocessor):
    """Placed just before nbgrader's Execute (after OverwriteCells has restored the locked
    cells from the gradebook): the next kernel of this process comes from a template warmed up
    with this notebook's setup imports."""

    def preprocess(self, nb, resources):
        if not enabled():
            _NEXT["setup"] = None
            return nb, resources
        setup, preload = warmup(nb)
        _NEXT["setup"] = (setup, tuple(sorted(set(preload) | set(self._source_modules(resources)))))
        return nb, resources

    def _source_modules(self, resources) -> tuple[str, ...]:
        """:func:`source_modules` of this notebook's source in the course (none if not found)."""
        try:
            info = resources["nbgrader"]
            course = self.config.get("CourseDirectory", {})
            folder = Path(str(course.get("root", "."))) / str(course.get("source_directory", "source"))
            path = folder / str(info["assignment"]) / f"{info['notebook']}.ipynb"
            return _source_modules_at(str(path), path.stat().st_mtime_ns)
        except Exception:  # noqa: BLE001 - no source here: the submission's locked cells only
            return ()


# --------------------------------------------------------------------------------------------
# The grader's side: templates and the kernel provisioner
# --------------------------------------------------------------------------------------------


class TemplateError(Exception):
    pass


def writable_base(cwd: str) -> str:
    """Where the template copies a submission: the temporary folder when the kernel's working
    folder is under it (scratch courses), else the folder two levels up (``autograded/`` of a
    course, whose ``<student>/<assignment>`` the working folder is)."""
    cwd = os.path.realpath(cwd)
    tmp = os.path.realpath(tempfile.gettempdir())
    if cwd == tmp or cwd.startswith(tmp.rstrip("/") + "/"):
        return tmp
    base = os.path.dirname(os.path.dirname(cwd))
    if base in ("/", "") or base.count("/") < 2:
        raise TemplateError(f"{cwd} is too close to the root to be a submission's folder")
    return base


class Template:
    """One template process (in bubblewrap) and the kernel it has forked, if any."""

    def __init__(self, setup: tuple[tuple[str, ...], tuple[str, ...]], base: str):
        from certlab.grading.sandbox import ENV_PREFIX

        self.setup, self.base = setup, base
        # Folders and a cgroup run of its own: the template outlives the sandboxed() block that
        # first needed it (a ScratchCourse grades one submission per block).
        self.folder = Path(tempfile.mkdtemp(prefix="certlab-warm-"))
        self.slot, self.sockets = self.folder / "s", self.folder / "k"
        self.slot.mkdir()
        self.sockets.mkdir()
        self.run = f"certlab-warm-{uuid.uuid4().hex[:12]}"
        env = dict(os.environ, **{ENV_PREFIX + "RUN": self.run})
        self.messages: queue.Queue = queue.Queue()
        self.child: int | None = None
        self.exit_code: int | None = None
        self.clean = threading.Event()  # no kernel, and the last one's traces wiped
        self.clean.set()
        self.exited = threading.Event()  # the current kernel has ended (its traces may remain)
        self.exited.set()
        self.dead = False
        cmd = [
            sys.executable,
            "-m",
            "certlab.grading.sandbox",
            "--template",
            json.dumps({"base": base, "slot": str(self.slot), "sockets": str(self.sockets)}),
            "--",
            sys.executable,
            "-c",
            "import certlab.grading.warm_template as w; w.template_main()",
        ]
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True, cwd="/", env=env
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self._send({"op": "init", "setup": list(setup[0]), "preload": list(setup[1])})
        reply = self._reply(START_TIMEOUT)
        if not reply.get("ok"):
            self.close()
            raise TemplateError(reply.get("error", "the template did not start"))

    def _send(self, message: dict) -> None:
        try:
            self.proc.stdin.write((json.dumps(message) + "\n").encode())
            self.proc.stdin.flush()
        except (OSError, ValueError) as exc:
            self.dead = True
            raise TemplateError(f"the template is gone ({exc})") from None

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            event = message.get("event")
            if event == "exit":
                self.exit_code = message.get("code", -1)
                self.exited.set()
            elif event == "clean":
                self.child = None
                self.clean.set()
            elif event == "dirty":
                self.dead = True
                self.clean.set()
            else:
                self.messages.put(message)
        # The template (or its sandbox) ended: its kernel ended with it.
        self.dead = True
        if self.child is not None and self.exit_code is None:
            self.exit_code = -signal.SIGKILL
        self.clean.set()
        self.exited.set()
        self.messages.put({"ok": False, "error": "the template ended"})

    def _reply(self, timeout: float) -> dict:
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            self.close()
            raise TemplateError(f"the template did not answer within {timeout:.0f} s") from None

    @property
    def usable(self) -> bool:
        return not self.dead and self.proc.poll() is None

    def spawn(self, cwd: str, connection: dict, env: dict) -> int:
        """Fork a kernel working in (a copy of) ``cwd``; returns its pid in the sandbox."""
        from certlab.grading.sandbox import check_workdir_size

        if not self.clean.wait(REPLY_TIMEOUT) or not self.usable:
            raise TemplateError("the previous kernel of this template was not cleaned up")
        check_workdir_size(cwd)
        _empty(self.slot)
        shutil.copytree(cwd, self.slot, symlinks=True, dirs_exist_ok=True)
        self.clean.clear()
        self.exited.clear()
        self.exit_code = None
        connection = {k: v.decode() if isinstance(v, bytes) else v for k, v in connection.items()}
        self._send({"op": "spawn", "cwd": os.path.realpath(cwd), "connection": connection, "env": env})
        reply = self._reply(REPLY_TIMEOUT)
        if not reply.get("ok"):
            self.clean.set()
            self.exited.set()
            self.dead = True
            raise TemplateError(reply.get("error", "the template could not fork a kernel"))
        self.child = reply["pid"]
        return self.child

    def poll(self) -> int | None:
        if self.child is None:
            return self.exit_code if self.exit_code is not None else 0
        return self.exit_code

    def signal(self, signum: int) -> None:
        if self.child is not None and self.usable:
            with contextlib.suppress(TemplateError):
                self._send({"op": "signal", "sig": int(signum)})

    def kill(self) -> None:
        """Stop the kernel and everything it started. Returns once the kernel has ended; the
        template wipes its traces meanwhile, and the next kernel is forked only after that
        (:meth:`spawn` waits for it), so grading goes on while the template cleans up."""
        if self.child is None:
            return
        if self.usable:
            with contextlib.suppress(TemplateError):
                self._send({"op": "kill"})
            if self.exited.wait(REPLY_TIMEOUT):
                return
        self.close()

    def close(self) -> None:
        self.dead = True
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(10)
        if self.exit_code is None and self.child is not None:
            self.exit_code = -signal.SIGKILL
        self.clean.set()
        self.exited.set()
        from certlab.grading.sandbox import _kill_and_remove

        _kill_and_remove(self.run)
        shutil.rmtree(self.folder, ignore_errors=True)


def _empty(folder: Path) -> None:
    """Remove everything inside ``folder`` (never following symbolic links)."""
    for entry in list(os.scandir(folder)):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def template_for(setup: tuple[tuple[str, ...], tuple[str, ...]], cwd: str) -> Template:
    """This process's template for ``setup`` (a :func:`warmup`; started on first use; the least recently used
    one is closed beyond :data:`MAX_TEMPLATES`)."""
    from certlab.grading.sandbox import environment_key

    key = (setup, writable_base(cwd), environment_key())
    with _LOCK:
        template = _TEMPLATES.pop(key, None)
        if template is not None and not template.usable:
            template.close()
            template = None
        if template is None:
            while len(_TEMPLATES) >= MAX_TEMPLATES:
                _TEMPLATES.popitem(last=False)[1].close()
            template = Template(setup, key[1])
            STATS["templates"] += 1
        _TEMPLATES[key] = template
        return template


def close_templates() -> None:
    with _LOCK:
        while _TEMPLATES:
            _TEMPLATES.popitem()[1].close()


atexit.register(close_templates)
with contextlib.suppress(ImportError):  # worker processes of multiprocessing skip atexit
    from multiprocessing import util as _mp_util

    _mp_util.Finalize(None, close_templates, exitpriority=10)


class ReadyKernelClient(AsyncKernelClient):
    """jupyter_client's kernel client, except how it knows a kernel is ready: after the
    kernel_info reply, jupyter_client drains IOPub until 0.2 s pass without a message, a fixed
    0.2 s for every notebook graded. Here the draining stops at the idle status of that very
    kernel_info request, the last message it causes. If that status does not come (IOPub not
    connected yet), kernel_info is sent again, as jupyter_client does. The kernel and what it
    prints are the same; messages of other requests are ignored by nbclient either way."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        from queue import Empty

        deadline = time.time() + (float("inf") if timeout is None else timeout)
        while True:
            request = self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                while True:
                    try:
                        msg = await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:
                        break
                    if (
                        msg["msg_type"] == "status"
                        and msg["parent_header"].get("msg_id") == request
                        and msg["content"].get("execution_state") == "idle"
                    ):
                        self._handle_kernel_info_reply(reply)
                        return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.time() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")


class WarmProvisioner(LocalProvisioner):
    """Launches a kernel by forking it from this process's template when the launch belongs to
    a grading pipeline (see :class:`WarmSetup`), and cold (the kernelspec's command, as
    :class:`LocalProvisioner` does) otherwise or when the template fails."""

    template: Template | None = None

    def _wanted(self) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        from certlab.grading.sandbox import isolation_on, isolation_problem

        setup, _NEXT["setup"] = _NEXT["setup"], None  # only the launch that follows WarmSetup
        if setup is None or not enabled() or not isolation_on() or isolation_problem():
            return None
        return setup

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        setup, cwd = self._wanted(), kwargs.get("cwd") or os.getcwd()
        self.template = None
        if setup is not None and self.parent is not None and self.parent.transport == "ipc":
            try:
                self.template = template_for(setup, str(cwd))
            except (TemplateError, OSError) as exc:
                self.log.warning("certlab: warm kernel unavailable, starting cold (%s)", exc)
                STATS["fell back"] += 1
            else:
                # The kernel's sockets go into the template's socket folder (bound in its sandbox),
                # emptied of whatever the previous kernel left there before ports are chosen.
                self.template.clean.wait(REPLY_TIMEOUT)
                _empty(self.template.sockets)
                self.parent.ip = str(self.template.sockets / "k")
        return await super().pre_launch(**kwargs)

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        if self.template is not None:
            try:
                env = dict(kwargs.get("env") or os.environ)
                self.pid = self.template.spawn(str(kwargs.get("cwd") or os.getcwd()), self.connection_info, env)
                STATS["forked"] += 1
                self.pgid = None
                self.cwd = kwargs.get("cwd")
                return self.connection_info
            except (TemplateError, OSError) as exc:
                self.log.warning("certlab: warm kernel failed, starting cold (%s)", exc)
                STATS["fell back"] += 1
                with contextlib.suppress(Exception):
                    self.template.close()
                self.template = None
        return await super().launch_kernel(cmd, **kwargs)

    @property
    def has_process(self) -> bool:
        if self.template is not None:
            return self.template.child is not None
        return super().has_process

    async def poll(self) -> int | None:
        if self.template is not None:
            return self.template.poll()
        return await super().poll()

    async def wait(self) -> int | None:
        if self.template is None:
            return await super().wait()
        import asyncio

        while self.template.poll() is None:
            await asyncio.sleep(0.05)
        return self.template.poll()

    async def send_signal(self, signum: int) -> None:
        if self.template is not None:
            self.template.signal(signum)
            return
        await super().send_signal(signum)

    async def kill(self, restart: bool = False) -> None:
        if self.template is not None:
            import asyncio

            await asyncio.get_running_loop().run_in_executor(None, self.template.kill)
            return
        await super().kill(restart)

    async def terminate(self, restart: bool = False) -> None:
        await self.kill(restart)

    async def cleanup(self, restart: bool = False) -> None:
        if self.template is not None:
            import asyncio

            await asyncio.get_running_loop().run_in_executor(None, self.template.kill)
            _empty(self.template.sockets)
        await super().cleanup(restart)
