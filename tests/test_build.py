"""Does `certlab build` generate release/ through nbgrader, detect staleness, and refuse bad input
without touching release/?"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from certlab.cli import main

RELEASE_NB = "release/01_tiny/01_tiny.ipynb"


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.mark.slow
def test_release_is_current_and_byte_stable(tiny_course, capsys):
    """Is the committed fixture release current, and does a rebuild change no byte?"""
    before = tree_digest(tiny_course / "release")
    assert main(["--root", str(tiny_course), "build", "--check"]) == 0
    assert main(["--root", str(tiny_course), "build"]) == 0
    assert tree_digest(tiny_course / "release") == before


def test_release_hides_solutions_and_hidden_tests(tiny_course):
    """Does the student version keep the stubs and visible tests but drop solutions and hidden tests?"""
    text = (tiny_course / RELEASE_NB).read_text()
    assert "raise NotImplementedError()" in text
    assert "return 2 * x" not in text and "BEGIN SOLUTION" not in text
    assert "double(21) == 42" not in text and "HIDDEN TESTS" not in text
    assert "zero stays zero" in text


@pytest.mark.slow
def test_check_names_stale_files_and_changes_nothing(tiny_course, capsys):
    """Does --check exit 1, name the stale file, and leave release/ as it was?"""
    src = tiny_course / "source/01_tiny/01_tiny.ipynb"
    nb = json.loads(src.read_text())
    nb["cells"][0]["source"] = "# Tiny, retitled"
    src.write_text(json.dumps(nb, indent=1))
    before = tree_digest(tiny_course / "release")
    assert main(["--root", str(tiny_course), "build", "--check"]) == 1
    assert RELEASE_NB in capsys.readouterr().err
    assert tree_digest(tiny_course / "release") == before
    assert main(["--root", str(tiny_course), "build"]) == 0
    assert "retitled" in (tiny_course / RELEASE_NB).read_text()


def test_malformed_json_exits_2_and_keeps_release(tiny_course, capsys):
    """Does a notebook with malformed JSON stop the build with one clear line and exit 2?"""
    (tiny_course / "source/01_tiny/01_tiny.ipynb").write_text('{"cells": [ {')
    before = tree_digest(tiny_course / "release")
    assert main(["--root", str(tiny_course), "build"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "malformed notebook JSON" in err
    assert tree_digest(tiny_course / "release") == before


def test_missing_assignment_folder_exits_2_and_keeps_release(tiny_course, capsys):
    """Does a written assignment without its source folder exit 2 and leave release/ alone?"""
    text = (tiny_course / "course.yml").read_text().replace("status: planned", "status: written")
    (tiny_course / "course.yml").write_text(text)
    before = tree_digest(tiny_course / "release")
    assert main(["--root", str(tiny_course), "build"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "source/02_later/ is missing" in err
    assert tree_digest(tiny_course / "release") == before


def test_unknown_assignment_is_a_usage_error(tiny_course, capsys):
    """Does naming an assignment that course.yml does not list exit 2?"""
    assert main(["--root", str(tiny_course), "build", "99_nothing"]) == 2
    assert "Unknown assignment" in capsys.readouterr().err


@pytest.mark.slow
def test_stale_release_folder_is_removed(tiny_course):
    """Does a full build remove a release folder whose assignment is no longer written?"""
    (tiny_course / "release/02_later").mkdir()
    (tiny_course / "release/02_later/old.ipynb").write_text("{}")
    assert main(["--root", str(tiny_course), "build", "--check"]) == 1
    assert main(["--root", str(tiny_course), "build"]) == 0
    assert not (tiny_course / "release/02_later").exists()


@pytest.mark.parametrize(
    ("folder", "invert", "expect"),
    [("source", False, "passes all the tests"), ("release", True, "does not pass any tests")],
)
@pytest.mark.slow
def test_nbgrader_validate_both_directions(tiny_course, folder, invert, expect):
    """Does nbgrader itself agree: the source passes `validate`, the release fails it (`--invert`)?"""
    nbgrader = Path(sys.executable).with_name("nbgrader")
    cmd = [str(nbgrader), "validate", f"{folder}/01_tiny/01_tiny.ipynb"] + (["--invert"] if invert else [])
    env = dict(os.environ, PATH=f"{nbgrader.parent}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.run(cmd, cwd=tiny_course, capture_output=True, text=True, env=env, timeout=300)
    assert expect in proc.stdout + proc.stderr, proc.stdout + proc.stderr
