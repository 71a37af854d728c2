"""Contact points of a ball on a graph (numba kernels): the sampled search and the Newton
ascent of ``F_x(φ) = f(φ) + sqrt(ρ² − |x − φ|²)``.

The compiled forms of :func:`offsetgeo._offset._branches` and
:func:`offsetgeo._offset._ascend` for functions given as expressions in one or two
variables, row by row on the function's tapes: no NumPy temporaries of the size of the
sampled balls, and a refinement costs a few microseconds per contact point instead of a few
hundred NumPy calls per iteration.

**Sampling** (:func:`sample_branches`): ``F_x`` on the grid ``x + ρ u`` of the ball (``u``
the shrunk grid of ``[−1, 1]^d`` inside the unit ball; with a domain box, clipped into it);
a sample is kept when it is a discrete local maximum (``≥`` its ``2d`` axis neighbours, a
missing neighbour counting as ``−inf``) and — unless every one is asked for — when its value
plus the margin ``½ Σ_a |Δ²_a F|`` (infinite where a neighbour is missing) plus
``1e-13 (1 + |F|)`` reaches the row's best sample; samples clipped onto one boundary point
count once; at most ``max_branches`` per row, best first.

**Ascent** (:func:`ascend_tapes`), per iteration at ``φ`` with ``r = φ − x`` and
``s = sqrt(ρ² − |r|²)``:

- gradient ``g = ∇f − r/s`` and Hessian ``H = ∇²f − I/s − r rᵀ/s³`` of ``F``;
- with a domain box, variables at a bound whose gradient points out of it are held
  (``g_i = 0``, their row and column of ``H`` replaced by ``−e_i``);
- stop when ``|g| min(s, ρ) ≤ 1e-14 (1 + |f|)``;
- Newton's step ``−H⁻¹ g`` where ``−H`` is positive definite, else ``g / (|λ|max(H) + 1/s)``;
- backtracking by halves (at most 40) until ``F`` does not decrease (to ``1e-15`` relative),
  trial points projected onto the box; stop when the step is below ``1e-15 (1 + |φ|∞)``.

The closed forms of :mod:`offsetgeo._numerics` for d ≤ 2 (``solve_small``,
``positive_definite``, ``smallest_eigenvalue``) are written out here in scalars, in the same
order of operations, so the kernel follows the NumPy iteration step for step.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ._numerics import in_chunks
from ._tape import Tape, run_tape

__all__ = ["ascend_tapes", "sample_branches", "KERNEL_DIMS"]

#: the dimensions the kernel handles (closed-form 1×1 and 2×2 algebra)
KERNEL_DIMS = (1, 2)

#: below this many rows a parallel launch costs more than it saves
_PARALLEL_MIN = 512


@numba.njit(cache=True, nogil=True, inline="always")
def _lambda_min(a, b, c):
    """Smallest eigenvalue of the symmetric 2×2 matrix [[a, b], [b, c]]."""
    return 0.5 * (a + c) - math.sqrt((0.5 * (a - c)) ** 2 + b * b)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _value(code0, consts0, out0, p, regs0):
    run_tape(code0, consts0, p, regs0)
    return regs0[out0[0]]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _ascend_row(code0, consts0, out0, code2, consts2, out2, xr, p, rho, lo, hi, boxed, iters,
                regs0, regs2, trial, grad, hess, step):
    """Ascend from ``p`` (updated in place) for the centre ``xr``; returns ``F`` at the end."""
    d = p.shape[0]
    rr = rho * rho
    for _ in range(iters):
        run_tape(code2, consts2, p, regs2)
        v = regs2[out2[0]]
        r2 = 0.0
        for i in range(d):
            r2 += (p[i] - xr[i]) ** 2
        s = rr - r2
        s = math.sqrt(s if s > 1e-300 else 1e-300)
        s3 = s ** 3
        k = 1 + d
        for i in range(d):
            grad[i] = regs2[out2[1 + i]] - (p[i] - xr[i]) / s
            for j in range(i, d):
                h = regs2[out2[k]]
                k += 1
                hess[i, j] = h - (1.0 / s if i == j else 0.0) - (p[i] - xr[i]) * (p[j] - xr[j]) / s3
                hess[j, i] = hess[i, j]
        if boxed:
            for i in range(d):
                if (p[i] <= lo[i] and grad[i] < 0) or (p[i] >= hi[i] and grad[i] > 0):
                    grad[i] = 0.0
                    for j in range(d):
                        hess[i, j] = 0.0 * hess[i, j]
                        hess[j, i] = 0.0 * hess[j, i]
                    hess[i, i] -= 1.0
        gnorm = 0.0
        for i in range(d):
            gnorm += grad[i] * grad[i]
        done = math.sqrt(gnorm) * min(s, rho) <= 1e-14 * (1.0 + abs(v))
        finite = True
        for i in range(d):
            for j in range(d):
                if not math.isfinite(hess[i, j]):
                    finite = False
        if not finite:
            for i in range(d):
                for j in range(d):
                    hess[i, j] = -1.0 if i == j else 0.0
        if d == 1:
            newton = finite and -hess[0, 0] > 0
            step[0] = -(grad[0] / hess[0, 0])
        else:
            a, b, c, e = hess[0, 0], hess[0, 1], hess[1, 0], hess[1, 1]
            newton = finite and (-a > 0) and ((-a) * (-e) - (-b) * (-c) > 0)
            det = a * e - b * c
            step[0] = -((e * grad[0] - b * grad[1]) / det)
            step[1] = -((a * grad[1] - c * grad[0]) / det)
        if not newton:
            if d == 1:
                big = max(abs(hess[0, 0]), abs(-hess[0, 0]))
            else:
                m = 0.5 * (hess[0, 1] + hess[1, 0])
                big = max(abs(_lambda_min(hess[0, 0], m, hess[1, 1])),
                          abs(_lambda_min(-hess[0, 0], -m, -hess[1, 1])))
            scale = 1.0 / (big + 1.0 / s)
            for i in range(d):
                step[i] = scale * grad[i]
        if done:
            break
        current = v + s
        t = 1.0
        accepted = False
        for _h in range(40):
            r2 = 0.0
            for i in range(d):
                q = p[i] + t * step[i]
                if boxed:
                    q = min(max(q, lo[i]), hi[i])
                trial[i] = q
                r2 += (q - xr[i]) ** 2
            if r2 < rr:
                val = _value(code0, consts0, out0, trial, regs0) + math.sqrt(max(rr - r2, 0.0))
                if val >= current - 1e-15 * (1.0 + abs(current)):
                    accepted = True
                    break
            t *= 0.5
        if not accepted:
            break
        moved = 0.0
        top = 0.0
        for i in range(d):
            moved += (trial[i] - p[i]) ** 2
            top = max(top, abs(p[i]))
            p[i] = trial[i]
        if not math.sqrt(moved) > 1e-15 * (1.0 + top):
            break
    r2 = 0.0
    for i in range(d):
        r2 += (p[i] - xr[i]) ** 2
    return _value(code0, consts0, out0, p, regs0) + math.sqrt(max(rr - r2, 0.0))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _ascend_serial(code0, consts0, out0, code2, consts2, out2, x, phi, rho, lo, hi, boxed, iters,
                   value):
    d = x.shape[1]
    regs0, regs2 = np.empty(code0.shape[0]), np.empty(code2.shape[0])
    trial, grad, step, hess = np.empty(d), np.empty(d), np.empty(d), np.empty((d, d))
    for n in range(x.shape[0]):
        value[n] = _ascend_row(code0, consts0, out0, code2, consts2, out2, x[n], phi[n], rho[n],
                               lo, hi, boxed, iters, regs0, regs2, trial, grad, hess, step)


@numba.njit(cache=True, nogil=True, parallel=True, error_model="numpy")
def _ascend_parallel(code0, consts0, out0, code2, consts2, out2, x, phi, rho, lo, hi, boxed,
                     iters, value):
    d = x.shape[1]
    chunks = (x.shape[0] + 63) // 64
    for c in numba.prange(chunks):
        regs0, regs2 = np.empty(code0.shape[0]), np.empty(code2.shape[0])
        trial, grad, step, hess = np.empty(d), np.empty(d), np.empty(d), np.empty((d, d))
        for n in range(c * 64, min(x.shape[0], (c + 1) * 64)):
            value[n] = _ascend_row(code0, consts0, out0, code2, consts2, out2, x[n], phi[n],
                                   rho[n], lo, hi, boxed, iters, regs0, regs2, trial, grad, hess,
                                   step)


def ascend_tapes(tape0: Tape, tape2: Tape, x: np.ndarray, phi: np.ndarray, rho, lo, hi,
                 iters: int):
    """Ascend ``F_x`` from each row of ``phi`` (n, d), centres ``x`` (n, d), d ≤ 2, radius
    ``rho`` (a scalar or one per row), on the tapes of ``f`` (``tape0``: value; ``tape2``:
    value, gradient, Hessian); ``lo``/``hi``: the domain box or ``None``. Returns ``(F, φ)``.

    Examples
    --------
    >>> from offsetgeo._tape import compile_tape, differentiate_tape
    >>> import sympy
    >>> t0 = compile_tape([sympy.Symbol("x") ** 2], [sympy.Symbol("x")])
    >>> t2 = differentiate_tape(t0, 1, 2)
    >>> x, start = np.zeros((2, 1)), np.array([[0.1], [0.3]])
    >>> F, phi = ascend_tapes(t0, t2, x, start, np.array([0.25, 1.0]), None, None, 60)
    >>> F.round(12).tolist()   # f = x², ball above 0: radius 1/4 rests at 0; radius 1 at ±√3/2
    [0.25, 1.25]
    >>> round(float(phi[1, 0]) ** 2, 12)
    0.75
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    phi = np.array(phi, dtype=np.float64, order="C")
    n, d = x.shape
    rho = np.ascontiguousarray(np.broadcast_to(np.asarray(rho, dtype=np.float64), (n,)))
    boxed = lo is not None
    lo = np.zeros(d) if lo is None else np.ascontiguousarray(lo, dtype=np.float64)
    hi = np.zeros(d) if hi is None else np.ascontiguousarray(hi, dtype=np.float64)
    value = np.empty(n)
    args = (tape0.code, tape0.consts, tape0.outputs, tape2.code, tape2.consts, tape2.outputs)
    if n < _PARALLEL_MIN:
        _ascend_serial(*args, x, phi, rho, lo, hi, boxed, int(iters), value)
        return value, phi

    def chunk(a, b):
        _ascend_parallel(*args, x[a:b], phi[a:b], rho[a:b], lo, hi, boxed, int(iters),
                         value[a:b])

    in_chunks(chunk, n, first=_PARALLEL_MIN)
    return value, phi


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _sample_row(code0, consts0, out0, xr, rho, u, inside, m, lo, hi, boxed, every,
                max_branches, regs0, point, F, keep_F, keep_i, out_idx):
    """The kept samples of one row (indices into ``u``, best first) in ``out_idx``; returns
    their count, or −1 when ``f`` is not finite at a sample in the ball."""
    k, d = u.shape
    rr = rho ** 2
    best = -np.inf
    for j in range(k):
        F[j] = -np.inf
        r2 = 0.0
        for a in range(d):
            q = xr[a] + rho * u[j, a]
            if boxed:
                q = min(max(q, lo[a]), hi[a])
            point[a] = q
            r2 += (q - xr[a]) ** 2
        if inside[j] and r2 < rr:
            run_tape(code0, consts0, point, regs0)
            v = regs0[out0[0]]
            if not math.isfinite(v):
                return -1
            F[j] = v + math.sqrt(rr - r2)
            best = max(best, F[j])
    count = 0
    for j in range(k):
        Fj = F[j]
        if not math.isfinite(Fj):
            continue
        margin = 0.0
        local = True
        stride = 1
        for a in range(d - 1, -1, -1):          # the last axis varies fastest
            i = (j // stride) % m
            left = F[j - stride] if i > 0 else -np.inf
            right = F[j + stride] if i < m - 1 else -np.inf
            if not (Fj >= left and Fj >= right):
                local = False
                break
            second = right - 2 * Fj + left
            margin += np.inf if (math.isnan(second) or math.isinf(second)) else 0.5 * abs(second)
            stride *= m
        if not local:
            continue
        if not every and not (Fj + (margin + 1e-13 * (1.0 + abs(Fj))) >= best):
            continue
        if boxed:                                # clipped onto one boundary point: once
            twin = False
            for c in range(count):
                same = True
                for a in range(d):
                    pa = min(max(xr[a] + rho * u[j, a], lo[a]), hi[a])
                    pc = min(max(xr[a] + rho * u[keep_i[c], a], lo[a]), hi[a])
                    if pa != pc:
                        same = False
                if same:
                    twin = True
                    break
            if twin:
                continue
        keep_F[count] = Fj
        keep_i[count] = j
        count += 1
    taken = min(count, max_branches)
    for t in range(taken):                       # best first; ties by index
        b = t
        for c in range(t + 1, count):
            if keep_F[c] > keep_F[b] or (keep_F[c] == keep_F[b] and keep_i[c] < keep_i[b]):
                b = c
        keep_F[t], keep_F[b] = keep_F[b], keep_F[t]
        keep_i[t], keep_i[b] = keep_i[b], keep_i[t]
        out_idx[t] = keep_i[t]
    return taken


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _sample_block(code0, consts0, out0, x, rho, u, inside, m, lo, hi, boxed, every,
                  max_branches, out_idx, counts, start, stop):
    k, d = u.shape
    regs0, point = np.empty(code0.shape[0]), np.empty(d)
    F, keep_F = np.empty(k), np.empty(k)
    keep_i = np.empty(k, dtype=np.int64)
    for i in range(start, stop):
        counts[i] = _sample_row(code0, consts0, out0, x[i], rho[i], u, inside, m, lo, hi, boxed,
                                every, max_branches, regs0, point, F, keep_F, keep_i, out_idx[i])


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _sample_serial(code0, consts0, out0, x, rho, u, inside, m, lo, hi, boxed, every,
                   max_branches, out_idx, counts):
    _sample_block(code0, consts0, out0, x, rho, u, inside, m, lo, hi, boxed, every, max_branches,
                  out_idx, counts, 0, x.shape[0])


@numba.njit(cache=True, nogil=True, parallel=True, error_model="numpy")
def _sample_parallel(code0, consts0, out0, x, rho, u, inside, m, lo, hi, boxed, every,
                     max_branches, out_idx, counts):
    n = x.shape[0]
    for c in numba.prange((n + 15) // 16):
        _sample_block(code0, consts0, out0, x, rho, u, inside, m, lo, hi, boxed, every,
                      max_branches, out_idx, counts, c * 16, min(n, (c + 1) * 16))


def sample_branches(tape0: Tape, x: np.ndarray, rho: np.ndarray, u: np.ndarray,
                    inside: np.ndarray, m: int, lo, hi, every: bool, max_branches: int):
    """The sampled contact branches of each row of ``x`` (n, d), d ≤ 2 (see the module
    docstring): ``(rows, idx)``, the row and the index into ``u`` of each kept sample, rows
    ascending and best first within a row; ``None`` when ``f`` is not finite somewhere in a
    ball (the caller reports it).

    Examples
    --------
    >>> from offsetgeo._tape import compile_tape
    >>> import sympy
    >>> t = sympy.Symbol("x")
    >>> u = np.linspace(-1, 1, 9)[:, None] * (1 - 1e-9)
    >>> rows, idx = sample_branches(compile_tape([-t ** 2], [t]), np.zeros((1, 1)), np.ones(1),
    ...                             u, np.ones(9, dtype=bool), 9, None, None, False, 8)
    >>> rows.tolist(), idx.tolist()     # f = −x²: one branch, at the centre sample
    ([0], [4])
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    n, d = x.shape
    boxed = lo is not None
    lo = np.zeros(d) if lo is None else np.ascontiguousarray(lo, dtype=np.float64)
    hi = np.zeros(d) if hi is None else np.ascontiguousarray(hi, dtype=np.float64)
    out_idx = np.zeros((n, max_branches), dtype=np.int64)
    counts = np.zeros(n, dtype=np.int64)
    rho = np.ascontiguousarray(rho, dtype=np.float64)
    u = np.ascontiguousarray(u, dtype=np.float64)
    inside = np.ascontiguousarray(inside, dtype=np.bool_)

    def chunk(a, b):
        run = _sample_serial if (b - a) * u.shape[0] < _PARALLEL_MIN * 64 else _sample_parallel
        run(tape0.code, tape0.consts, tape0.outputs, x[a:b], rho[a:b], u, inside, int(m), lo, hi,
            boxed, bool(every), int(max_branches), out_idx[a:b], counts[a:b])

    # about 4e6 tape instructions first (~10 ms), then chunks of ~0.1 s (Ctrl-C between them)
    in_chunks(chunk, n, first=max(1, 4_000_000 // (u.shape[0] * max(1, tape0.code.shape[0]))))
    if np.any(counts < 0):
        return None
    rows = np.repeat(np.arange(n), counts)
    idx = out_idx[np.arange(max_branches)[None, :] < counts[:, None]]
    return rows, idx
