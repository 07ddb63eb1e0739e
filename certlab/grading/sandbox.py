"""A sandboxed Python kernel for grading: bubblewrap namespaces and limits around ipykernel.

``certlab grade`` and ``certlab check`` put a kernelspec named ``python3`` first on
``JUPYTER_PATH`` (see :func:`sandboxed`); nbgrader's executor then starts every kernel through
``python -m certlab.grading.sandbox -- <ipykernel command>``. Before it becomes the kernel, the
wrapper

- caps core dumps and the size of any file written (``RLIMIT_FSIZE``);
- joins a fresh cgroup with a memory limit (Binder's 2 GB by default) and a process limit, where
  the platform lets it create one (cgroup v1 or v2; otherwise ``RLIMIT_AS`` for the memory);
- execs bubblewrap (``bwrap``, the sandbox Flatpak uses), which gives the kernel its own user,
  mount, PID, IPC, UTS, cgroup and network namespaces. Its file system holds: its working folder
  (the scratch copy of this one submission that nbgrader executes in, read-write), the course's
  ``data/`` folder, the Python installation and the ``certlab`` package read-only (without the
  data generator, which can rebuild held-out labels, and the item banks), the system folders
  read-only, a private ``/tmp`` and an empty home. ``source/``, ``release/``, ``submitted/``,
  ``autograded/``, other students, the gradebook and ``nbgrader_config.py`` are not there at all.
  The network namespace has only a loopback (Spark's driver, a model server on 127.0.0.1 work);
  the kernel talks to its client over Unix sockets in a folder of its own (``ipc`` transport,
  see :func:`kernel_config`). Inside, the kernel is uid 65534 with no capabilities; a process in
  the PID namespace cannot signal the grader.

Where bubblewrap cannot run (not Linux, not installed, no user namespaces) the kernel gets the
limits only, :func:`describe` says exactly what is off, and ``certlab grade --require-isolation``
refuses to grade. ``CERTLAB_SANDBOX_NETWORK=on`` keeps the host's network for courses that need it.
Cell and notebook timeouts and the output cap are nbgrader's own (``Execute.timeout``,
``LimitOutput``).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

ENV_PREFIX = "CERTLAB_SANDBOX_"
DEFAULTS = {
    "MEMORY": str(2 * 2**30),
    "PIDS": "512",
    "FSIZE": str(1 * 2**30),
    "USER": "nobody",
    "NETWORK": "off",
}
CGROUP_V1 = Path("/sys/fs/cgroup")


def _setting(name: str) -> str:
    return os.environ.get(ENV_PREFIX + name, DEFAULTS.get(name, ""))


def parse_size(text: str) -> int:
    text = text.strip().upper()
    factor = {"K": 2**10, "M": 2**20, "G": 2**30}.get(text[-1:], 1)
    return int(float(text.rstrip("KMG")) * factor)


def _cgroup_dirs(run: str) -> list[Path]:
    """Where this run may create kernel cgroups: v1 memory and pids hierarchies, or v2."""
    if (CGROUP_V1 / "cgroup.controllers").exists():  # v2, unified
        return [CGROUP_V1 / run]
    return [CGROUP_V1 / ctl / run for ctl in ("memory", "pids") if (CGROUP_V1 / ctl).is_dir()]


def _join_cgroups(run: str, memory: int, pids: int) -> bool:
    joined = False
    for parent in _cgroup_dirs(run):
        group = parent / f"kernel-{os.getpid()}"
        try:
            group.mkdir(parents=True, exist_ok=True)
            limits = {
                "memory.limit_in_bytes": memory,
                "memory.max": memory,
                "pids.max": pids,
            }
            for name, value in limits.items():
                if (group / name).exists():
                    (group / name).write_text(str(value))
            (group / "cgroup.procs").write_text(str(os.getpid()))
            joined = joined or (group / "memory.limit_in_bytes").exists() or (group / "memory.max").exists()
        except OSError:
            continue
    return joined


KERNEL_UID = 65534  # "nobody" inside the kernel's user namespace
# Parts of the certlab package a kernel must not reach: the data generator rebuilds held-out
# labels, the item banks hold the mock exams' keys.
HIDDEN_PACKAGE_PARTS = ("datagen", "exams")
# A submission's folder is small; a kernel started elsewhere (a repository, a home folder) would
# copy far too much.
MAX_WORKDIR, MAX_WORKDIR_FILES = 512 * 2**20, 5000
# System folders a Python kernel (and a JVM for Spark) needs, read-only. Of /sys only the CPU
# topology (joblib counts physical cores there, and warns on stderr, which nbgrader grades as a
# failure, when it cannot): the whole of /sys in a new PID namespace breaks the JVM's container
# detection, and Spark with it.
SYSTEM_DIRS = (
    "/usr",
    "/etc",
    "/opt",
    "/sys/devices/system/cpu",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/bin",
    "/sbin",
)


# Environment variables that change what an import does or what the sandbox enforces: a
# warm-kernel template (certlab.grading.warm) is reused only while they stay the same (a child gets the exact environment anyway).
_ENV_PREFIXES = (
    "CERTLAB_",
    "OMP_",
    "OPENBLAS_",
    "MKL_",
    "BLIS_",
    "NUMEXPR_",
    "TF_",
    "KERAS_",
    "TORCH",
    "CUDA",
    "PYTHON",
    "MPL",
    "HF_",
    "TRANSFORMERS_",
    "MLFLOW_",
    "SPARK_",
    "PYSPARK_",
    "JAVA_",
    "LD_",
    "LANG",
    "LC_",
    "TZ",
)
# Not part of the key: the sandbox's per-run folders, the check server's own switches, and what
# native libraries set in the grading process itself once they are loaded (OMP_WAIT_POLICY).
_ENV_VOLATILE = {
    "CERTLAB_SANDBOX_RUN",
    "CERTLAB_SANDBOX_SCRATCH",
    "CERTLAB_CHECK_SERVER",
    "CERTLAB_CHECK_SERVER_IDLE",
    "OMP_WAIT_POLICY",
}


def environment_key(env: dict | None = None) -> tuple:
    """The variables of ``env`` (default: this process's) that a warm template and the check server
    are keyed on."""
    env = os.environ if env is None else env
    return tuple(sorted((k, v) for k, v in env.items() if k.startswith(_ENV_PREFIXES) and k not in _ENV_VOLATILE))


def network_allowed() -> bool:
    return _setting("NETWORK").lower() in ("on", "1", "yes", "true")


def bwrap_path() -> str | None:
    """The bubblewrap binary, if installed (``CERTLAB_BWRAP`` overrides, an empty value disables)."""
    if not sys.platform.startswith("linux"):
        return None
    configured = os.environ.get("CERTLAB_BWRAP")
    if configured is not None:
        return configured or None
    return shutil.which("bwrap")


def _python_roots() -> list[str]:
    """Folders holding the interpreter, the environment's packages and the certlab package."""
    roots = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, sys.exec_prefix)}
    roots.add(os.path.dirname(os.path.realpath(sys.executable)))
    roots.add(str(Path(__file__).resolve().parents[1]))  # the certlab package (an editable install lives in a repo)
    out: list[str] = []
    for root in sorted(roots, key=len):
        if not any(root == o or root.startswith(o.rstrip("/") + "/") for o in out):
            out.append(root)
    return out


# What bubblewrap sets in a kernel's environment (a warm kernel sets the same, see
# certlab.grading.warm). ipykernel exits when its parent process is gone; in the PID namespace
# the client's PID means nothing (1 turns the watch off), and --die-with-parent does that job.
KERNEL_HOME = "/tmp/home"
KERNEL_ENV = {
    "HOME": KERNEL_HOME,
    "MPLCONFIGDIR": KERNEL_HOME + "/.matplotlib",
    "TMPDIR": "/tmp",
    "JPY_PARENT_PID": "1",
}


def _base_args() -> list[str]:
    """What every sandbox gets: namespaces, no capabilities, the system folders, the Python
    environment and data/ read-only, a private /tmp with an empty home."""
    args = ["--unshare-all", "--die-with-parent", "--cap-drop", "ALL"]
    if network_allowed():
        args.append("--share-net")
    if os.geteuid() == 0:
        args += ["--uid", str(KERNEL_UID), "--gid", str(KERNEL_UID)]
    for folder in SYSTEM_DIRS:
        if os.path.islink(folder):
            args += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            args += ["--ro-bind", folder, folder]
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--dir", "/tmp/home"]
    for root in _python_roots():
        args += ["--ro-bind", root, root]
    package = Path(__file__).resolve().parents[1]
    for part in HIDDEN_PACKAGE_PARTS:
        if (package / part).is_dir():
            args += ["--tmpfs", str(package / part)]
    data = os.environ.get("CERTLAB_DATA")
    if data and os.path.isdir(data):
        args += ["--ro-bind", os.path.realpath(data), os.path.realpath(data)]
    return args


def _env_args() -> list[str]:
    args = []
    for name, value in KERNEL_ENV.items():
        args += ["--setenv", name, value]
    return args


def bwrap_args(connection_file: str | None, workdir: str) -> list[str]:
    """The bubblewrap command line (up to ``--``) for a kernel working in ``workdir``."""
    args = _base_args()
    workdir = os.path.realpath(workdir)
    args += ["--bind", _scratch_copy(workdir), workdir]
    if connection_file:
        connection_file = os.path.realpath(connection_file)
        sockets = _ipc_folder(connection_file)
        if sockets:
            args += ["--bind", sockets, sockets]
        args += ["--ro-bind", connection_file, connection_file]
    return args + _env_args() + ["--chdir", workdir]


def template_args(base: str, slot: str, sockets: str) -> list[str]:
    """The bubblewrap command line for a warm-kernel template (:mod:`certlab.grading.warm`):
    the view of a kernel, except that submissions arrive through ``slot`` (read-only) and are
    copied into ``base`` (a private tmpfs, or the private /tmp itself); the kernels' sockets go
    into ``sockets``. The root and /dev are read-only, so that what one kernel writes can only
    be in places the template empties before the next one."""
    args = _base_args()
    if base != "/tmp":
        args += ["--perms", "0755", "--tmpfs", base]
    args += ["--tmpfs", "/dev/shm"]
    args += ["--ro-bind", slot, slot, "--bind", sockets, sockets]
    args += _env_args() + ["--setenv", "CERTLAB_WARM_BASE", base, "--setenv", "CERTLAB_WARM_SLOT", slot]
    return args + ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/"]


def check_workdir_size(workdir: str) -> None:
    """A submission's folder is copied for its kernel: refuse one that is far too large."""
    total, files = 0, 0
    for folder, _, names in os.walk(workdir):
        files += len(names)
        total += sum(os.lstat(os.path.join(folder, n)).st_size for n in names)
        if total > MAX_WORKDIR or files > MAX_WORKDIR_FILES:
            raise SystemExit(
                f"certlab sandbox: the kernel's working folder {workdir} is too large to copy into the "
                f"sandbox (over {MAX_WORKDIR // 2**20} MB or {MAX_WORKDIR_FILES} files): start the "
                "kernel in the submission's own folder"
            )


def _scratch_copy(workdir: str) -> str:
    """A copy of the working folder for the kernel to work in, mounted at the same path.

    nbgrader writes the autograded notebook into that folder after the kernel has run; a kernel
    working in the folder itself could leave a symbolic link there that nbgrader then writes
    through (onto another student's notebook, or the gradebook). The copy lives in this run's
    sandbox folder and goes with it."""
    check_workdir_size(workdir)
    base = os.environ.get(ENV_PREFIX + "SCRATCH") or tempfile.gettempdir()
    scratch = tempfile.mkdtemp(prefix="w", dir=base)
    shutil.copytree(workdir, scratch, symlinks=True, dirs_exist_ok=True)
    return scratch


def _ipc_folder(connection_file: str) -> str | None:
    """The folder of this kernel's Unix sockets (its own, see :func:`kernel_config`)."""
    try:
        info = json.loads(Path(connection_file).read_text())
    except (OSError, ValueError):
        return None
    if info.get("transport") != "ipc":
        return None
    return os.path.dirname(os.path.realpath(info["ip"]))


def kernel_config() -> dict:
    """Traitlets settings for a client that starts kernels inside :func:`sandboxed` (empty
    outside it):

    - Unix-socket transport with the sockets in a folder of this client's own, so that the
      kernel can live in its own network namespace and sees no other kernel's sockets (unless
      the network is allowed);
    - nbgrader's executor stops the kernel at once (its process group) when the last cell has
      run instead of waiting for a graceful exit: nothing the kernel does then can change a
      grade, and the sandbox ends whatever is left of it;
    - the client knows the kernel is ready when it has answered kernel_info, without the fixed
      0.2 s of silence jupyter_client waits for (:class:`certlab.grading.warm.ReadyKernelClient`).
    """
    runtime = os.environ.get("JUPYTER_RUNTIME_DIR")
    if not os.environ.get(ENV_PREFIX + "RUN"):
        return {}
    config: dict = {"Execute": {"shutdown_kernel": "immediate"}}
    if not network_allowed() and runtime:
        # An absolute socket prefix in a folder of its own: the kernel and its client have
        # different working folders, and parallel graders share the runtime folder.
        folder = os.path.join(runtime, f"c{os.getpid()}-{uuid.uuid4().hex[:8]}")
        os.mkdir(folder, 0o700)
        config["KernelManager"] = {"transport": "ipc", "ip": os.path.join(folder, "k")}
    config.setdefault("KernelManager", {})["client_class"] = "certlab.grading.warm.ReadyKernelClient"
    return config


def apply_limits() -> None:
    """Resource limits for this process and everything it starts."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    fsize = parse_size(_setting("FSIZE"))
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    memory, pids = parse_size(_setting("MEMORY")), int(_setting("PIDS"))
    run = os.environ.get(ENV_PREFIX + "RUN")
    if not (run and _join_cgroups(run, memory, pids)):
        # No cgroup: the address-space limit is a blunter stand-in (it also counts reservations).
        resource.setrlimit(resource.RLIMIT_AS, (memory * 2, memory * 2))


def main(argv: list[str] | None = None) -> None:
    """``python -m certlab.grading.sandbox -- CMD...``: apply the limits, then become CMD inside
    bubblewrap (or, where bubblewrap cannot run, CMD itself with the limits only)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    template = None
    if argv[:1] == ["--template"]:  # a warm-kernel template: its folders as JSON
        template, argv = json.loads(argv[1]), argv[2:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        raise SystemExit("usage: python -m certlab.grading.sandbox [--template JSON] -- COMMAND [ARGS...]")
    connection = argv[argv.index("-f") + 1] if "-f" in argv else None
    apply_limits()
    bwrap = isolation_on()
    if template is not None:
        if not bwrap:
            raise SystemExit("certlab sandbox: a warm-kernel template needs bubblewrap")
        os.execv(bwrap, [bwrap, *template_args(template["base"], template["slot"], template["sockets"]), "--", *argv])
    if bwrap:
        command = [bwrap, *bwrap_args(connection, os.getcwd()), "--", *argv]
        os.execv(bwrap, command)
    os.execv(argv[0], argv)


def isolation_on() -> str | None:
    """The bubblewrap binary kernels start in, or None (not installed, or switched off)."""
    return bwrap_path() if os.environ.get(ENV_PREFIX + "ISOLATION", "1") == "1" else None


def _probe_cgroups() -> str | None:
    """Which cgroup version this process could put kernels in, if any (creates and removes a
    probe group)."""
    probe = f"certlab-probe-{uuid.uuid4().hex[:8]}"
    dirs = _cgroup_dirs(probe)
    try:
        for d in dirs:
            d.mkdir(parents=True)
        return "cgroup v2" if (CGROUP_V1 / "cgroup.controllers").exists() else "cgroup v1" if dirs else None
    except OSError:
        return None
    finally:
        for d in dirs:
            with contextlib.suppress(OSError):
                d.rmdir()


_PROBE: dict[str, str | None] = {}


def isolation_problem() -> str | None:
    """None when kernels can be isolated here; otherwise why not (tried once per process, with
    the same bubblewrap options a kernel gets, in a throw-away sandbox)."""
    if "result" in _PROBE:
        return _PROBE["result"]
    bwrap = bwrap_path()
    if bwrap is None:
        problem = (
            "bubblewrap is not available on this platform"
            if not sys.platform.startswith("linux")
            else "bubblewrap (bwrap) is not installed: apt-get install bubblewrap"
        )
    else:
        import subprocess
        import tempfile

        with tempfile.TemporaryDirectory(prefix="certlab-probe-") as work:
            probe = "import os, socket; socket.socket().close(); print(os.getuid())"
            try:
                done = subprocess.run(
                    [bwrap, *bwrap_args(None, work), "--", sys.executable, "-c", probe],
                    capture_output=True,
                    text=True,
                    timeout=60,
                )
                problem = None if done.returncode == 0 else f"bubblewrap cannot start here: {done.stderr.strip()}"
            except (OSError, subprocess.TimeoutExpired) as exc:
                problem = f"bubblewrap cannot start here: {exc}"
    _PROBE["result"] = problem
    return problem


def network_isolation_available() -> bool:
    """Do kernels get a network namespace of their own here?"""
    return isolation_problem() is None and not network_allowed()


def describe() -> str:
    """One line on what the sandbox enforces on this machine, for the grader's output."""
    memory = parse_size(_setting("MEMORY")) / 2**30
    cgroups = _probe_cgroups()
    problem = isolation_problem()
    if problem:
        parts = [f"NO isolation ({problem}): kernels see the whole file system and the network"]
    else:
        parts = [
            "bubblewrap namespaces: a kernel sees its working copy, data/ and the Python environment "
            "(read-only), a private /tmp, nothing else of the course",
            "network allowed (CERTLAB_SANDBOX_NETWORK)" if network_allowed() else "no network",
            f"uid {KERNEL_UID} without capabilities in its own user namespace",
        ]
    parts += [
        f"memory {memory:.1f} GB and {_setting('PIDS')} processes per kernel ({cgroups})"
        if cgroups
        else f"address space {2 * memory:.1f} GB per kernel (no cgroups here)",
        f"files up to {parse_size(_setting('FSIZE')) / 2**30:.1f} GB",
    ]
    return "; ".join(parts)


def _kill_and_remove(run: str) -> None:
    for parent in _cgroup_dirs(run):
        if not parent.is_dir():
            continue
        for group in [*parent.glob("kernel-*"), parent]:
            procs = group / "cgroup.procs"
            with contextlib.suppress(OSError):
                for pid in procs.read_text().split():
                    with contextlib.suppress(OSError):
                        os.kill(int(pid), signal.SIGKILL)
            with contextlib.suppress(OSError):
                group.rmdir()


@contextlib.contextmanager
def sandboxed(memory: str | None = None, enabled: bool = True) -> Iterator[Path | None]:
    """Within this block, kernels named ``python3`` start sandboxed (via ``JUPYTER_PATH``)."""
    if not enabled or os.environ.get(ENV_PREFIX + "RUN"):
        yield None
        return
    run = f"certlab-{uuid.uuid4().hex[:12]}"
    folder = Path(tempfile.mkdtemp(prefix="certlab-kernels-"))
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [
        sys.executable,
        "-m",
        "certlab.grading.sandbox",
        "--",
        sys.executable,
        "-m",
        "ipykernel_launcher",
        "-f",
        "{connection_file}",
    ]
    spec.joinpath("kernel.json").write_text(
        # Interrupts (cell timeouts) go as a message: a signal would reach bubblewrap, not the kernel.
        json.dumps(
            {
                "argv": argv,
                "display_name": "Python 3 (certlab sandbox)",
                "language": "python",
                "interrupt_mode": "message",
                # Grading kernels fork from a warm template (certlab.grading.warm); others start cold.
                "metadata": {"kernel_provisioner": {"provisioner_name": "certlab-warm"}},
            }
        )
    )
    os.chmod(folder, 0o755)
    # Connection files and ipc sockets live here: a short path (Unix socket paths are limited to
    # 107 bytes) that a kernel which dropped its privileges can still create sockets in.
    runtime = folder / "rt"
    runtime.mkdir()
    os.chmod(runtime, 0o1777)
    scratch = folder / "work"
    scratch.mkdir()
    names = ("JUPYTER_PATH", "JUPYTER_RUNTIME_DIR", ENV_PREFIX + "RUN", ENV_PREFIX + "MEMORY", ENV_PREFIX + "SCRATCH")
    saved = {k: os.environ.get(k) for k in names}
    os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(folder), saved["JUPYTER_PATH"]) if p)
    os.environ["JUPYTER_RUNTIME_DIR"] = str(runtime)
    os.environ[ENV_PREFIX + "RUN"] = run
    os.environ[ENV_PREFIX + "SCRATCH"] = str(scratch)
    if memory:
        os.environ[ENV_PREFIX + "MEMORY"] = str(parse_size(memory))
    try:
        yield folder
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        _kill_and_remove(run)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
