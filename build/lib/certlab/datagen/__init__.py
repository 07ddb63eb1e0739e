"""Generators for the files in ``data/``: one module per data set, each deterministic.

Each module defines ``FILES`` (the file names it writes) and ``generate(folder)``. Run
``python -m certlab.datagen`` to regenerate every file and rewrite ``data/checksums.sha256``;
``python -m certlab.datagen --check`` regenerates into a temporary folder and fails when a
committed file differs. A new data set is a new module here, listed in ``GENERATORS``.
"""

from __future__ import annotations

import importlib
import pkgutil


def generators():
    """Every generator module in this package, in name order."""
    mods = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            mods.append(importlib.import_module(f"{__name__}.{info.name}"))
    return mods
