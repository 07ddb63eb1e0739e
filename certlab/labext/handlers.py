"""The REST handlers of the certlab server extension (see :mod:`certlab.labext`)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from certlab.errors import CertlabError
from certlab.labext.jobs import CheckJobs
from certlab.labext.worker import explain


class CertlabHandler(APIHandler):
    @property
    def jobs(self) -> CheckJobs:
        return self.settings["certlab_jobs"]

    def student(self) -> str:
        from certlab.usage import student_id

        return student_id()

    def notebook_path(self, path: str | None) -> Path:
        """A notebook path from the front end (relative to the server's root) as a file on disk."""
        if not path:
            raise tornado.web.HTTPError(400, "no notebook path")
        root = Path(self.contents_manager.root_dir).resolve()
        full = (root / path.lstrip("/")).resolve()
        if root not in (full, *full.parents):
            raise tornado.web.HTTPError(403, "the notebook is outside the server's folder")
        if not full.is_file():
            raise tornado.web.HTTPError(404, f"{path} not found")
        return full

    def body(self) -> dict:
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError:
            raise tornado.web.HTTPError(400, "expected a JSON body") from None
        if not isinstance(data, dict):
            raise tornado.web.HTTPError(400, "expected a JSON object")
        return data


class ChecksHandler(CertlabHandler):
    @tornado.web.authenticated
    def post(self):
        notebook = self.notebook_path(self.body().get("path"))
        job = self.jobs.start(notebook, self.student())
        self.set_status(202)
        self.finish(json.dumps(job.to_json()))


class CheckHandler(CertlabHandler):
    @tornado.web.authenticated
    def get(self, job_id: str):
        job = self.jobs.get(job_id)
        if job is None:
            raise tornado.web.HTTPError(404, "no such check")
        self.finish(json.dumps(job.to_json()))

    @tornado.web.authenticated
    def delete(self, job_id: str):
        job = self.jobs.cancel(job_id)
        if job is None:
            raise tornado.web.HTTPError(404, "no such check")
        self.finish(json.dumps(job.to_json()))


class ProgressHandler(CertlabHandler):
    @tornado.web.authenticated
    async def get(self):
        from certlab.labext.progress import course_of, progress

        path = self.get_query_argument("path", "")
        root = Path(self.contents_manager.root_dir).resolve()
        where = self.notebook_path(path) if path else root
        try:
            data = await asyncio.to_thread(lambda: progress(course_of(where), self.student()))
        except CertlabError as exc:
            data = {"ok": False, **explain(exc)}
        else:
            data = {"ok": True, **data}
        self.finish(json.dumps(data))


class HintHandler(CertlabHandler):
    @tornado.web.authenticated
    async def post(self):
        from certlab.labext.progress import course_of, open_hint

        data = self.body()
        notebook = self.notebook_path(data.get("path"))
        exercise = str(data.get("exercise") or "")
        if not exercise:
            raise tornado.web.HTTPError(400, "no exercise")
        try:
            out = await asyncio.to_thread(lambda: open_hint(course_of(notebook), notebook, exercise, self.student()))
        except CertlabError as exc:
            out = {"ok": False, **explain(exc)}
        else:
            out = {"ok": True, **out}
        self.finish(json.dumps(out))


def setup_handlers(server_app) -> None:
    web_app = server_app.web_app
    web_app.settings["certlab_jobs"] = jobs = CheckJobs()
    base = url_path_join(web_app.settings["base_url"], "certlab")
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, "checks"), ChecksHandler),
            (url_path_join(base, r"checks/([0-9a-f]+)"), CheckHandler),
            (url_path_join(base, "progress"), ProgressHandler),
            (url_path_join(base, "hints"), HintHandler),
        ],
    )
    # Running checks end with the server.
    import atexit

    atexit.register(jobs.stop_all)
