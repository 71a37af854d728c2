"""rbo.data: loaders against independent constructions, readers on files written in the real
formats, label noise by counting, minibatches by covering."""
import gzip
import random
import struct

import numpy as np
import pytest
from mnist1d.data import get_dataset_args, make_dataset
from sklearn.datasets import load_digits

from sklearn.model_selection import train_test_split

import rbo
from rbo import data as rd


# -- digits --------------------------------------------------------------------------------
def test_digits_split_is_stratified_and_standardised_with_training_statistics():
    d = rd.digits(seed=3)
    assert (d.n_train, d.n_test, d.n_features, d.n_classes) == (1347, 450, 64, 10)
    raw = load_digits()
    # stratified: every class keeps its share in the test set (to one example)
    for k in range(10):
        share = np.mean(raw.target == k)
        assert abs(np.sum(d.y_test == k) - share * d.n_test) <= 1
    # standardised with training statistics: train columns have mean 0, std 1 (or are constant)
    assert np.allclose(d.x_train.mean(0), 0, atol=1e-12)
    sd = d.x_train.std(0)
    assert np.all((np.abs(sd - 1) < 1e-12) | (sd == 0))
    # the test rows are the raw test rows mapped by the *training* mean and std: redo the split
    # (same seed) and the map by hand; test-set statistics would give other numbers
    xr, xt, _, _ = train_test_split(raw.data.astype(float), raw.target, test_size=0.25,
                                    random_state=3, stratify=raw.target)
    mu, sd = xr.mean(0), np.where(xr.std(0) > 0, xr.std(0), 1.0)
    assert np.allclose(d.x_test, (xt - mu) / sd, rtol=0, atol=1e-12)
    assert not np.allclose(d.x_test.mean(0), 0, atol=1e-3)
    assert not np.array_equal(rd.digits(seed=3).y_test, rd.digits(seed=4).y_test)


# -- MNIST-1D ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mnist1d_reference():
    return make_dataset(get_dataset_args())


def test_mnist1d_generates_once_caches_and_keeps_global_rngs(tmp_path, monkeypatch, mnist1d_reference):
    monkeypatch.setenv(rd.DATA_DIR_VARIABLE, str(tmp_path))
    np.random.seed(123); random.seed(7)
    np_state, py_state = np.random.get_state()[1].copy(), random.getstate()
    d = rd.mnist1d()
    assert np.array_equal(np.random.get_state()[1], np_state) and random.getstate() == py_state
    assert (d.n_train, d.n_test, d.n_features, d.n_classes, d.name) == (4000, 1000, 40, 10, "mnist1d")
    ref = mnist1d_reference
    assert np.array_equal(d.x_train, ref["x"]) and np.array_equal(d.y_test, ref["y_test"])
    files = list(tmp_path.iterdir())
    assert [f.name for f in files] == ["mnist1d-4000-1000-seed42.npz"]

    def boom():
        raise AssertionError("the cache should have been used")
    monkeypatch.setattr("rbo.data._builtin._generate_mnist1d", boom)
    again = rd.mnist1d()
    assert np.array_equal(again.x_train, d.x_train) and np.array_equal(again.y_train, d.y_train)


def test_mnist1d_bad_cache_names_the_file(tmp_path):
    bad = tmp_path / "mnist1d-4000-1000-seed42.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match=r"mnist1d-4000-1000-seed42\.npz: unreadable"):
        rd.mnist1d(tmp_path)
    np.savez(bad, x_train=np.zeros((3, 40)), y_train=np.zeros(3), x_test=np.zeros((1, 40)),
             y_test=np.zeros(1))
    with pytest.raises(ValueError, match="shapes"):
        rd.mnist1d(tmp_path)


# -- IDX -----------------------------------------------------------------------------------
_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D,
          np.float64: 0x0E}


def _idx_bytes(a: np.ndarray) -> bytes:
    head = bytes([0, 0, _CODES[a.dtype.type], a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape)
    return head + a.astype(a.dtype.newbyteorder(">")).tobytes()


@pytest.mark.parametrize("dtype", list(_CODES))
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trip(tmp_path, dtype, compress):
    a = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if dtype == np.uint8:
        a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    raw = _idx_bytes(a)
    p = tmp_path / "a.idx"
    p.write_bytes(gzip.compress(raw) if compress else raw)
    out = rd.read_idx(p)
    assert out.dtype == np.dtype(dtype) and np.array_equal(out, a)


def _mnist_files(tmp_path, n=20, n_test=6, size=4):
    rng = np.random.default_rng(0)
    files = {}
    for part, m in (("train", n), ("test", n_test)):
        imgs = rng.integers(0, 256, (m, size, size), dtype=np.uint8)
        labels = (np.arange(m) % 3).astype(np.uint8)
        files[part] = (tmp_path / f"{part}-images.gz", tmp_path / f"{part}-labels")
        files[part][0].write_bytes(gzip.compress(_idx_bytes(imgs)))
        files[part][1].write_bytes(_idx_bytes(labels))
        files[part + "_arrays"] = (imgs, labels)
    return files


def test_idx_dataset_with_test_files_and_with_a_split(tmp_path):
    f = _mnist_files(tmp_path)
    d = rd.idx(*f["train"], *f["test"], standardize_features=False)
    imgs, labels = f["train_arrays"]
    assert np.array_equal(d.x_train, imgs.reshape(20, 16) / 255.0)
    assert np.array_equal(d.y_test, f["test_arrays"][1]) and d.n_classes == 3
    s = rd.idx(*f["train"], test_size=0.3, seed=1)
    assert (s.n_train, s.n_test) == (14, 6)
    assert sorted(np.bincount(s.y_test).tolist()) == [2, 2, 2]          # stratified
    assert np.allclose(s.x_train.mean(0), 0, atol=1e-12)


@pytest.mark.parametrize("make, match", [
    (lambda p: None, "no such file"),
    (lambda p: p.write_bytes(b"\x00\x00"), "truncated IDX header"),
    (lambda p: p.write_bytes(bytes([0, 0, 8, 3, 0, 0, 0, 2])), "truncated IDX header"),
    (lambda p: p.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 5, 1, 2])), "truncated IDX data"),
    (lambda p: p.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 1, 1, 2])), "unexpected bytes"),
    (lambda p: p.write_bytes(bytes([1, 2, 3, 4, 5])), "not an IDX file"),
    (lambda p: p.write_bytes(bytes([0, 0, 0x42, 1, 0, 0, 0, 1, 1])), "not an IDX file"),
    (lambda p: p.write_bytes(b"\x1f\x8b" + b"garbage"), "corrupt gzip"),
])
def test_read_idx_errors_name_the_file_and_the_problem(tmp_path, make, match):
    p = tmp_path / "broken-idx"
    make(p)
    with pytest.raises(ValueError, match=match) as err:
        rd.read_idx(p)
    assert "broken-idx" in str(err.value)


def test_idx_mismatched_counts_and_half_test_pair(tmp_path):
    f = _mnist_files(tmp_path)
    short = tmp_path / "short-labels"
    short.write_bytes(_idx_bytes(np.zeros(19, np.uint8)))
    with pytest.raises(ValueError, match=r"train-images\.gz has 20 images but .*short-labels has 19 labels"):
        rd.idx(f["train"][0], short)
    with pytest.raises(ValueError, match="both test_images and test_labels"):
        rd.idx(*f["train"], test_images=f["test"][0])


# -- CIFAR ---------------------------------------------------------------------------------
def _cifar10_dir(tmp_path, per_file=3):
    rng = np.random.default_rng(1)
    records = {}
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        labels = rng.integers(0, 10, per_file, dtype=np.uint8)
        pixels = rng.integers(0, 256, (per_file, 3, 32, 32), dtype=np.uint8)
        (tmp_path / name).write_bytes(b"".join(bytes([l]) + p.tobytes() for l, p in zip(labels, pixels)))
        records[name] = (labels, pixels)
    return records


def test_cifar10_reads_records_in_file_order_channel_major(tmp_path):
    rec = _cifar10_dir(tmp_path)
    d = rd.cifar(tmp_path, standardize_features=False)
    assert (d.name, d.n_train, d.n_test, d.n_features, d.n_classes) == ("cifar10", 15, 3, 3072, 10)
    labels, pixels = rec["data_batch_2.bin"]
    assert np.array_equal(d.y_train[3:6], labels)
    # feature 1024 * c + 32 * i + j is channel c, row i, column j
    assert np.array_equal(d.x_train[4].reshape(3, 32, 32), pixels[1] / 255.0)
    assert np.array_equal(d.y_test, rec["test_batch.bin"][0])


def test_cifar100_fine_and_coarse(tmp_path):
    rows = [bytes([c, f]) + bytes([v]) * 3072 for c, f, v in ((3, 77, 10), (19, 99, 20))]
    (tmp_path / "train.bin").write_bytes(rows[0] + rows[1])
    (tmp_path / "test.bin").write_bytes(rows[1])
    fine, coarse = rd.cifar(tmp_path), rd.cifar(tmp_path, labels="coarse")
    assert fine.name == "cifar100" and fine.n_classes == 100 and fine.y_train.tolist() == [77, 99]
    assert coarse.n_classes == 20 and coarse.y_train.tolist() == [3, 19]


def test_cifar_errors(tmp_path):
    with pytest.raises(ValueError, match="no such directory"):
        rd.cifar(tmp_path / "nope")
    _cifar10_dir(tmp_path)
    (tmp_path / "data_batch_3.bin").write_bytes(bytes(3073 * 2 + 10))
    with pytest.raises(ValueError, match=r"data_batch_3\.bin: 6156 bytes is not a whole number"):
        rd.cifar(tmp_path)
    (tmp_path / "data_batch_3.bin").write_bytes(bytes([10]) + bytes(3072))
    with pytest.raises(ValueError, match=r"data_batch_3\.bin: label 10"):
        rd.cifar(tmp_path)
    (tmp_path / "data_batch_3.bin").unlink()
    with pytest.raises(ValueError, match=r"data_batch_3\.bin: no such file"):
        rd.cifar(tmp_path)


# -- label noise, splits, batches, records ---------------------------------------------------
def _toy(n=10000, k=7, seed=0):
    rng = np.random.default_rng(seed)
    return rd.Dataset(rng.standard_normal((n, 2)), rng.integers(0, k, n), np.zeros((3, 2)),
                      np.arange(3) % k, k, "toy")


@pytest.mark.parametrize("fraction", [0.0, 0.2, 0.4, 0.9])
def test_label_noise_flips_exactly_the_fraction_to_other_classes(fraction):
    d = _toy()
    n = rd.with_label_noise(d, fraction, seed=5)
    wrong = n.y_train != d.y_train
    assert wrong.sum() == round(fraction * d.n_train)
    assert np.array_equal(n.y_test, d.y_test) and np.array_equal(n.x_train, d.x_train)
    if fraction:
        # the new label is uniform over the other k − 1 classes: offsets (new − old) mod k are
        # uniform on 1..k−1; counts are binomial, so each is within 5 standard deviations
        off = (n.y_train[wrong] - d.y_train[wrong]) % d.n_classes
        counts = np.bincount(off, minlength=d.n_classes)
        m, p = wrong.sum(), 1 / (d.n_classes - 1)
        assert counts[0] == 0
        assert np.all(np.abs(counts[1:] - m * p) <= 5 * np.sqrt(m * p * (1 - p)))


@pytest.mark.parametrize("fraction", [-0.1, 1.0, 1.5])
def test_label_noise_fraction_outside_range(fraction):
    with pytest.raises(ValueError, match=r"fraction must be in \[0, 1\)"):
        rd.with_label_noise(_toy(100), fraction)


def test_validation_split_never_touches_the_test_set():
    d = rd.digits()
    v = rd.validation_split(d, 0.25, seed=2)
    assert v.n_train + v.n_test == d.n_train
    rows = {r.tobytes() for r in d.x_train}
    assert all(r.tobytes() in rows for r in v.x_test)


def test_batch_indices_cover_each_epoch_once_and_are_reproducible():
    n, b = 103, 10
    steps_per_epoch = n // b
    for epoch in range(3):
        idx = np.concatenate([rd.batch_indices(n, b, epoch * steps_per_epoch + k, seed=4)
                              for k in range(steps_per_epoch)])
        assert len(set(idx.tolist())) == steps_per_epoch * b          # no repeat within an epoch
    assert np.array_equal(rd.batch_indices(n, b, 17, seed=4), rd.batch_indices(n, b, 17, seed=4))
    assert not np.array_equal(rd.batch_indices(n, b, 0, seed=4), rd.batch_indices(n, b, 10, seed=4))
    x, y = np.arange(n, dtype=float)[:, None], np.arange(n)
    got = list(rd.batches(x, y, b, seed=4, epochs=2))
    assert len(got) == 2 * steps_per_epoch
    assert all(np.array_equal(xb[:, 0].astype(int), yb) for xb, yb in got)
    with pytest.raises(ValueError, match="batch_size"):
        rd.batch_indices(5, 6, 0)


@pytest.mark.parametrize("kwargs, match", [
    (dict(x_train=np.zeros(3)), "2-D"),
    (dict(x_train=np.zeros((3, 2), int)), "floating"),
    (dict(y_train=np.zeros(2, int)), "one label per row"),
    (dict(y_train=np.array([0, 1, 5])), "outside"),
    (dict(y_train=np.zeros(3)), "integer labels"),
    (dict(n_classes=1), "n_classes"),
    (dict(x_test=np.zeros((1, 3))), "features"),
])
def test_dataset_validation(kwargs, match):
    base = dict(x_train=np.zeros((3, 2)), y_train=np.array([0, 1, 2]), x_test=np.zeros((1, 2)),
                y_test=np.array([0]), n_classes=3)
    with pytest.raises((ValueError, TypeError), match=match):
        rd.Dataset(**{**base, **kwargs})


def test_public_names():
    assert {"digits", "mnist1d", "idx", "cifar", "with_label_noise", "batches", "Dataset"} <= set(rd.__all__)
    assert rbo.data is rd
