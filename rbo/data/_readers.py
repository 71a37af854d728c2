"""Readers for data files a user already has: MNIST's IDX format and CIFAR's binary format.

IDX (LeCun's MNIST files, optionally gzip-compressed): a 4-byte magic ``0x00 0x00 T D`` (``T``
the element type, ``D`` the number of dimensions), ``D`` big-endian uint32 sizes, then the
elements in C order, big-endian.

CIFAR binary (``cifar-10-batches-bin``: ``data_batch_1.bin … data_batch_5.bin``,
``test_batch.bin``; ``cifar-100-binary``: ``train.bin``, ``test.bin``): fixed-size records of
1 label byte (CIFAR-100: coarse then fine label, 2 bytes) and 3072 pixel bytes (1024 red,
1024 green, 1024 blue, each 32 × 32 row-major).

Every problem with a file is a :class:`ValueError` whose message names the file.
"""
from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from typing import Optional, Union

import numpy as np
from sklearn.model_selection import train_test_split

from ._dataset import Dataset, standardize

__all__ = ["read_idx", "idx", "cifar"]

PathLike = Union[str, Path]

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_CIFAR_PIXELS = 3072
_CIFAR10_TRAIN = tuple(f"data_batch_{i}.bin" for i in range(1, 6))


def _read_bytes(path: PathLike) -> tuple[Path, bytes]:
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file" + (" (it is a directory)" if path.is_dir() else ""))
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise ValueError(f"{path}: corrupt gzip data ({err})") from None
    return path, raw


def read_idx(path: PathLike) -> np.ndarray:
    """The array stored in one IDX file (gzip-compressed or not).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    array : ndarray
        Shape from the header, native byte order (uint8 for MNIST).

    Raises
    ------
    ValueError
        Missing file, bad magic number, unknown element type, a header or data shorter than
        the header announces, or trailing bytes; the message names the file.

    See Also
    --------
    idx : a data set from IDX files.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "labels.idx1-ubyte"
    >>> _ = p.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 1, 9]))
    >>> read_idx(p).tolist()
    [7, 1, 9]
    """
    path, raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} bytes, the magic number needs 4)")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES or raw[3] == 0:
        raise ValueError(f"{path}: not an IDX file (magic bytes {raw[:4].hex(' ')}; expected "
                         "00 00 <type 08/09/0b/0c/0d/0e> <dimensions >= 1>)")
    ndim = raw[3]
    head = 4 + 4 * ndim
    if len(raw) < head:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} bytes, {ndim} dimensions "
                         f"need {head})")
    dims = tuple(int(v) for v in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    need = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    have = len(raw) - head
    if have < need:
        raise ValueError(f"{path}: truncated IDX data: the header announces shape {dims} "
                         f"({need} bytes) but {have} bytes follow it")
    if have > need:
        raise ValueError(f"{path}: {have - need} unexpected bytes after the {need} bytes of "
                         f"data of shape {dims}")
    return np.frombuffer(raw, dtype=dtype, offset=head).reshape(dims).astype(dtype.newbyteorder("="))


def _features(images: np.ndarray) -> np.ndarray:
    """Rows of floats; bytes scaled to [0, 1]."""
    x = images.reshape(images.shape[0], -1).astype(np.float64)
    return x / 255.0 if images.dtype == np.uint8 else x


def _pair(images: PathLike, labels: PathLike) -> tuple[np.ndarray, np.ndarray]:
    x = read_idx(images)
    y = read_idx(labels)
    if x.ndim < 2:
        raise ValueError(f"{images}: an images file needs >= 2 dimensions (count, ...), got shape {x.shape}")
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{labels}: a labels file holds one integer per example, got "
                         f"{y.dtype} of shape {y.shape}")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"{images} has {x.shape[0]} images but {labels} has {y.shape[0]} labels")
    if y.size and y.min() < 0:
        raise ValueError(f"{labels}: negative label {int(y.min())}")
    return _features(x), y.astype(np.int64)


def idx(images: PathLike, labels: PathLike, test_images: Optional[PathLike] = None,
        test_labels: Optional[PathLike] = None, *, test_size: float = 0.2, seed: int = 0,
        standardize_features: bool = True, name: str = "mnist") -> Dataset:
    """A data set from IDX files (MNIST, Fashion-MNIST, …) that you already have.

    Images are flattened to rows (bytes scaled to ``[0, 1]``); with ``test_images`` and
    ``test_labels`` they form the test set, otherwise a stratified ``test_size`` share of the
    training files does (seeded).  Features are then standardised with training statistics
    (:func:`standardize`) unless ``standardize_features=False``.

    Parameters
    ----------
    images, labels : path
        e.g. ``train-images-idx3-ubyte(.gz)`` and ``train-labels-idx1-ubyte(.gz)``.
    test_images, test_labels : path, optional
        e.g. ``t10k-images-idx3-ubyte.gz`` and ``t10k-labels-idx1-ubyte.gz``.
    test_size : float
        Share held out when no test files are given.
    seed : int
    standardize_features : bool
    name : str

    Returns
    -------
    data : Dataset
        ``n_classes`` = largest label + 1.

    See Also
    --------
    read_idx : one file as an array.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> imgs = np.arange(40, dtype=np.uint8).reshape(10, 2, 2)
    >>> _ = (d / "x").write_bytes(bytes([0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 2, 0, 0, 0, 2]) + imgs.tobytes())
    >>> _ = (d / "y").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 10]) + bytes([0, 1] * 5))
    >>> data = idx(d / "x", d / "y", test_size=0.2)
    >>> data.n_train, data.n_test, data.n_features, data.n_classes
    (8, 2, 4, 2)
    """
    x, y = _pair(images, labels)
    if (test_images is None) != (test_labels is None):
        raise ValueError("give both test_images and test_labels, or neither (then a share "
                         "test_size of the training files is held out)")
    if test_images is not None:
        xt, yt = _pair(test_images, test_labels)
        if xt.shape[1] != x.shape[1]:
            raise ValueError(f"{test_images}: images of {xt.shape[1]} values but {images} has "
                             f"{x.shape[1]}")
    else:
        if not (0.0 < test_size < 1.0):
            raise ValueError(f"test_size must be in (0, 1), got {test_size}")
        x, xt, y, yt = train_test_split(x, y, test_size=test_size, random_state=seed, stratify=y)
    if standardize_features:
        x, xt = standardize(x, xt)
    k = int(max(y.max(initial=0), yt.max(initial=0))) + 1
    return Dataset(x, y, xt, yt, max(k, 2), name)


def _cifar_file(path: Path, label_bytes: int, n_classes: tuple) -> tuple[np.ndarray, np.ndarray]:
    if not path.is_file():
        raise ValueError(f"{path}: no such file (a CIFAR binary directory holds "
                         + ("data_batch_1.bin ... data_batch_5.bin and test_batch.bin)"
                            if label_bytes == 1 else "train.bin and test.bin)"))
    raw = path.read_bytes()
    rec = label_bytes + _CIFAR_PIXELS
    if len(raw) == 0 or len(raw) % rec:
        raise ValueError(f"{path}: {len(raw)} bytes is not a whole number of {rec}-byte CIFAR "
                         f"records (truncated or not a CIFAR{'-10' if label_bytes == 1 else '-100'} binary file)")
    table = np.frombuffer(raw, dtype=np.uint8).reshape(-1, rec)
    labels = table[:, :label_bytes].astype(np.int64)
    for j, k in enumerate(n_classes):
        if labels[:, j].max() >= k:
            raise ValueError(f"{path}: label {int(labels[:, j].max())} in byte {j} of a record; "
                             f"this format has {k} classes there")
    return table[:, label_bytes:], labels


def cifar(path: PathLike, *, labels: str = "fine", standardize_features: bool = True) -> Dataset:
    """CIFAR-10 or CIFAR-100 from the binary version's directory that you already have.

    ``cifar-10-batches-bin`` (files ``data_batch_1.bin … data_batch_5.bin``, ``test_batch.bin``)
    or ``cifar-100-binary`` (``train.bin``, ``test.bin``), recognised by their file names.
    Rows are the 3072 pixel bytes scaled to ``[0, 1]`` (channel-major: R, G, B planes), then
    standardised with training statistics unless ``standardize_features=False``.

    Parameters
    ----------
    path : path
        The directory.
    labels : {"fine", "coarse"}
        CIFAR-100 only: 100 fine or 20 coarse classes.
    standardize_features : bool

    Returns
    -------
    data : Dataset
        Named ``"cifar10"``, ``"cifar100"`` or ``"cifar100-coarse"``.

    See Also
    --------
    idx, standardize

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> rec = lambda k: bytes([k]) + bytes(3072)
    >>> for f in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
    ...     _ = (d / f).write_bytes(rec(1) + rec(2))
    >>> c = cifar(d); c.name, c.n_train, c.n_test, c.n_features, c.n_classes
    ('cifar10', 10, 2, 3072, 10)
    """
    root = Path(path)
    if not root.is_dir():
        raise ValueError(f"{root}: no such directory (pass the folder cifar-10-batches-bin or "
                         "cifar-100-binary)")
    if labels not in ("fine", "coarse"):
        raise ValueError(f"labels must be 'fine' or 'coarse', got {labels!r}")
    if (root / "train.bin").exists() or (root / "test.bin").exists():
        col = 1 if labels == "fine" else 0
        parts = [_cifar_file(root / f, 2, (20, 100)) for f in ("train.bin", "test.bin")]
        name, k = ("cifar100", 100) if labels == "fine" else ("cifar100-coarse", 20)
        (xa, la), (xb, lb) = parts
        ya, yb = la[:, col], lb[:, col]
    else:
        train = [_cifar_file(root / f, 1, (10,)) for f in _CIFAR10_TRAIN]
        xb, lb = _cifar_file(root / "test_batch.bin", 1, (10,))
        xa = np.concatenate([t[0] for t in train])
        ya, yb = np.concatenate([t[1][:, 0] for t in train]), lb[:, 0]
        name, k = "cifar10", 10
    xa, xb = _features(xa), _features(xb)
    if standardize_features:
        xa, xb = standardize(xa, xb)
    return Dataset(xa, ya, xb, yb, k, name)
