"""The built-in data sets: scikit-learn's digits and MNIST-1D (generated locally, cached)."""
from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Union

import numpy as np
from mnist1d.data import get_dataset_args, make_dataset
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from ._dataset import Dataset, standardize

__all__ = ["digits", "mnist1d", "cache_dir", "DATA_DIR_VARIABLE"]

#: environment variable naming the cache directory of generated data sets
DATA_DIR_VARIABLE = "RBO_DATA_DIR"
_MNIST1D_FILE = "mnist1d-4000-1000-seed42.npz"


def cache_dir(path: Union[str, Path, None] = None) -> Path:
    """Where generated data sets are cached.

    ``path`` when given; else ``$RBO_DATA_DIR``; else ``$XDG_CACHE_HOME/rbo`` (``~/.cache/rbo``).

    Parameters
    ----------
    path : str or Path, optional

    Returns
    -------
    folder : Path

    See Also
    --------
    mnist1d

    Examples
    --------
    >>> str(cache_dir("/tmp/somewhere"))
    '/tmp/somewhere'
    """
    if path is not None:
        return Path(path)
    if os.environ.get(DATA_DIR_VARIABLE):
        return Path(os.environ[DATA_DIR_VARIABLE])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rbo"


def digits(seed: int = 0, test_size: float = 0.25) -> Dataset:
    """scikit-learn's handwritten digits (1797 images 8 × 8, 10 classes), split and standardised.

    A stratified train/test split (``test_size``, seeded), then per-pixel standardisation with
    the training statistics only (:func:`rbo.data.standardize`).

    Parameters
    ----------
    seed : int
        Seeds the split.
    test_size : float
        Share of the examples held out, in (0, 1).

    Returns
    -------
    data : Dataset
        64 features, 10 classes, named ``"digits"``.

    See Also
    --------
    mnist1d, standardize

    Examples
    --------
    >>> d = digits(seed=0)
    >>> d.n_train, d.n_test, d.n_features, d.n_classes
    (1347, 450, 64, 10)
    """
    if not (0.0 < test_size < 1.0):
        raise ValueError(f"test_size must be in (0, 1), got {test_size}")
    bunch = load_digits()
    x, xt, y, yt = train_test_split(bunch.data.astype(np.float64), bunch.target.astype(np.int64),
                                    test_size=test_size, random_state=seed, stratify=bunch.target)
    x, xt = standardize(x, xt)
    return Dataset(x, y, xt, yt, 10, "digits")


def _generate_mnist1d() -> dict:
    """``mnist1d.data.make_dataset`` with the package's defaults, leaving the global RNGs as
    they were (``make_dataset`` reseeds ``random`` and ``numpy.random``)."""
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        raw = make_dataset(get_dataset_args())
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return {"x_train": raw["x"], "y_train": raw["y"], "x_test": raw["x_test"], "y_test": raw["y_test"]}


def mnist1d(path: Union[str, Path, None] = None, *, regenerate: bool = False) -> Dataset:
    """MNIST-1D (Greydanus 2020): 4000 training and 1000 test sequences of length 40, 10 classes.

    Generated on this machine by ``mnist1d.data.make_dataset`` with the package's default
    arguments (5000 samples, seed 42, 80 % for training) — never downloaded — and cached as
    ``mnist1d-4000-1000-seed42.npz`` in :func:`cache_dir` (``path``, ``$RBO_DATA_DIR`` or
    ``~/.cache/rbo``).  The features are as the package makes them (centred and scaled to
    unit standard deviation over the whole set, as in the published benchmarks).

    Parameters
    ----------
    path : str or Path, optional
        Cache directory.
    regenerate : bool
        Rebuild the cache file.

    Returns
    -------
    data : Dataset
        Named ``"mnist1d"``.

    Raises
    ------
    ValueError
        The cache file is unreadable or has the wrong shapes (the message names it).

    See Also
    --------
    cache_dir, digits

    Examples
    --------
    >>> import tempfile
    >>> d = mnist1d(tempfile.mkdtemp())
    >>> d.n_train, d.n_test, d.n_features, d.n_classes
    (4000, 1000, 40, 10)
    """
    folder = cache_dir(path)
    file = folder / _MNIST1D_FILE
    if regenerate or not file.exists():
        arrays = _generate_mnist1d()
        folder.mkdir(parents=True, exist_ok=True)
        tmp = file.with_name(file.name + f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, file)
    try:
        with np.load(file, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    except (OSError, KeyError, ValueError) as err:
        raise ValueError(f"{file}: unreadable MNIST-1D cache ({err}); delete it or pass "
                         "regenerate=True") from None
    shapes = {k: v.shape for k, v in arrays.items()}
    if shapes != {"x_train": (4000, 40), "y_train": (4000,), "x_test": (1000, 40), "y_test": (1000,)}:
        raise ValueError(f"{file}: MNIST-1D cache has shapes {shapes}, expected 4000/1000 "
                         "sequences of length 40; delete it or pass regenerate=True")
    return Dataset(arrays["x_train"], arrays["y_train"].astype(np.int64), arrays["x_test"],
                   arrays["y_test"].astype(np.int64), 10, "mnist1d")
