"""Multilayer perceptrons as objectives: backpropagation and exact Hessian-vector products.

Layer ``l = 0 … L−1`` maps ``a_l`` (``a_0 = X``, shape ``(B, n_0)``) to
``z_l = a_l W_l + b_l`` and ``a_{l+1} = φ(z_l)``; the last ``z`` are the outputs (logits).
The parameters are one flat vector: for each layer ``W_l`` (row-major, ``n_l × n_{l+1}``),
then ``b_l``.  Losses, averaged over the batch, plus ``(wd/2) Σ_l |W_l|²`` (weights only):

* ``"cross_entropy"``: ``mean_i (logsumexp(z_i) − z_{i, y_i})``, ``δ = (softmax(z) − T)/B``;
* ``"mse"``: ``mean_i |z_i − T_i|² / 2``, ``δ = (z − T)/B``;

with ``T`` the one-hot labels (or, for ``"mse"``, given real targets of shape ``(B, K)``).

Gradient by backpropagation: ``∇W_l = a_lᵀ δ_l``, ``∇b_l = Σ_i δ_l``,
``δ_{l−1} = (δ_l W_lᵀ) ⊙ φ'(z_{l−1})``.

Hessian-vector product ``H v`` by the R-operator (Pearlmutter 1994), ``R{·} = d/dε ·(θ + ε v)``
at ``ε = 0``, with ``v = (V_l, c_l)``::

    R z_l = R a_l W_l + a_l V_l + c_l,          R a_{l+1} = φ'(z_l) ⊙ R z_l,   R a_0 = 0
    R δ_{L−1} = p ⊙ (R z − ⟨p, R z⟩)/B  (cross-entropy),   R z / B  (mse)
    R ∇W_l = R a_lᵀ δ_l + a_lᵀ R δ_l,           R ∇b_l = Σ_i R δ_l
    R δ_{l−1} = (R δ_l W_lᵀ + δ_l V_lᵀ) ⊙ φ'(z_{l−1}) + (δ_l W_lᵀ) ⊙ φ''(z_{l−1}) ⊙ R z_{l−1}

This is exact (no finite differences).  An objective keeps the forward and backward pass of
the last point it evaluated; an ``hvp`` at that same point (the Newton–CG footpoint solver and
Lanczos make many there) reuses it, with ``(δ_l W_lᵀ) ⊙ φ''(z_{l−1})`` formed at the first
``hvp`` and kept, and costs the R-forward and R-backward passes only: six matrix products per
hidden-to-hidden layer where a gradient has three, about 1.4–1.5 gradients' time at widths 128
and 256 (``benchmarks/bench_networks.py``, ``benchmarks/bench_netcost.py``); an ``hvp``
elsewhere recomputes the pass first.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np
from array_api_compat import device

from .._compat import array_namespace
from ..data import batch_indices
from ._activations import ACTIVATIONS, activate, second_derivative

__all__ = ["MLP", "NetObjective", "NetMinibatches", "mlp", "logistic", "LOSSES", "INITS"]

#: the losses an MLP accepts
LOSSES = ("cross_entropy", "mse")
#: initialisation by activation: Glorot (Xavier) uniform for tanh, He normal for relu and gelu
INITS = {"tanh": "glorot_uniform", "relu": "he_normal", "gelu": "he_normal"}


@dataclass
class _Pass:
    """One forward and backward pass at ``theta`` (to ``δ``), kept for gradients and
    Hessian-vector products; the gradient and ``curv`` are filled when first needed."""

    theta: Any
    weights: list         # W_l
    acts: list            # a_0 = X, …, a_{L−1}
    pre: list             # z_0 … z_{L−2} (hidden pre-activations)
    d1: list              # φ'(z_l), hidden layers
    back: list            # δ_l W_lᵀ for l ≥ 1, i.e. ∂loss/∂a_l before ⊙ φ'
    deltas: list          # δ_l = ∂loss/∂z_l
    probs: Any            # softmax of the outputs (cross-entropy), else None
    value: Any
    curv: Optional[list] = None  # (δ_{l+1} W_{l+1}ᵀ) ⊙ φ''(z_l), hidden layers (for hvps)
    grad: Any = None


@dataclass(frozen=True)
class MLP:
    """A multilayer perceptron with a loss: the model behind :func:`mlp` and :func:`logistic`.

    Attributes
    ----------
    sizes : tuple of int
        Layer widths ``(n_in, hidden…, n_out)``; two entries make an affine model.
    activation : {"tanh", "relu", "gelu"}
        Hidden activation (``gelu``: its tanh approximation, see :mod:`rbo.nn`).
    loss : {"cross_entropy", "mse"}
    weight_decay : float
        ``wd ≥ 0``: adds ``(wd/2) Σ_l |W_l|²`` (weights, not biases) to the loss.

    See Also
    --------
    mlp, logistic : the constructors.
    """

    sizes: tuple
    activation: str = "tanh"
    loss: str = "cross_entropy"
    weight_decay: float = 0.0

    def __post_init__(self):
        sizes = tuple(self.sizes)
        if len(sizes) < 2 or not all(isinstance(n, (int, np.integer)) and n >= 1 for n in sizes):
            raise ValueError(f"sizes must be two or more positive integers (n_in, ..., n_out), "
                             f"got {self.sizes!r}")
        object.__setattr__(self, "sizes", tuple(int(n) for n in sizes))
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; choose one of {ACTIVATIONS}")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose one of {LOSSES}")
        wd = float(self.weight_decay)
        if not (wd >= 0.0 and math.isfinite(wd)):
            raise ValueError(f"weight_decay must be a finite number >= 0, got {self.weight_decay}")
        object.__setattr__(self, "weight_decay", wd)

    @property
    def n_in(self) -> int:
        return self.sizes[0]

    @property
    def n_out(self) -> int:
        return self.sizes[-1]

    @property
    def n_params(self) -> int:
        """``Σ_l (n_l + 1) n_{l+1}``."""
        return sum((a + 1) * b for a, b in zip(self.sizes[:-1], self.sizes[1:]))

    @property
    def init_scheme(self) -> str:
        return INITS[self.activation]

    def describe(self) -> dict:
        """JSON-ready description (for results files).

        >>> mlp([4, 3, 2]).describe()["n_params"]
        23
        """
        return {"kind": "mlp", "sizes": list(self.sizes), "activation": self.activation,
                "loss": self.loss, "weight_decay": self.weight_decay,
                "n_params": self.n_params, "init": self.init_scheme}

    def _slices(self):
        """``(start of W, start of b, end of b, n_in, n_out)`` per layer in the flat vector."""
        out, k = [], 0
        for a, b in zip(self.sizes[:-1], self.sizes[1:]):
            out.append((k, k + a * b, k + a * b + b, a, b))
            k += (a + 1) * b
        return out

    def unflatten(self, theta) -> list:
        """``[(W_0, b_0), …]`` views of a flat parameter vector.

        >>> import numpy as np
        >>> [(W.shape, b.shape) for W, b in mlp([3, 2, 1]).unflatten(np.zeros(11))]
        [((3, 2), (2,)), ((2, 1), (1,))]
        """
        self._check_theta(theta)
        return self._views(array_namespace(theta), theta)

    def _views(self, xp, theta) -> list:
        """:meth:`unflatten` of a checked vector."""
        return [(xp.reshape(theta[w:b_], (a, n)), theta[b_:e]) for w, b_, e, a, n in self._slices()]

    def _check_theta(self, theta):
        if getattr(theta, "ndim", None) != 1 or theta.shape[0] != self.n_params:
            raise ValueError(f"theta must be a flat array of {self.n_params} parameters for "
                             f"{self.sizes}, got shape {getattr(theta, 'shape', None)}")

    def init(self, seed: Optional[int] = 0, xp: Any = None, dtype: Any = None):
        """Seeded initial parameters: Glorot uniform (tanh) or He normal (relu, gelu), zero biases.

        ``W_l ~ U(±sqrt(6 / (n_l + n_{l+1})))`` (Glorot) or ``N(0, 2 / n_l)`` (He), drawn on the
        host by ``numpy.random.default_rng(seed)`` layer by layer, so every namespace gets the
        same numbers.

        Parameters
        ----------
        seed : int or None
        xp : array namespace, optional
            NumPy by default; CuPy, array_api_strict, …
        dtype : optional
            Floating dtype of ``xp``; float64 by default.

        Returns
        -------
        theta : array, shape (n_params,)

        Examples
        --------
        >>> import numpy as np
        >>> m = mlp([40, 16, 10])
        >>> t = m.init(seed=0); t.shape, t.dtype, bool(np.all(m.init(seed=0) == t))
        ((826,), dtype('float64'), True)
        """
        rng = np.random.default_rng(seed)
        parts = []
        for _, _, _, a, b in self._slices():
            if self.init_scheme == "glorot_uniform":
                lim = math.sqrt(6.0 / (a + b))
                W = rng.uniform(-lim, lim, size=(a, b))
            else:
                W = rng.standard_normal((a, b)) * math.sqrt(2.0 / a)
            parts += [W.reshape(-1), np.zeros(b)]
        theta = np.concatenate(parts)
        xp = np if xp is None else xp
        return xp.asarray(theta, dtype=xp.float64 if dtype is None else dtype)

    # -- data ------------------------------------------------------------------------------
    def _targets(self, X, y):
        """Validate ``(X, y)``; return the target matrix ``T`` (one-hot labels or given targets)."""
        xp = array_namespace(X, y)
        if getattr(X, "ndim", None) != 2 or X.shape[1] != self.n_in:
            raise ValueError(f"X must have shape (batch, {self.n_in}), got {getattr(X, 'shape', None)}")
        if not xp.isdtype(X.dtype, "real floating"):
            raise TypeError(f"X must be a real floating array, got dtype {X.dtype}; convert it "
                            "with xp.astype(X, xp.float64)")
        if xp.isdtype(y.dtype, "integral"):
            if y.shape != (X.shape[0],):
                raise ValueError(f"y must hold one label per row of X: shape ({X.shape[0]},), got {y.shape}")
            if X.shape[0] and (int(xp.min(y)) < 0 or int(xp.max(y)) >= self.n_out):
                raise ValueError(f"labels must lie in 0..{self.n_out - 1} (the model has "
                                 f"{self.n_out} outputs), got {int(xp.min(y))}..{int(xp.max(y))}")
            classes = xp.arange(self.n_out, dtype=y.dtype, device=device(y))
            return xp.astype(y[:, None] == classes[None, :], X.dtype)
        if self.loss == "mse" and y.shape == (X.shape[0], self.n_out):
            return xp.astype(y, X.dtype)
        raise TypeError(f"y must be integer labels of shape ({X.shape[0]},)"
                        + (f" or real targets of shape ({X.shape[0]}, {self.n_out})" if self.loss == "mse" else "")
                        + f"; got dtype {y.dtype}, shape {y.shape}")

    def objective(self, X, y) -> "NetObjective":
        """The loss on ``(X, y)`` as an objective: ``value_and_grad(theta)``, ``hvp(theta, v)``.

        Parameters
        ----------
        X : array (B, n_in), real floating
        y : array (B,) of integer labels (or, for ``loss="mse"``, real targets (B, n_out))

        Returns
        -------
        NetObjective

        Examples
        --------
        >>> import numpy as np
        >>> m = mlp([2, 3, 2])
        >>> obj = m.objective(np.array([[0.5, -1.0]]), np.array([1]))
        >>> v, g = obj.value_and_grad(m.init(seed=0)); g.shape
        (17,)
        """
        T = self._targets(X, y)
        return NetObjective(self, X, T)

    def minibatches(self, X, y, batch_size: int, seed: int = 0) -> "NetMinibatches":
        """A stochastic objective for :func:`rbo.run`: ``sample(step)`` is the loss on one batch.

        Batches follow :func:`rbo.data.batch_indices`: a seeded permutation per epoch, cut into
        ``n // batch_size`` batches (the remainder is left out of that epoch).

        Examples
        --------
        >>> import numpy as np, rbo
        >>> m = mlp([2, 4, 2])
        >>> X = np.random.default_rng(0).standard_normal((32, 2)); y = (X[:, 0] > 0).astype(int)
        >>> tr = rbo.run(m.minibatches(X, y, 8, seed=0), rbo.sgd(0.5), m.init(seed=0), steps=40)
        >>> tr.status, tr.steps
        ('completed', 40)
        """
        T = self._targets(X, y)
        n = X.shape[0]
        if not (1 <= int(batch_size) <= n):
            raise ValueError(f"batch_size must be in 1..{n} (the number of examples), got {batch_size}")
        return NetMinibatches(self, X, T, int(batch_size), int(seed))

    # -- passes ----------------------------------------------------------------------------
    def _forward(self, theta, X, order: int):
        """Outputs and, for ``order ≥ 1``, what backpropagation needs."""
        xp = array_namespace(theta)
        layers = self._views(xp, theta)
        acts, pre, d1 = [X], [], []
        a = X
        for l, (W, b) in enumerate(layers):
            z = a @ W
            z += b
            if l == len(layers) - 1:
                return layers, acts, pre, d1, z
            a, g1, _ = activate(self.activation, xp, z, min(order, 1))
            acts.append(a)
            pre.append(z)
            d1.append(g1)

    def _loss_delta(self, xp, z, T):
        """Data loss (mean), ``δ = ∂loss/∂z`` and the softmax (cross-entropy)."""
        B = z.shape[0]
        if self.loss == "cross_entropy":
            m = xp.max(z, axis=1, keepdims=True)
            e = xp.exp(z - m)
            s = xp.sum(e, axis=1, keepdims=True)
            p = e / s
            value = xp.sum(m + xp.log(s) - xp.sum(z * T, axis=1, keepdims=True)) / B
            return value, (p - T) / B, p
        r = z - T
        return xp.sum(r * r) / (2 * B), r / B, None

    def _penalty(self, xp, layers):
        wd = self.weight_decay
        return wd * 0.5 * sum(xp.sum(W * W) for W, _ in layers) if wd else 0.0

    def _full_pass(self, theta, X, T) -> _Pass:
        """Forward pass and the backward recursion for ``δ`` (not yet the gradient)."""
        xp = array_namespace(theta)
        layers, acts, pre, d1, z = self._forward(theta, X, 1)
        value, delta, p = self._loss_delta(xp, z, T)
        value = value + self._penalty(xp, layers)
        L = len(layers)
        deltas, back = [None] * L, [None] * L
        deltas[L - 1] = delta
        for l in range(L - 1, 0, -1):
            back[l] = deltas[l] @ layers[l][0].T
            deltas[l - 1] = back[l] * d1[l - 1]
        return _Pass(xp.asarray(theta, copy=True), [W for W, _ in layers], acts, pre, d1, back,
                     deltas, p, value)

    def _gradient(self, ps: _Pass):
        """``∇W_l = a_lᵀ δ_l (+ wd W_l)``, ``∇b_l = Σ_i δ_l``, flattened (kept in the pass)."""
        if ps.grad is None:
            xp = array_namespace(ps.theta)
            parts = []
            for a, d, W in zip(ps.acts, ps.deltas, ps.weights):
                gW = a.T @ d
                if self.weight_decay:
                    gW = gW + self.weight_decay * W
                parts += [xp.reshape(gW, (-1,)), xp.sum(d, axis=0)]
            ps.grad = xp.concat(parts)
        return ps.grad

    def _hvp(self, ps: _Pass, v):
        """``H v`` by the R-operator from a pass at θ (module docstring).

        Sums are accumulated in place, in the order of the formulas (the same numbers as
        the expressions written out)."""
        xp = array_namespace(v)
        vl = self._views(xp, v)
        L = len(vl)
        if ps.curv is None:
            ps.curv = [ps.back[l + 1] * second_derivative(self.activation, xp, z, a, g1)
                       for l, (z, a, g1) in enumerate(zip(ps.pre, ps.acts[1:], ps.d1))]
        # forward: R z_l, R a_{l+1}
        rz, ra = [None] * L, [None] * L
        for l, (V, c) in enumerate(vl):
            rz[l] = ps.acts[l] @ V
            rz[l] += c
            if l > 0:
                rz[l] += ra[l] @ ps.weights[l]
            if l < L - 1:
                ra[l + 1] = ps.d1[l] * rz[l]
        B = ps.acts[0].shape[0]
        if self.loss == "cross_entropy":
            p = ps.probs
            rdelta = p * (rz[L - 1] - xp.sum(p * rz[L - 1], axis=1, keepdims=True)) / B
        else:
            rdelta = rz[L - 1] / B
        parts = [None] * L
        for l in range(L - 1, -1, -1):
            V = vl[l][0]
            rgW = ps.acts[l].T @ rdelta
            if l > 0:
                rgW += ra[l].T @ ps.deltas[l]
            if self.weight_decay:
                rgW += self.weight_decay * V
            parts[l] = (xp.reshape(rgW, (-1,)), xp.sum(rdelta, axis=0))
            if l > 0:     # (Rδ_l W_lᵀ + δ_l V_lᵀ) ⊙ φ'(z_{l−1}) + curv_{l−1} ⊙ R z_{l−1}
                rdelta = rdelta @ ps.weights[l].T
                rdelta += ps.deltas[l] @ V.T
                rdelta *= ps.d1[l - 1]
                rdelta += ps.curv[l - 1] * rz[l - 1]
        return xp.concat([part for pair in parts for part in pair])

    # -- evaluation ------------------------------------------------------------------------
    def outputs(self, theta, X):
        """The outputs ``z_{L−1}`` (logits for cross-entropy), shape ``(B, n_out)``."""
        self._check_theta(theta)
        return self._forward(theta, X, 0)[-1]

    def predict(self, theta, X):
        """Class probabilities (cross-entropy: softmax of the logits) or outputs (mse).

        >>> import numpy as np
        >>> m = mlp([3, 4, 5])
        >>> p = m.predict(m.init(seed=1), np.ones((2, 3))); p.shape, np.allclose(p.sum(1), 1)
        ((2, 5), True)
        """
        z = self.outputs(theta, X)
        if self.loss == "mse":
            return z
        xp = array_namespace(z)
        e = xp.exp(z - xp.max(z, axis=1, keepdims=True))
        return e / xp.sum(e, axis=1, keepdims=True)

    def evaluate(self, theta, X, y, *, chunk: int = 8192) -> tuple[float, float]:
        """Mean data loss (without the weight-decay term) and accuracy on ``(X, y)``.

        Evaluated in chunks of ``chunk`` rows (memory), on the device of ``theta``.

        Returns
        -------
        loss, accuracy : float
            Accuracy: the fraction of rows whose largest output is at the label (or, for real
            targets, at the largest target).

        Examples
        --------
        >>> import numpy as np
        >>> m = logistic(2, 2)
        >>> X = np.array([[1.0, 0.0], [0.0, 1.0]]); y = np.array([0, 1])
        >>> theta = np.array([1.0, -1.0, -1.0, 1.0, 0.0, 0.0])   # W = [[1, -1], [-1, 1]]
        >>> loss, acc = m.evaluate(theta, X, y); round(loss, 6), acc
        (0.126928, 1.0)
        """
        T = self._targets(X, y)
        xp = array_namespace(theta)
        n = X.shape[0]
        if n == 0:
            raise ValueError("cannot evaluate on an empty data set")
        total, hits = 0.0, 0
        for s in range(0, n, int(chunk)):
            e = min(s + int(chunk), n)
            Xc, Tc = X[s:e, ...], T[s:e, ...]
            z = self.outputs(theta, Xc)
            total += float(self._loss_delta(xp, z, Tc)[0]) * Xc.shape[0]
            hits += int(xp.sum(xp.astype(xp.argmax(z, axis=1) == xp.argmax(Tc, axis=1), xp.int64)))
        return total / n, hits / n


@dataclass(frozen=True, eq=False)
class NetObjective:
    """The loss of an :class:`MLP` on one batch, as an objective (see :mod:`rbo.objective`).

    ``value_and_grad(theta)`` (one forward and backward pass; counts 1) and ``hvp(theta, v)``
    (exact, R-operator; counts 1).  Build it with :meth:`MLP.objective`.
    """

    model: MLP
    x: Any
    targets: Any
    _last: list = field(default_factory=list, init=False, repr=False, compare=False)

    @property
    def name(self) -> str:
        return f"mlp{list(self.model.sizes)}"

    def _pass(self, theta) -> _Pass:
        xp = array_namespace(theta)
        self.model._check_theta(theta)
        if self._last:
            ps = self._last[0]
            if ps.theta.dtype == theta.dtype and bool(xp.all(ps.theta == theta)):
                return ps
        ps = self.model._full_pass(theta, self.x, self.targets)
        self._last[:] = [ps]
        return ps

    def value_and_grad(self, theta):
        """``(f(θ), ∇f(θ))``: the mean loss (plus weight decay) and its gradient."""
        ps = self._pass(theta)
        return ps.value, self.model._gradient(ps)

    def hvp(self, theta, v):
        """``∇²f(θ) v``, exact (Pearlmutter's R-operator)."""
        if v.shape != theta.shape:
            raise ValueError(f"v has shape {v.shape} but theta has shape {theta.shape}")
        return self.model._hvp(self._pass(theta), v)


@dataclass(frozen=True)
class NetMinibatches:
    """A stochastic objective: ``sample(step)`` is the :class:`NetObjective` of that step's batch.

    Build it with :meth:`MLP.minibatches`; batches follow :func:`rbo.data.batch_indices`.
    """

    model: MLP
    x: Any
    targets: Any
    batch_size: int
    seed: int = 0

    @property
    def steps_per_epoch(self) -> int:
        return self.x.shape[0] // self.batch_size

    def sample(self, step: int) -> NetObjective:
        xp = array_namespace(self.x)
        idx = xp.asarray(batch_indices(self.x.shape[0], self.batch_size, step, self.seed),
                         device=device(self.x))
        return NetObjective(self.model, xp.take(self.x, idx, axis=0), xp.take(self.targets, idx, axis=0))


def mlp(sizes: Sequence[int], activation: str = "tanh", loss: str = "cross_entropy",
        weight_decay: float = 0.0) -> MLP:
    """A multilayer perceptron ``sizes = (n_in, hidden…, n_out)`` with a loss.

    ``f(θ) = mean_i ℓ(z(θ; x_i), y_i) + (wd/2) Σ_l |W_l|²``, ``z = W_{L−1}ᵀ φ(… φ(W_0ᵀ x + b_0) …) + b_{L−1}``.

    Parameters
    ----------
    sizes : sequence of int
        Widths, input first, output last (at least two).
    activation : {"tanh", "relu", "gelu"}
        Hidden activation; ``gelu`` is the tanh approximation.
    loss : {"cross_entropy", "mse"}
        Softmax cross-entropy on integer labels, or half the squared error (to one-hot labels or
        real targets), averaged over the batch.
    weight_decay : float
        L2 penalty on the weights (not the biases).

    Returns
    -------
    model : MLP
        ``init(seed, xp)``, ``objective(X, y)``, ``minibatches(X, y, batch_size, seed)``,
        ``predict``, ``evaluate``.

    See Also
    --------
    logistic : the model without hidden layers.
    rbo.train : training with a budget of gradient evaluations.

    Examples
    --------
    >>> import numpy as np
    >>> model = mlp([40, 256, 256, 10], activation="tanh")
    >>> theta = model.init(seed=0)
    >>> X = np.random.default_rng(0).standard_normal((8, 40)); y = np.arange(8)
    >>> obj = model.objective(X, y)
    >>> value, grad = obj.value_and_grad(theta)
    >>> hv = obj.hvp(theta, grad)
    >>> theta.shape == grad.shape == hv.shape == (model.n_params,), float(grad @ hv) > 0
    (True, True)
    """
    return MLP(tuple(sizes), activation, loss, weight_decay)


def logistic(n_in: int, n_classes: int, loss: str = "cross_entropy", weight_decay: float = 0.0) -> MLP:
    """Multinomial logistic regression: the affine model ``z = Wᵀ x + b`` with softmax cross-entropy.

    ``f(θ) = mean_i (logsumexp(z_i) − z_{i,y_i}) + (wd/2) |W|²`` (convex).  Glorot-uniform
    initial weights (as :func:`mlp` with ``activation="tanh"``).

    Parameters
    ----------
    n_in, n_classes : int
    loss : {"cross_entropy", "mse"}
    weight_decay : float

    Returns
    -------
    model : MLP
        ``sizes = (n_in, n_classes)``.

    See Also
    --------
    mlp

    Examples
    --------
    >>> m = logistic(40, 10); m.sizes, m.n_params
    ((40, 10), 410)
    """
    return MLP((int(n_in), int(n_classes)), "tanh", loss, weight_decay)
