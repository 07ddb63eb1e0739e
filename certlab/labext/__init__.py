"""certlab in JupyterLab: the server side of the Check button and the progress panel.

A jupyter_server extension (enabled by ``jupyter-config/jupyter_server_config.d/certlab.json``,
installed with the package) that adds a small REST API under ``<base_url>/certlab/``:

- ``POST checks`` ``{"path": "release/02_linear_algebra/02_linear_algebra.ipynb"}`` starts
  ``certlab check`` on a notebook (a path relative to the server's root) in a worker process and
  answers ``{"id": ...}``; ``GET checks/<id>`` tells its stage and elapsed time, then its result
  (the same :class:`certlab.check.CheckResult` the command prints) or what went wrong and what to
  do; ``DELETE checks/<id>`` cancels it (the worker and its kernels are stopped).
- ``POST hints`` ``{"path", "exercise"}`` opens the next hint level of an exercise, recorded as
  ``certlab.hint`` records it.
- ``GET progress?path=...`` the figures of ``certlab report`` for the course the notebook is in:
  points per assignment, the next assignments, readiness per exam domain with coverage.

The front end (the prebuilt JupyterLab extension in ``certlab/labextension/``, source in
``labextension/``) only calls this API; without the extension nothing else changes.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
LABEXTENSION = HERE.parent / "labextension"
LABEXTENSION_NAME = "certlab-labextension"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": str(LABEXTENSION), "dest": LABEXTENSION_NAME}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "certlab.labext"}]


def _load_jupyter_server_extension(server_app) -> None:
    from certlab.labext.handlers import setup_handlers

    setup_handlers(server_app)
    server_app.log.info("certlab: Check button and progress panel API at %scertlab/", server_app.base_url)


# Older notebook-server spelling, kept for servers that still look it up.
load_jupyter_server_extension = _load_jupyter_server_extension
