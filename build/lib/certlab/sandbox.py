"""A sandboxed Python kernel for grading: limits applied before ipykernel starts.

``certlab grade`` and ``certlab check`` put a kernelspec named ``python3`` first on
``JUPYTER_PATH`` (see :func:`sandboxed`); nbgrader's executor then starts every kernel through
``python -m certlab.sandbox -- <ipykernel command>``, which, before it becomes the kernel:

- caps core dumps and the size of any file written (``RLIMIT_FSIZE``);
- joins a fresh cgroup with a memory limit (Binder's 2 GB by default) and a process limit, where
  the platform lets it create one (cgroup v1 or v2; otherwise ``RLIMIT_AS`` for the memory);
- moves into a network namespace of its own with only a loopback interface, so a submission
  reaches nothing outside its kernel (not the internet, not the grader's loopback services);
  kernels in the sandbox talk to their client over Unix sockets (``ipc`` transport, see
  :func:`kernel_config`) because a TCP connection could not cross into the namespace. As root
  this is a plain ``unshare(CLONE_NEWNET)``; otherwise an unprivileged user namespace where the
  platform allows one; where neither works the kernel runs with the host's network;
- when grading runs as root and the interpreter is reachable by other users, drops to an
  unprivileged user (``nobody``) with its own empty home, so a submission cannot write to the
  course, its gradebook or other submissions. (An interpreter under a private home folder, such
  as a pyenv install in /root, cannot be run by another user: then the kernel keeps the grader's
  user, and only the static integrity scan stands between a submission and the course files.)

The kernel is its own process group, so jupyter_client's kill reaches everything it started;
:func:`sandboxed` also kills what is left in its cgroups and removes them. Cell and notebook
timeouts and the output cap are nbgrader's own (``Execute.timeout``, ``LimitOutput``).
``CERTLAB_SANDBOX_NETWORK=on`` keeps the host's network for courses that need it.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import pwd
import resource
import shutil
import signal
import socket
import struct
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


def _reachable_by_others(path: str) -> bool:
    """Can another user run this interpreter (every folder on the way traversable)?"""
    real = Path(os.path.realpath(path))
    folders = [real.parent, *real.parent.parents]
    return bool(real.stat().st_mode & 0o001) and all(f.stat().st_mode & 0o001 for f in folders)


def can_drop_privileges() -> bool:
    user = _setting("USER")
    if os.geteuid() != 0 or not user:
        return False
    try:
        pwd.getpwnam(user)
    except KeyError:
        return False
    return _reachable_by_others(sys.executable)


def _drop_privileges(user: str, connection_file: str | None) -> None:
    entry = pwd.getpwnam(user)
    home = Path(tempfile.mkdtemp(prefix="certlab-kernel-home-"))
    os.chown(home, entry.pw_uid, entry.pw_gid)
    if connection_file and os.path.exists(connection_file):
        os.chown(connection_file, entry.pw_uid, entry.pw_gid)
    os.environ.update(HOME=str(home), USER=user, LOGNAME=user, MPLCONFIGDIR=str(home / ".matplotlib"))
    os.setgroups([])
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)


CLONE_NEWNET, CLONE_NEWUSER = 0x40000000, 0x10000000
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


def network_allowed() -> bool:
    return _setting("NETWORK").lower() in ("on", "1", "yes", "true")


def _unshare(flags: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(flags) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))


def _loopback_up() -> None:
    """A new network namespace starts with ``lo`` down; local servers (Spark's driver, a model
    server on 127.0.0.1) need it up."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH14s", b"lo", 0, b"")
        flags = struct.unpack("16sH", fcntl.ioctl(s, SIOCGIFFLAGS, request)[:18])[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH14s", b"lo", flags | IFF_UP, b""))


def isolate_network() -> bool:
    """Move this process into a network namespace of its own; True when it worked."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        if os.geteuid() == 0:
            _unshare(CLONE_NEWNET)
        else:
            uid, gid = os.geteuid(), os.getegid()
            _unshare(CLONE_NEWUSER | CLONE_NEWNET)
            Path("/proc/self/setgroups").write_text("deny")
            Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
            Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    except OSError:
        return False
    with contextlib.suppress(OSError):
        _loopback_up()
    return True


def _transport(connection_file: str | None) -> str:
    try:
        return json.loads(Path(connection_file).read_text()).get("transport", "tcp") if connection_file else "tcp"
    except (OSError, ValueError):
        return "tcp"


def kernel_config() -> dict:
    """Traitlets settings for a client that starts kernels inside :func:`sandboxed` (empty
    outside it):

    - Unix-socket transport, so that the kernel can live in its own network namespace (unless
      the network is allowed);
    - nbgrader's executor stops the kernel at once (its process group) when the last cell has
      run instead of waiting for a graceful exit: nothing the kernel does then can change a
      grade, and the sandbox ends whatever is left of it.
    """
    runtime = os.environ.get("JUPYTER_RUNTIME_DIR")
    if not os.environ.get(ENV_PREFIX + "RUN"):
        return {}
    config: dict = {"Execute": {"shutdown_kernel": "immediate"}}
    if not network_allowed() and runtime:
        # An absolute socket prefix, unique to this client: the kernel and its client have
        # different working folders, and parallel graders share the runtime folder.
        prefix = os.path.join(runtime, f"k{os.getpid()}-{uuid.uuid4().hex[:8]}")
        config["KernelManager"] = {"transport": "ipc", "ip": prefix}
    return config


def apply_limits(connection_file: str | None = None) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    fsize = parse_size(_setting("FSIZE"))
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    memory, pids = parse_size(_setting("MEMORY")), int(_setting("PIDS"))
    run = os.environ.get(ENV_PREFIX + "RUN")
    if not (run and _join_cgroups(run, memory, pids)):
        # No cgroup: the address-space limit is a blunter stand-in (it also counts reservations).
        resource.setrlimit(resource.RLIMIT_AS, (memory * 2, memory * 2))
    if not network_allowed() and _transport(connection_file) == "ipc":
        os.environ[ENV_PREFIX + "ISOLATED"] = "1" if isolate_network() else "0"
    if can_drop_privileges():
        _drop_privileges(_setting("USER"), connection_file)


def main(argv: list[str] | None = None) -> None:
    """``python -m certlab.sandbox -- CMD...``: apply the limits, then become CMD."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        raise SystemExit("usage: python -m certlab.sandbox -- COMMAND [ARGS...]")
    connection = argv[argv.index("-f") + 1] if "-f" in argv else None
    apply_limits(connection)
    os.execv(argv[0], argv)


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


def network_isolation_available() -> bool:
    """Can kernels get a network namespace here? (Tried in a throw-away child process.)"""
    import subprocess

    probe = "from certlab.sandbox import isolate_network as i; raise SystemExit(0 if i() else 1)"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True).returncode == 0


def describe() -> str:
    """One line on what the sandbox enforces on this machine, for the grader's output."""
    memory = parse_size(_setting("MEMORY")) / 2**30
    cgroups = _probe_cgroups()
    parts = [
        f"memory {memory:.1f} GB and {_setting('PIDS')} processes per kernel ({cgroups})"
        if cgroups
        else f"address space {2 * memory:.1f} GB per kernel (no cgroups here)",
        f"files up to {parse_size(_setting('FSIZE')) / 2**30:.1f} GB",
    ]
    if network_allowed():
        parts.append("network allowed (CERTLAB_SANDBOX_NETWORK)")
    else:
        isolated = network_isolation_available()
        parts.append("no network" if isolated else "network NOT isolated (no network namespaces here)")
    if can_drop_privileges():
        parts.append(f"kernels run as {_setting('USER')}")
    else:
        parts.append(f"kernels run as {pwd.getpwuid(os.geteuid()).pw_name}")
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
        "certlab.sandbox",
        "--",
        sys.executable,
        "-m",
        "ipykernel_launcher",
        "-f",
        "{connection_file}",
    ]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Python 3 (certlab sandbox)", "language": "python"})
    )
    os.chmod(folder, 0o755)
    # Connection files and ipc sockets live here: a short path (Unix socket paths are limited to
    # 107 bytes) that a kernel which dropped its privileges can still create sockets in.
    runtime = folder / "rt"
    runtime.mkdir()
    os.chmod(runtime, 0o1777)
    names = ("JUPYTER_PATH", "JUPYTER_RUNTIME_DIR", ENV_PREFIX + "RUN", ENV_PREFIX + "MEMORY")
    saved = {k: os.environ.get(k) for k in names}
    os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(folder), saved["JUPYTER_PATH"]) if p)
    os.environ["JUPYTER_RUNTIME_DIR"] = str(runtime)
    os.environ[ENV_PREFIX + "RUN"] = run
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
