"""The layer over nbgrader's API: what certlab changes in nbgrader's behaviour must change nothing
but its speed."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
from nbgrader.nbgraderformat import common
from nbgrader.nbgraderformat.v3 import MetadataValidatorV3

from certlab.grading import nbgrader_io

REPO = Path(__file__).resolve().parent.parent


def _outcomes(nb) -> list:
    validator = MetadataValidatorV3()
    out = []
    for cell in nb.cells:
        try:
            validator.validate_cell(cell)
            out.append(None)
        except Exception as exc:  # noqa: BLE001 - the outcome is what is compared
            out.append((type(exc).__name__, str(exc)))
    return out


def test_schema_checked_once_validates_every_cell_as_jsonschema_does(monkeypatch):
    """Does nbgrader's metadata validation accept and reject the same cells, with the same
    messages, once the schema is checked only once per process?"""
    monkeypatch.setattr(common, "jsonschema", common.jsonschema)  # undone after the test
    good = nbformat.read(str(REPO / "source" / "02_linear_algebra" / "02_linear_algebra.ipynb"), as_version=4)
    bad = copy.deepcopy(good)
    cells = [c for c in bad.cells if "nbgrader" in c.metadata]
    cells[0].metadata.nbgrader["points"] = "three"
    cells[1].metadata.nbgrader["grade"] = 3
    del cells[2].metadata.nbgrader["grade_id"]
    cells[3].metadata.nbgrader["unknown"] = 1
    cells[4].metadata.nbgrader["grade_id"] = "has spaces"
    before = (_outcomes(good), _outcomes(bad))
    nbgrader_io.validate_schemas_once()
    assert isinstance(common.jsonschema, nbgrader_io._SchemaOnce)
    after = (_outcomes(good), _outcomes(bad))
    assert after == before
    assert not any(before[0]) and sum(map(bool, before[1])) == 5
