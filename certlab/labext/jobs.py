"""Check runs of the JupyterLab Check button: one worker process each, watched and cancellable."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

# A check never runs longer than this (seconds); nbgrader's notebook timeout is 30 minutes.
DEFAULT_TIMEOUT = 1800.0
KEEP_FINISHED = 50  # finished runs kept for their results
RESULT_PREFIX = "certlab-result: "  # the worker's last line on stdout


@dataclass
class CheckJob:
    id: str
    notebook: Path
    student: str
    started: float = field(default_factory=time.monotonic)
    state: str = "running"  # running, done, failed, cancelled
    stage: str = "starting"
    outcome: dict | None = None
    finished: float | None = None
    process: asyncio.subprocess.Process | None = None
    task: asyncio.Task | None = None
    log: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        end = self.finished or time.monotonic()
        out = {
            "id": self.id,
            "notebook": str(self.notebook),
            "state": self.state,
            "stage": self.stage,
            "elapsed": round(end - self.started, 1),
        }
        if self.outcome is not None:
            out.update(self.outcome)
        return out


def _stop_tree(pid: int) -> None:
    """Stop a worker, its kernels and anything else it started."""
    try:
        import psutil

        children = psutil.Process(pid).children(recursive=True)
    except Exception:
        children = []
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    for child in children:
        with contextlib.suppress(Exception):
            child.kill()


class CheckJobs:
    def __init__(self, timeout: float | None = None, python: str | None = None):
        self.timeout = timeout or float(os.environ.get("CERTLAB_CHECK_TIMEOUT", DEFAULT_TIMEOUT))
        self.python = python or sys.executable
        self.jobs: dict[str, CheckJob] = {}

    def start(self, notebook: Path, student: str) -> CheckJob:
        running = [j for j in self.jobs.values() if j.state == "running" and j.notebook == notebook]
        if running:  # a second press while one runs follows the first run
            return running[0]
        job = CheckJob(uuid.uuid4().hex[:12], notebook, student)
        self.jobs[job.id] = job
        job.task = asyncio.ensure_future(self._run(job))
        self._forget_old()
        return job

    def get(self, job_id: str) -> CheckJob | None:
        return self.jobs.get(job_id)

    def cancel(self, job_id: str) -> CheckJob | None:
        job = self.jobs.get(job_id)
        if job is None or job.state != "running":
            return job
        job.state = "cancelled"
        job.stage = "cancelled"
        job.finished = time.monotonic()
        job.outcome = {
            "ok": False,
            "kind": "cancelled",
            "error": "Check cancelled.",
            "advice": "Nothing was recorded. Press Check to run it again.",
        }
        if job.process is not None and job.process.returncode is None:
            _stop_tree(job.process.pid)
        return job

    def stop_all(self) -> None:
        for job in list(self.jobs.values()):
            if job.state == "running":
                self.cancel(job.id)

    def _forget_old(self) -> None:
        done = sorted((j for j in self.jobs.values() if j.state != "running"), key=lambda j: j.started)
        for job in done[:-KEEP_FINISHED]:
            self.jobs.pop(job.id, None)

    async def _run(self, job: CheckJob) -> None:
        cmd = [self.python, "-m", "certlab.labext.worker", str(job.notebook), "--student", job.student]
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parent.parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
        try:
            job.process = await asyncio.create_subprocess_exec(
                *cmd,
                cwd=str(job.notebook.parent),
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            self._finish(
                job, {"ok": False, "kind": "error", "error": f"could not start the check: {exc}", "advice": ""}
            )
            return
        job.stage = "grading"

        async def read_stderr() -> None:
            assert job.process and job.process.stderr
            async for raw in job.process.stderr:
                line = raw.decode("utf-8", "replace").rstrip()
                if line.startswith("stage: "):
                    job.stage = line[len("stage: ") :]
                else:
                    job.log = (job.log + [line])[-40:]

        reader = asyncio.ensure_future(read_stderr())
        try:
            line = await asyncio.wait_for(self._result_line(job.process), self.timeout)
        except TimeoutError:
            _stop_tree(job.process.pid)
            reader.cancel()
            minutes = self.timeout / 60
            self._finish(
                job,
                {
                    "ok": False,
                    "kind": "timeout",
                    "error": f"The check took longer than {minutes:g} minutes and was stopped.",
                    "advice": "Look for an endless loop or a much too large computation in your answers, then press Check again.",
                },
            )
            return
        # The worker has answered: it exits by itself; anything it left running is stopped.
        try:
            await asyncio.wait_for(job.process.wait(), 10)
        except TimeoutError:
            pass
        _stop_tree(job.process.pid)
        reader.cancel()
        if job.state == "cancelled":
            return
        try:
            outcome = json.loads(line[len(RESULT_PREFIX) :])
        except (ValueError, TypeError):
            code = job.process.returncode
            died = f"killed by signal {-code}" if code and code < 0 else f"exit code {code}"
            outcome = {
                "ok": False,
                "kind": "worker_died",
                "error": f"The check stopped before it could report ({died}).",
                "advice": "The machine may be short of memory. Save your work, restart the kernel, and press Check again.",
                "log": job.log[-10:],
            }
        self._finish(job, outcome)

    @staticmethod
    async def _result_line(process: asyncio.subprocess.Process) -> str | None:
        """The worker's result line; None if its output ends without one (it died)."""
        assert process.stdout
        async for raw in process.stdout:
            line = raw.decode("utf-8", "replace").strip()
            if line.startswith(RESULT_PREFIX):
                return line
        return None

    def _finish(self, job: CheckJob, outcome: dict) -> None:
        if job.state == "cancelled":
            return
        job.outcome = outcome
        job.state = "done" if outcome.get("ok") else "failed"
        job.stage = "done" if outcome.get("ok") else "failed"
        job.finished = time.monotonic()
