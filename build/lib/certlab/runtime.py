"""What a notebook's locked setup cell calls: seeds, thread limits and a version check."""

from __future__ import annotations

import os
import random
import sys

DEFAULT_SEED = 42


def _threads() -> int:
    """Threads for BLAS and frameworks: ``CERTLAB_THREADS`` or 1.

    Binder gives one CPU but Python sees the host's count, so the default never follows
    ``os.cpu_count()``. One thread is also the safe default on a shared machine: with two,
    small torch and scikit-learn fits ran 10-30 times slower whenever the other core was busy
    (parallel grading, a second notebook), while one thread costs little on these small models.
    """
    try:
        return max(1, int(os.environ.get("CERTLAB_THREADS", "1")))
    except ValueError:
        return 1


def setup(seed: int = DEFAULT_SEED, requires: str | None = None):
    """Prepare a notebook kernel for deterministic, bounded work.

    Parameters
    ----------
    seed
        Seeds Python's ``random``, NumPy, and TensorFlow or PyTorch when they are imported.
    requires
        Minimum certlab version the notebook was written for, e.g. ``"0.1"``.

    Returns
    -------
    numpy.random.Generator
        ``np.random.default_rng(seed)``: the notebook's ``rng``.
    """
    from certlab import __version__

    if requires is not None and _version_tuple(__version__) < _version_tuple(requires):
        raise RuntimeError(
            f"This notebook needs certlab >= {requires}, but {__version__} is installed. "
            "Run `make setup` (or `pip install -e .`) in the course folder."
        )
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("PYTHONHASHSEED", str(seed))
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    threads = _threads()
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)
    except ImportError:  # extra: threadpoolctl comes with scikit-learn; without it, no limit
        pass
    if "torch" in sys.modules:
        import torch

        torch.manual_seed(seed)
        torch.set_num_threads(threads)
    if "tensorflow" in sys.modules or "keras" in sys.modules:
        import keras

        keras.utils.set_random_seed(seed)
    return np.random.default_rng(seed)


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)
