"""Run a notebook in a fresh kernel and measure it: wall time and the kernel's peak memory.

Used by ``certlab bench notebooks`` and by authors checking a notebook against the budgets of
docs/architecture.md (60 s, or 120 s for deep learning and Spark; 1.5 GB peak).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from traitlets.config import Config

from certlab.grading.sandbox import kernel_config
from certlab.notebooks import read_notebook


@dataclass
class RunResult:
    path: str
    seconds: float
    peak_mb: float
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


KERNEL_ARGS = ["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"]


class _PeakMemory:
    """Polls the kernel's process tree (the kernel and anything it starts, e.g. a JVM)."""

    def __init__(self, pid: int, interval: float = 0.05):
        import psutil

        self.proc = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        import psutil

        while not self._stop.is_set():
            try:
                procs = [self.proc, *self.proc.children(recursive=True)]
                total = sum(p.memory_info().rss for p in procs if p.is_running())
                self.peak = max(self.peak, total)
            except psutil.Error:
                pass
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run_notebook(path: str | Path, timeout: int = 600, workdir: str | Path | None = None) -> RunResult:
    """Execute every cell of ``path`` (stopping at the first error) in a scratch copy of its folder."""
    path = Path(path).resolve()
    nb = read_notebook(path)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see nbgrader_config.py
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env_data = os.environ.get("CERTLAB_DATA")
    with tempfile.TemporaryDirectory(prefix="certlab-run-") as tmp:
        cwd = Path(workdir) if workdir else Path(tmp) / path.parent.name
        if not workdir:
            shutil.copytree(path.parent, cwd, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        if not env_data:
            from certlab.datasets import data_dir

            os.environ["CERTLAB_DATA"] = str(data_dir())
        monitor: list[_PeakMemory] = []

        def start_monitor(notebook=None, **_):
            monitor.append(_PeakMemory(client.km.provisioner.process.pid).__enter__())

        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(cwd)}},
            on_notebook_start=start_monitor,
            extra_arguments=KERNEL_ARGS,
            config=Config(kernel_config()),
        )
        error = None
        start = time.perf_counter()
        try:
            client.execute()
        except CellExecutionError as exc:
            error = str(exc).strip().splitlines()[-1] if str(exc).strip() else "cell error"
        except Exception as exc:  # a dead kernel or a timeout is a result, not a crash
            error = f"{type(exc).__name__}: {exc}"
            # nbclient leaves its exit-time clean-up registered when the kernel never answered;
            # at exit it would trip over its own missing kernel manager.
            atexit.unregister(client._cleanup_kernel)
        finally:
            for m in monitor:
                m.__exit__(None, None, None)
            if not env_data:
                os.environ.pop("CERTLAB_DATA", None)
        peak = max((m.peak for m in monitor), default=0)
        seconds = time.perf_counter() - start
    return RunResult(str(path), seconds, peak / 2**20, error)


def main(argv=None) -> int:
    """``python -m certlab.execute NOTEBOOK...``: run each and print seconds and peak MB."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m certlab.execute")
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--timeout", type=int, default=600)
    args = parser.parse_args(argv)
    failed = 0
    for nb_path in args.notebooks:
        r = run_notebook(nb_path, timeout=args.timeout)
        status = "ok" if r.ok else f"ERROR {r.error}"
        print(f"{r.seconds:7.1f} s  {r.peak_mb:7.0f} MB  {nb_path}  {status}")
        failed += not r.ok
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
