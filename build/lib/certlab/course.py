"""The course: its root folder, manifest (course.yml), skills, blueprints and notebooks."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import yaml

from certlab.errors import CertlabError
from certlab.notebooks import GradedCell, graded_cells, read_notebook

PACKAGE_DIR = Path(__file__).resolve().parent
SKILLS_FILE = PACKAGE_DIR / "skills.yml"
BLUEPRINT_DIR = PACKAGE_DIR / "blueprints"
WRITTEN, PLANNED = "written", "planned"


def find_root(start: str | Path | None = None) -> Path:
    """The course root: ``CERTLAB_ROOT``, else the nearest folder upwards with a course.yml."""
    env = os.environ.get("CERTLAB_ROOT")
    if env:
        root = Path(env).resolve()
        if not (root / "course.yml").exists():
            raise CertlabError(f"CERTLAB_ROOT={env} has no course.yml. Point it at the course folder.")
        return root
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "course.yml").exists():
            return folder
    raise CertlabError(f"No course.yml in {here} or above. Run certlab inside the course folder or pass --root.")


def load_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CertlabError(f"{path}: missing.") from None
    except yaml.YAMLError as exc:
        raise CertlabError(f"{path}: invalid YAML ({exc}).") from None
    if not isinstance(data, dict):
        raise CertlabError(f"{path}: expected a mapping at the top level.")
    return data


def load_skills(path: Path = SKILLS_FILE) -> dict[str, dict]:
    return load_yaml(path).get("skills", {}) or {}


def load_blueprints(folder: Path = BLUEPRINT_DIR) -> dict[str, dict]:
    blueprints = {}
    for path in sorted(folder.glob("*.yml")):
        data = load_yaml(path)
        data["_file"] = path.name
        blueprints[str(data.get("id", path.stem))] = data
    return blueprints


@dataclass(frozen=True)
class Assignment:
    id: str
    track: str
    title: str
    minutes: int
    prerequisites: tuple[str, ...]
    status: str

    @property
    def written(self) -> bool:
        return self.status == WRITTEN


class Course:
    """A course folder: what course.yml declares and what source/ and release/ hold."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root).resolve() if root else find_root()
        self.manifest = load_yaml(self.root / "course.yml")
        self.source_dir = self.root / "source"
        self.release_dir = self.root / "release"

    @cached_property
    def assignments(self) -> list[Assignment]:
        items = []
        for entry in self.manifest.get("assignments", []) or []:
            items.append(
                Assignment(
                    id=str(entry["id"]),
                    track=str(entry.get("track", "")),
                    title=str(entry.get("title", "")),
                    minutes=int(entry.get("minutes", 0) or 0),
                    prerequisites=tuple(entry.get("prerequisites", []) or []),
                    status=str(entry.get("status", PLANNED)),
                )
            )
        return items

    @property
    def written(self) -> list[Assignment]:
        return [a for a in self.assignments if a.written]

    def assignment(self, assignment_id: str) -> Assignment:
        for a in self.assignments:
            if a.id == assignment_id:
                return a
        raise CertlabError(f"Unknown assignment {assignment_id!r}. Known: {', '.join(a.id for a in self.assignments)}.")

    def source_notebooks(self, assignment_id: str) -> list[Path]:
        return sorted((self.source_dir / assignment_id).glob("*.ipynb"))

    @cached_property
    def skills(self) -> dict[str, dict]:
        return load_skills()

    @cached_property
    def blueprints(self) -> dict[str, dict]:
        return load_blueprints()

    def graded_notebooks(self, assignment_id: str) -> list[Path]:
        """The notebooks that define an assignment's graded cells: source/, or release/ in a
        learner's copy of the course that has no source/."""
        return self.source_notebooks(assignment_id) or sorted((self.release_dir / assignment_id).glob("*.ipynb"))

    @cached_property
    def graded_cells(self) -> list[GradedCell]:
        """Every cell with points in the written assignments' notebooks."""
        cells = []
        for a in self.written:
            for path in self.graded_notebooks(a.id):
                cells.extend(graded_cells(read_notebook(path), a.id, path.stem))
        return cells
