"""Does certlab.datasets load every source offline and refuse a file that lost its checksum?"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from certlab import datasets
from certlab.datagen.__main__ import main as datagen_main
from certlab.errors import CertlabError


@pytest.mark.parametrize("name", sorted(datasets.SKLEARN_SETS))
def test_sklearn_sets(name):
    """Does each bundled scikit-learn set load as a frame with a target and as arrays?"""
    frame = datasets.load(name)
    X, y = datasets.load(name, as_frame=False)
    assert len(frame) == len(X) == len(y) > 0
    assert "target" in frame.columns or name == "linnerud"


@pytest.mark.parametrize("name", datasets.STATSMODELS_SETS)
def test_statsmodels_sets(name):
    """Does each bundled statsmodels set load as a non-empty frame?"""
    assert len(datasets.load(name)) > 10


def test_data_files_load_and_match_checksums():
    """Does every data/ file listed in checksums.sha256 load?"""
    names = datasets.read_checksums(datasets.data_dir())
    assert "orders.csv" in names and "customers.csv" in names
    for name in names:
        assert len(datasets.load(name)) > 0


def test_retail_tables_have_their_documented_flaws():
    """Do the generated shop tables carry the flaws the Pandas exercises rely on?"""
    orders, customers = datasets.load("orders.csv"), datasets.load("customers.csv")
    assert orders["order_id"].duplicated().sum() == 15
    assert (orders["quantity"] < 0).any()
    assert customers["age"].isna().any()
    assert customers["country"].str.islower().any()


def test_tampered_file_is_refused(tmp_path, monkeypatch):
    """Does a data file whose bytes changed raise a clear error that says how to regenerate it?"""
    copy = tmp_path / "data"
    shutil.copytree(datasets.data_dir(), copy)
    with open(copy / "orders.csv", "a") as fh:
        fh.write("99999,1,2024-01-01 00:00,book,12.5,1\n")
    monkeypatch.setenv("CERTLAB_DATA", str(copy))
    with pytest.raises(CertlabError, match="python -m certlab.datagen"):
        datasets.load("orders.csv")
    with pytest.raises(CertlabError, match="No data file"):
        datasets.load("nothing.csv")


def test_generators_reproduce_the_committed_files(tmp_path, monkeypatch):
    """Does regenerating data/ give the committed bytes, and does --check notice a change?"""
    assert datagen_main(["--check"]) == 0
    copy = tmp_path / "data"
    shutil.copytree(datasets.data_dir(), copy)
    (copy / "customers.csv").write_text("customer_id\n1\n")
    assert datagen_main(["--check", "--out", str(copy)]) == 1


def test_setup_is_deterministic():
    """Does certlab.setup give the same random stream for the same seed?"""
    import certlab

    a = certlab.setup(seed=7).normal(size=3)
    b = certlab.setup(seed=7).normal(size=3)
    assert np.array_equal(a, b)
    with pytest.raises(RuntimeError, match="needs certlab"):
        certlab.setup(requires="99.0")
