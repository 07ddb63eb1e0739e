"""Does the Binder / conda environment install exactly the pinned stack, with what PySpark needs?"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet

REPO = Path(__file__).resolve().parent.parent
ENVIRONMENT = REPO / "environment.yml"
REQUIREMENTS = REPO / "requirements.txt"
START = REPO / "start"


@pytest.fixture(scope="module")
def environment() -> dict:
    data = yaml.safe_load(ENVIRONMENT.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "environment.yml must be a mapping"
    return data


def conda_deps(environment: dict) -> list[str]:
    return [d for d in environment.get("dependencies") or [] if isinstance(d, str)]


def pip_deps(environment: dict) -> list[str]:
    sections = [d["pip"] for d in environment.get("dependencies") or [] if isinstance(d, dict) and "pip" in d]
    assert len(sections) == 1, "environment.yml needs exactly one pip section"
    return sections[0]


def test_environment_parses_and_uses_conda_forge(environment):
    """Does environment.yml parse, with conda-forge as its only channel?"""
    assert environment.get("channels") == ["conda-forge"]
    assert conda_deps(environment), "no conda dependencies"


def test_python_is_pinned_to_3_11(environment):
    """Is Python pinned to 3.11, a version pyproject.toml's requires-python accepts?"""
    pins = [d for d in conda_deps(environment) if re.match(r"python\s*[=<>!]", d)]
    assert len(pins) == 1 and re.fullmatch(r"python\s*==?\s*3\.11(\.\*)?", pins[0]), pins
    requires = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    assert "3.11" in SpecifierSet(requires)


def test_java_17_or_later_for_pyspark(environment):
    """Is there a Java runtime, version 17 or later (PySpark 4 needs it)?"""
    java = [d for d in conda_deps(environment) if re.match(r"openjdk\b", d)]
    assert len(java) == 1, "add openjdk=17 (conda-forge) for PySpark"
    match = re.fullmatch(r"openjdk\s*(==?|>=)\s*(\d+)(\.[\d.*]+)?", java[0])
    assert match and int(match.group(2)) >= 17, java[0]


def test_python_packages_come_only_from_requirements_txt(environment):
    """Does pip install requirements.txt and the package itself, and nothing else, so that the
    two installs cannot drift apart?"""
    assert sorted(pip_deps(environment)) == sorted(["-r requirements.txt", "-e ."])
    others = [d for d in conda_deps(environment) if not re.match(r"(python|openjdk|pip)\b", d)]
    assert not others, f"conda packages besides Python, Java and pip would shadow requirements.txt: {others}"


def test_every_requirement_is_pinned_exactly():
    """Is every line of requirements.txt one package pinned with ``==``?"""
    lines = [line.split("#", 1)[0].strip() for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    assert lines, "requirements.txt is empty"
    for line in lines:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            pytest.fail(f"requirements.txt: {line!r} is not a plain requirement (no options or -r includes)")
        specs = list(req.specifier)
        assert req.url is None and len(specs) == 1 and specs[0].operator == "==", f"not pinned with ==: {line!r}"
        assert "*" not in specs[0].version, f"a wildcard is not a pin: {line!r}"


def test_binder_start_script_limits_threads():
    """Does Binder's start script give one thread to BLAS and certlab, then run Jupyter?"""
    text = START.read_text(encoding="utf-8")
    assert os.access(START, os.X_OK), "start must be executable (repo2docker runs it)"
    assert text.startswith("#!/bin/bash")
    assert re.search(r'CERTLAB_THREADS="?\$\{CERTLAB_THREADS:-1\}', text)
    assert re.search(r'OMP_NUM_THREADS="?\$\{OMP_NUM_THREADS:-1\}', text)
    # No background check server with its warm kernel on Binder's 2 GB.
    assert re.search(r'CERTLAB_CHECK_SERVER="?\$\{CERTLAB_CHECK_SERVER:-0\}', text)
    assert text.rstrip().endswith('exec "$@"')


def test_binder_files_sit_at_the_root_and_open_start_here():
    """Would repo2docker read these files (no binder/ folder hides them), and is the URL that
    opens the start-here notebook documented?"""
    assert not (REPO / "binder").exists() and not (REPO / ".binder").exists()
    text = ENVIRONMENT.read_text(encoding="utf-8")
    urlpath = re.search(r"urlpath=lab/tree/(\S+\.ipynb)", text)
    assert urlpath and (REPO / urlpath.group(1)).exists()
