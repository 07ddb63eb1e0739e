"""Does `certlab lint` catch each rule's violation on a broken copy of the tiny fixture course?"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from certlab.authoring.lint import lint
from certlab.cli import main
from certlab.course import Course

NB = "source/01_tiny/01_tiny.ipynb"


def edit_notebook(root: Path, change) -> None:
    path = root / NB
    nb = json.loads(path.read_text())
    change(nb)
    path.write_text(json.dumps(nb, indent=1))


def cell(nb, grade_id):
    return next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)


def set_yaml(root: Path, old: str, new: str) -> None:
    path = root / "course.yml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def solution_in_markdown(root):
    edit_notebook(root, lambda nb: nb["cells"][0].update(source="### BEGIN SOLUTION\nx\n### END SOLUTION"))


def hidden_tests_in_answer(root):
    edit_notebook(
        root, lambda nb: cell(nb, "t01-double-answer").update(source="### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS")
    )


def zero_points(root):
    edit_notebook(root, lambda nb: cell(nb, "t01-mean-tests")["metadata"]["nbgrader"].update(points=0))


def unknown_skill(root):
    edit_notebook(root, lambda nb: cell(nb, "t01-mean-tests")["metadata"]["certlab"].update(skills=["no.such_skill"]))


def no_skills(root):
    edit_notebook(root, lambda nb: cell(nb, "t01-mean-tests")["metadata"].pop("certlab"))


def duplicate_grade_id(root):
    edit_notebook(
        root, lambda nb: cell(nb, "t01-mean-tests")["metadata"]["nbgrader"].update(grade_id="t01-double-tests")
    )


def duplicate_grade_id_across_assignments(root):
    shutil.copytree(root / "source/01_tiny", root / "source/02_later")
    (root / "source/02_later/01_tiny.ipynb").rename(root / "source/02_later/02_later.ipynb")
    set_yaml(root, "status: planned", "status: written")


def outputs_left(root):
    def change(nb):
        c = cell(nb, "t01-double-tests")
        c["execution_count"] = 3
        c["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "hi\n"}]

    edit_notebook(root, change)


def other_kernel(root):
    edit_notebook(root, lambda nb: nb["metadata"]["kernelspec"].update(name="ir", display_name="R", language="R"))


def unlocked_setup(root):
    edit_notebook(root, lambda nb: cell(nb, "t01-setup")["metadata"]["nbgrader"].update(locked=False))


def manifest_planned_but_present(root):
    set_yaml(root, "status: written", "status: planned")


def manifest_unlisted_folder(root):
    (root / "source/99_stray").mkdir()


def manifest_written_but_missing(root):
    set_yaml(root, "status: planned", "status: written")


def absolute_path(root):
    edit_notebook(
        root, lambda nb: cell(nb, "t01-double-answer").update(source="data = open('/home/me/data.csv').read()")
    )


def network_loader(root):
    edit_notebook(
        root,
        lambda nb: cell(nb, "t01-mean-answer").update(
            source="from sklearn.datasets import fetch_openml\nX = fetch_openml('mnist_784')"
        ),
    )


def keras_datasets(root):
    edit_notebook(
        root,
        lambda nb: cell(nb, "t01-mean-answer").update(
            source="import keras\n(x, y), _ = keras.datasets.mnist.load_data()"
        ),
    )


def malformed_json(root):
    (root / NB).write_text('{"cells": [')


def hints_missing(root):
    edit_notebook(
        root,
        lambda nb: nb.update(cells=[c for c in nb["cells"] if c["metadata"].get("certlab", {}).get("role") != "hints"]),
    )


def skills_table_missing(root):
    edit_notebook(
        root,
        lambda nb: nb.update(
            cells=[c for c in nb["cells"] if c["metadata"].get("certlab", {}).get("role") != "skills-table"]
        ),
    )


CASES = [
    (solution_in_markdown, "solution-region", "cell 0"),
    (hidden_tests_in_answer, "solution-region", "t01-double-answer"),
    (zero_points, "points", "t01-mean-tests"),
    (unknown_skill, "skills", "t01-mean-tests"),
    (no_skills, "skills", "t01-mean-tests"),
    (duplicate_grade_id, "grade-id", "t01-double-tests"),
    (duplicate_grade_id_across_assignments, "grade-id", "02_later"),
    (outputs_left, "clean", "t01-double-tests"),
    (other_kernel, "kernelspec", "01_tiny.ipynb"),
    (unlocked_setup, "setup-cell", "t01-setup"),
    (manifest_planned_but_present, "manifest", "01_tiny"),
    (manifest_unlisted_folder, "manifest", "99_stray"),
    (manifest_written_but_missing, "manifest", "02_later"),
    (absolute_path, "abs-path", "t01-double-answer"),
    (network_loader, "network", "fetch_openml"),
    (keras_datasets, "network", "keras.datasets"),
    (malformed_json, "json", "01_tiny.ipynb"),
    (hints_missing, "exercise", "hints"),
    (skills_table_missing, "skills-table", "01_tiny.ipynb"),
]


def test_fixture_course_is_clean(tiny_course):
    """Is the untouched fixture course lint-clean, so that each case below tests one rule?"""
    assert lint(Course(tiny_course)) == []


@pytest.mark.parametrize(("breakage", "rule", "where"), CASES, ids=[c[0].__name__ for c in CASES])
def test_rule_catches_breakage(tiny_course, breakage, rule, where):
    """Does this rule report the broken fixture, naming the place and a fix?"""
    breakage(tiny_course)
    violations = lint(Course(tiny_course))
    hits = [v for v in violations if v.rule == rule]
    assert hits, f"no [{rule}] violation; got {[str(v) for v in violations]}"
    assert any(where in str(v) for v in hits), [str(v) for v in hits]
    assert all(v.fix for v in hits)


def test_cli_exit_codes(tiny_course, capsys):
    """Does `certlab lint` exit 0 when clean and 1 with one line per problem when not?"""
    assert main(["--root", str(tiny_course), "lint"]) == 0
    zero_points(tiny_course)
    unknown_skill(tiny_course)
    assert main(["--root", str(tiny_course), "lint"]) == 1
    out = capsys.readouterr().out
    assert "[points]" in out and "[skills]" in out and "Fix:" in out


def test_skill_index_rule(tiny_course):
    """Does lint report a skill graded in an assignment that skills.yml does not list there?"""
    from certlab.authoring.lint import lint_skill_index

    course = Course(tiny_course)
    course.manifest["course_id"] = "certlab"  # as if the fixture were the taxonomy's own course
    hits = [str(v) for v in lint_skill_index(course)]
    assert any("python.core is graded in 01_tiny" in h and "add 01_tiny" in h for h in hits)
