"""The :class:`Dataset` record, label noise, standardisation and seeded minibatches."""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace
from typing import Iterator

import numpy as np
from sklearn.model_selection import train_test_split

__all__ = ["Dataset", "with_label_noise", "validation_split", "batch_indices", "batches",
           "standardize"]


@dataclass(frozen=True)
class Dataset:
    """A classification data set in NumPy arrays, split into train and test.

    Attributes
    ----------
    x_train, x_test : ndarray (n, n_features), float64
    y_train, y_test : ndarray (n,), int64, labels in ``0 … n_classes − 1``
    n_classes : int
    name : str

    Examples
    --------
    >>> import numpy as np
    >>> d = Dataset(np.zeros((4, 2)), np.array([0, 1, 0, 1]), np.ones((2, 2)), np.array([1, 0]), 2, "toy")
    >>> d.n_train, d.n_test, d.n_features
    (4, 2, 2)
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    name: str = "data"

    def __post_init__(self):
        k = int(self.n_classes)
        if k < 2:
            raise ValueError(f"n_classes must be >= 2, got {self.n_classes}")
        object.__setattr__(self, "n_classes", k)
        for part in ("train", "test"):
            x = np.asarray(getattr(self, f"x_{part}"))
            y = np.asarray(getattr(self, f"y_{part}"))
            if x.ndim != 2:
                raise ValueError(f"x_{part} must be 2-D (examples, features), got shape {x.shape}")
            if not np.issubdtype(x.dtype, np.floating):
                raise TypeError(f"x_{part} must be floating, got dtype {x.dtype}")
            if y.ndim != 1 or y.shape[0] != x.shape[0]:
                raise ValueError(f"y_{part} must hold one label per row of x_{part} "
                                 f"({x.shape[0]}), got shape {y.shape}")
            if not np.issubdtype(y.dtype, np.integer):
                raise TypeError(f"y_{part} must hold integer labels, got dtype {y.dtype}")
            if y.size and (y.min() < 0 or y.max() >= k):
                raise ValueError(f"y_{part} has labels {int(y.min())}..{int(y.max())} outside "
                                 f"0..{k - 1} (n_classes={k})")
            object.__setattr__(self, f"x_{part}", x.astype(np.float64, copy=False))
            object.__setattr__(self, f"y_{part}", y.astype(np.int64, copy=False))
        if self.x_train.shape[1] != self.x_test.shape[1]:
            raise ValueError(f"x_train has {self.x_train.shape[1]} features but x_test has "
                             f"{self.x_test.shape[1]}")

    @property
    def n_train(self) -> int:
        return int(self.x_train.shape[0])

    @property
    def n_test(self) -> int:
        return int(self.x_test.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])

    def describe(self) -> dict:
        """JSON-ready summary (sizes, classes, name)."""
        return {"name": self.name, "n_train": self.n_train, "n_test": self.n_test,
                "n_features": self.n_features, "n_classes": self.n_classes}


def standardize(x_train: np.ndarray, x_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature ``(x − μ)/σ`` with ``μ, σ`` of the **training** rows (σ = 1 where σ = 0).

    Parameters
    ----------
    x_train, x_test : ndarray (n, features)

    Returns
    -------
    scaled : tuple of ndarray
        ``(x_train', x_test')``, both mapped by the training statistics.

    See Also
    --------
    digits, idx, cifar : the loaders that use it.

    Examples
    --------
    >>> import numpy as np
    >>> a, b = standardize(np.array([[0.0, 5.0], [2.0, 5.0]]), np.array([[1.0, 6.0]]))
    >>> a.tolist(), b.tolist()
    ([[-1.0, 0.0], [1.0, 0.0]], [[0.0, 1.0]])
    """
    mu = x_train.mean(axis=0)
    sd = x_train.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return (x_train - mu) / sd, (x_test - mu) / sd


def with_label_noise(data: Dataset, fraction: float, seed: int = 0) -> Dataset:
    """Symmetric label noise on the training set: a ``fraction`` of its labels made wrong.

    ``round(fraction · n_train)`` training examples, drawn without replacement, get a label
    drawn uniformly from the **other** ``n_classes − 1`` classes; the test set is untouched.

    Parameters
    ----------
    data : Dataset
    fraction : float
        In ``[0, 1)``.
    seed : int

    Returns
    -------
    noisy : Dataset
        Named ``"<name>+noise<fraction>"``.

    See Also
    --------
    rbo.compare : its ``label_noise`` study.

    Examples
    --------
    >>> import numpy as np
    >>> d = Dataset(np.zeros((10, 1)), np.zeros(10, int), np.zeros((1, 1)), np.zeros(1, int), 3, "toy")
    >>> n = with_label_noise(d, 0.3, seed=1)
    >>> int((n.y_train != d.y_train).sum()), n.name
    (3, 'toy+noise0.3')
    """
    fraction = float(fraction)
    if not (0.0 <= fraction < 1.0):
        raise ValueError(f"the label-noise fraction must be in [0, 1), got {fraction}")
    if not isinstance(data, Dataset):
        raise TypeError(f"with_label_noise needs a Dataset, got {type(data).__name__}")
    rng = np.random.default_rng(seed)
    n = data.n_train
    flip = rng.choice(n, size=int(round(fraction * n)), replace=False)
    y = data.y_train.copy()
    y[flip] = (y[flip] + rng.integers(1, data.n_classes, size=flip.size)) % data.n_classes
    return replace(data, y_train=y, name=f"{data.name}+noise{fraction:g}")


def validation_split(data: Dataset, fraction: float = 0.2, seed: int = 0) -> Dataset:
    """Hold out a stratified ``fraction`` of the training set as the "test" set (for tuning).

    The returned data set never sees ``data``'s test set, so hyper-parameters chosen on it are
    not fitted to the test set.

    Parameters
    ----------
    data : Dataset
    fraction : float
        In (0, 1).
    seed : int

    Returns
    -------
    split : Dataset
        Its "test" part is the held-out share; named ``"<name>-validation"``.

    See Also
    --------
    rbo.compare : tunes learning rates on it.

    Examples
    --------
    >>> import numpy as np
    >>> d = Dataset(np.zeros((10, 1)), np.arange(10) % 2, np.zeros((1, 1)), np.zeros(1, int), 2, "toy")
    >>> v = validation_split(d, 0.2); v.n_train, v.n_test, v.name, sorted(v.y_test.tolist())
    (8, 2, 'toy-validation', [0, 1])
    """
    if not (0.0 < fraction < 1.0):
        raise ValueError(f"the validation fraction must be in (0, 1), got {fraction}")
    x, xv, y, yv = train_test_split(data.x_train, data.y_train, test_size=fraction,
                                    random_state=seed, stratify=data.y_train)
    return Dataset(x, y, xv, yv, data.n_classes, f"{data.name}-validation")


@functools.lru_cache(maxsize=8)
def _permutation(n: int, seed: int, epoch: int) -> np.ndarray:
    perm = np.random.default_rng([seed, epoch]).permutation(n)
    perm.flags.writeable = False
    return perm


def batch_indices(n: int, batch_size: int, step: int, seed: int = 0) -> np.ndarray:
    """The example indices of minibatch ``step``: epoch-wise seeded shuffling.

    Epoch ``e = step // m`` (``m = n // batch_size`` batches per epoch) uses the permutation
    ``default_rng([seed, e]).permutation(n)``; batch ``step mod m`` is its slice
    ``[k·B, (k+1)·B)``.  A pure function of its arguments, so a resumed run sees the same
    batches.  The ``n mod B`` examples left over are not used in that epoch.

    Parameters
    ----------
    n, batch_size, step, seed : int

    Returns
    -------
    indices : ndarray of int, shape (batch_size,)
        Read-only.

    See Also
    --------
    batches, rbo.nn.MLP.minibatches

    Examples
    --------
    >>> a = [batch_indices(10, 3, s, seed=0) for s in range(3)]
    >>> sorted(int(i) for b in a for i in b) == sorted(set(int(i) for b in a for i in b))
    True
    """
    n, batch_size, step = int(n), int(batch_size), int(step)
    if not (1 <= batch_size <= n):
        raise ValueError(f"batch_size must be in 1..{n} (the number of examples), got {batch_size}")
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    m = n // batch_size
    k = step % m
    return _permutation(n, int(seed), step // m)[k * batch_size:(k + 1) * batch_size]


def batches(x: np.ndarray, y: np.ndarray, batch_size: int, *, seed: int = 0,
            epochs: float = 1.0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Iterate ``(x_batch, y_batch)`` minibatches for ``epochs`` epochs (see :func:`batch_indices`).

    ``epochs`` may be fractional: ``ceil(epochs · (n // batch_size))`` batches in all.

    Parameters
    ----------
    x, y : ndarray
        Rows and labels.
    batch_size : int
    seed : int
    epochs : float

    Returns
    -------
    batches : iterator of (ndarray, ndarray)

    See Also
    --------
    batch_indices

    Examples
    --------
    >>> import numpy as np
    >>> x, y = np.arange(10.0)[:, None], np.arange(10)
    >>> [len(yb) for _, yb in batches(x, y, 4, seed=0, epochs=1.5)]
    [4, 4, 4]
    """
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x has {x.shape[0]} rows but y has {y.shape[0]}")
    if not (epochs > 0 and math.isfinite(epochs)):
        raise ValueError(f"epochs must be a positive number, got {epochs}")
    n = x.shape[0]
    if not (1 <= int(batch_size) <= n):
        raise ValueError(f"batch_size must be in 1..{n} (the number of examples), got {batch_size}")
    steps = math.ceil(epochs * (n // int(batch_size)))
    for step in range(steps):
        idx = batch_indices(n, batch_size, step, seed)
        yield x[idx], y[idx]
