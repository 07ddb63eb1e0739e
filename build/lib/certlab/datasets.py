"""The one way notebooks get data: offline, packaged or generated, checked by checksum.

``load(name)`` returns a pandas DataFrame (``as_frame=True``) or ``(X, y)`` arrays. Names are the
scikit-learn and statsmodels sets that ship inside those packages, and the files in the course's
``data/`` folder, which ``python -m certlab.datagen`` regenerates byte for byte and whose SHA-256
sums live in ``data/checksums.sha256``. Nothing here touches the network.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from certlab.errors import CertlabError

SKLEARN_SETS = {
    "iris": "load_iris",
    "wine": "load_wine",
    "diabetes": "load_diabetes",
    "digits": "load_digits",
    "breast_cancer": "load_breast_cancer",
    "linnerud": "load_linnerud",
}
STATSMODELS_SETS = ("sunspots", "co2", "macrodata", "nile", "elnino")
CHECKSUMS = "checksums.sha256"


def data_dir() -> Path:
    """``CERTLAB_DATA``, else ``data/`` of the course around the working directory or this package."""
    env = os.environ.get("CERTLAB_DATA")
    if env:
        return Path(env)
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "course.yml").exists() and (folder / "data").is_dir():
            return folder / "data"
    return Path(__file__).resolve().parent.parent / "data"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def read_checksums(folder: Path) -> dict[str, str]:
    sums = {}
    path = folder / CHECKSUMS
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                digest, name = line.split(maxsplit=1)
                sums[name.strip()] = digest
    return sums


def available() -> list[str]:
    """Every name :func:`load` accepts."""
    files = sorted(read_checksums(data_dir()))
    return sorted(SKLEARN_SETS) + list(STATSMODELS_SETS) + files


def path(name: str) -> Path:
    """The checked path of a ``data/`` file, for readers that want the file itself."""
    folder = data_dir()
    sums = read_checksums(folder)
    if name not in sums:
        raise CertlabError(f"No data file {name!r} in {folder}. Available: {', '.join(sorted(sums)) or 'none'}.")
    file = folder / name
    if not file.exists():
        raise CertlabError(f"{file} is missing. Regenerate the data with `python -m certlab.datagen`.")
    if sha256(file) != sums[name]:
        raise CertlabError(
            f"{file} does not match its checksum. Regenerate it with `python -m certlab.datagen` "
            "(or restore it from version control)."
        )
    return file


def load(name: str, as_frame: bool = True):
    """Load a data set by name.

    Parameters
    ----------
    name
        A scikit-learn set (``iris``, ``wine``, ``diabetes``, ``digits``, ``breast_cancer``,
        ``linnerud``), a statsmodels set (``sunspots``, ``co2``, ``macrodata``, ``nile``,
        ``elnino``) or a file in ``data/`` (``"customers.csv"``).
    as_frame
        For scikit-learn sets: a DataFrame with a ``target`` column when True, ``(X, y)`` NumPy
        arrays when False. Files and statsmodels sets are always DataFrames.
    """
    import pandas as pd

    if name in SKLEARN_SETS:
        import sklearn.datasets

        bunch = getattr(sklearn.datasets, SKLEARN_SETS[name])(as_frame=as_frame)
        if not as_frame:
            return bunch.data, bunch.target
        frame = bunch.frame.copy()
        target = getattr(bunch, "target", None)
        if "target" not in frame.columns and target is not None and getattr(target, "ndim", 1) == 1:
            frame["target"] = target
        return frame
    if name in STATSMODELS_SETS:
        import importlib

        module = importlib.import_module(f"statsmodels.datasets.{name}")
        return module.load_pandas().data.copy()
    file = path(name)
    if file.suffix == ".csv":
        return pd.read_csv(file)
    if file.suffix in (".json", ".jsonl"):
        return pd.read_json(file, lines=file.suffix == ".jsonl")
    if file.suffix == ".parquet":
        return pd.read_parquet(file)
    if file.suffix == ".txt":
        return pd.DataFrame({"text": file.read_text(encoding="utf-8").splitlines()})
    raise CertlabError(f"{name}: no reader for {file.suffix} files; use certlab.datasets.path() and read it yourself.")
