"""Data sets for training: built-in ones, readers for files you have, label noise, minibatches.

Every loader returns a :class:`Dataset` (``x_train, y_train, x_test, y_test, n_classes,
name``; float64 features, int64 labels) in NumPy arrays.

* :func:`digits` — scikit-learn's 8 × 8 digits, stratified split, standardised;
* :func:`mnist1d` — MNIST-1D generated locally (4000/1000), cached in ``$RBO_DATA_DIR``;
* :func:`idx`, :func:`read_idx` — MNIST-style IDX files (gzip or not);
* :func:`cifar` — the CIFAR-10/100 binary files;
* :func:`with_label_noise` — symmetric label noise on the training set;
* :func:`validation_split` — a stratified held-out part of the training set (for tuning);
* :func:`batch_indices`, :func:`batches` — seeded epoch-wise minibatches.

>>> import rbo
>>> d = rbo.data.with_label_noise(rbo.data.digits(seed=0), 0.2, seed=0)
>>> d.name, round(float((d.y_train != rbo.data.digits(seed=0).y_train).mean()), 3)
('digits+noise0.2', 0.2)
"""
from ._builtin import DATA_DIR_VARIABLE, cache_dir, digits, mnist1d
from ._dataset import (Dataset, batch_indices, batches, standardize, validation_split,
                       with_label_noise)
from ._readers import cifar, idx, read_idx

__all__ = ["Dataset", "digits", "mnist1d", "idx", "read_idx", "cifar", "with_label_noise",
           "validation_split", "batch_indices", "batches", "standardize", "cache_dir", "DATA_DIR_VARIABLE"]
