"""The thin layer over nbgrader's Python API that build, check and grade share."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import sys
import warnings
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from certlab.errors import CertlabError

_EXCEPTION_LINE = re.compile(r"^\s*[A-Za-z_.]*(Error|Exception|Exit)\b.*:")


def skip_slow_optional_imports() -> None:
    """Importing nbformat imports jsonschema, which compiles a grammar for its optional ``iri``
    format checker from ``rfc3987_syntax`` when that package is installed (JupyterLab's
    dependencies install it): about 0.7 s per process. nbformat's schemas use no such format,
    so grading processes mark the module as absent, as if it were not installed."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)


class _SchemaOnce:
    """Stands in for the ``jsonschema`` module in nbgrader's metadata validator, which calls
    ``jsonschema.validate(metadata, schema)`` for every cell of every notebook it reads: that
    checks the (constant) schema itself each time, most of the validation's cost. Here the
    validator for a schema is built and checked once per process; each cell's metadata is then
    validated exactly as ``jsonschema.validate`` does (the best-matching error is raised)."""

    def __init__(self, module):
        self._module, self._validators = module, {}

    def validate(self, instance, schema, *args, **kwargs):
        import json

        if args or kwargs:
            return self._module.validate(instance, schema, *args, **kwargs)
        key = json.dumps(schema, sort_keys=True)
        validator = self._validators.get(key)
        if validator is None:
            cls = self._module.validators.validator_for(schema)
            cls.check_schema(schema)
            validator = self._validators[key] = cls(schema)
        error = self._module.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error

    def __getattr__(self, name):
        return getattr(self._module, name)


def validate_schemas_once() -> None:
    """Install :class:`_SchemaOnce` in nbgrader's metadata validator (grading processes)."""
    from nbgrader.nbgraderformat import common

    if not isinstance(common.jsonschema, _SchemaOnce):
        common.jsonschema = _SchemaOnce(common.jsonschema)


def venv_on_path() -> None:
    """nbgrader runs helpers (alembic, jupyter) by name: put this interpreter's bin/ first on PATH."""
    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def open_gradebook(url: str):
    """nbgrader's Gradebook, with this interpreter's bin/ on PATH (a new database runs
    ``alembic`` by name). Every certlab module opens gradebooks through here."""
    from nbgrader.api import Gradebook

    venv_on_path()
    return Gradebook(url)


@contextlib.contextmanager
def temp_env(**values: str):
    """Set environment variables for a block and restore the previous values after it."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def load_config(root: Path, **overrides) -> Config:
    """The course's ``nbgrader_config.py`` as a traitlets Config, plus ``Section__name`` overrides."""
    config = Config()
    if (root / "nbgrader_config.py").exists():
        config.merge(PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config())
    for key, value in overrides.items():
        section, name = key.split("__")
        config[section][name] = value
    return config


def db_url(root: Path, config: Config | None = None) -> str:
    config = config if config is not None else load_config(root)
    url = config.get("CourseDirectory", {}).get("db_url")
    return str(url) if url else f"sqlite:///{root / 'gradebook.db'}"


@contextlib.contextmanager
def quiet_logs():
    """Collect nbgrader's and traitlets' log lines instead of printing them; yield the buffer."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    loggers = [logging.getLogger(name) for name in ("traitlets", "nbgrader", "")]
    saved = [(lg, lg.handlers[:], lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.handlers = [handler]
        lg.propagate = False
    try:
        yield buffer
    finally:
        for lg, handlers, propagate in saved:
            lg.handlers = handlers
            lg.propagate = propagate


def run_converter(
    converter_cls,
    root: Path,
    assignment: str,
    db: str,
    student: str | None = None,
    config_overrides: dict | None = None,
    canaries: bool = False,
    **options,
) -> str:
    """Run an nbgrader converter (GenerateAssignment, Autograde, …) in-process.

    ``canaries=True`` (Autograde only) runs checks that must fail between the submission's
    cells (:mod:`certlab.grading.canaries`). Returns the captured log; raises
    :class:`CertlabError` with nbgrader's own message on failure.
    """
    from nbgrader.coursedir import CourseDirectory

    from certlab.grading.sandbox import kernel_config

    venv_on_path()
    validate_schemas_once()
    config = load_config(root, CourseDirectory__root=str(root), CourseDirectory__db_url=db, **(config_overrides or {}))
    config.merge(Config(kernel_config()))
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = assignment
    if student is not None:
        coursedir.student_id = student
    with quiet_logs() as log, warnings.catch_warnings():
        # nbgrader 0.9 on SQLAlchemy 2.x warns about its own session use; not ours to fix.
        warnings.filterwarnings("ignore", message=".*not in session.*")
        app = converter_cls(coursedir=coursedir, config=config)
        for key, value in options.items():
            setattr(app, key, value)
        if canaries:
            from certlab.grading.canaries import around_execute

            app.autograde_preprocessors = around_execute(app.autograde_preprocessors)
        app.log.handlers = logging.getLogger("").handlers
        try:
            app.start()
        except KeyboardInterrupt:
            raise
        except (Exception, SystemExit) as exc:  # nbgrader signals failure with NbGraderException or SystemExit
            detail = log.getvalue().strip().splitlines()
            errors = [line.strip() for line in detail if _EXCEPTION_LINE.match(line)]
            reason = errors[-1] if errors else (detail[-1] if detail else repr(exc))
            raise CertlabError(f"nbgrader {converter_cls.__name__} failed for {assignment}: {reason}") from None
    return log.getvalue()
