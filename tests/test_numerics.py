"""Shared numerics (offsetgeo._numerics) and interruptible compiled kernels.

The compiled kernels (tape evaluation, footpoint search, 2-D dilation) run in chunks so that
Ctrl-C stops them within about a second: tested in a child process with a real SIGINT.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from offsetgeo._numerics import conjugate_gradients, in_chunks, row_dot, sherman_morrison

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@settings(max_examples=50, deadline=None)
@given(n=st.integers(0, 5000), first=st.integers(1, 700))
def test_in_chunks_covers_every_item_once_in_order(n, first):
    seen = np.zeros(n, dtype=int)
    spans = []

    def call(a, b):
        assert 0 <= a < b <= n
        seen[a:b] += 1
        spans.append((a, b))

    in_chunks(call, n, first=first)
    assert np.all(seen == 1)
    assert all(s[1] == t[0] for s, t in zip(spans, spans[1:]))
    if n:
        assert spans[0] == (0, min(n, first))


def test_in_chunks_sizes_chunks_from_their_cost():
    sizes = []

    def slow(a, b):                    # 1 ms per item: chunks of ~0.02 s hold ~20 items
        sizes.append(b - a)
        time.sleep(1e-3 * (b - a))

    in_chunks(slow, 200, first=1, seconds=0.02)
    assert sizes[1] <= 8               # growth is capped at 8x
    assert max(sizes) <= 40            # never far above the target
    assert 10 <= sizes[-2] <= 40


# a child that warms up (numba cache), says "ready", then runs work it cannot finish in time
CHILD = """
import signal, sys, time
import numpy as np
import offsetgeo as og
signal.signal(signal.SIGINT, signal.default_int_handler)   # even if the parent ignores it
{setup}
print("ready", flush=True)
t = time.perf_counter()
try:
    {work}
    print("finished", time.perf_counter() - t, flush=True)
except KeyboardInterrupt:
    print("interrupted", time.perf_counter() - t, flush=True)
"""

WORK = {
    # each takes 15-75 s uninterrupted on the 2-core development machine
    "tape evaluation": (
        "f = og.Function('*'.join(f'sin({k}*x + 1)' for k in range(1, 30)))\n"
        "f.evaluate(np.zeros((5000, 1)))\n"
        "pts = np.linspace(0.0, 1.0, 10_000_000)[:, None]",
        "f.evaluate(pts)"),
    "footpoint search": (
        "f = og.Function('sin(x) + 0.3*sin(25*x)', period='2*pi')\n"
        "og.footpoint(f, np.zeros((100, 2)))\n"
        "rng = np.random.default_rng(0)\n"
        "pts = np.column_stack([rng.uniform(-3, 3, 1_000_000), rng.uniform(-5, 5, 1_000_000)])",
        "og.footpoint(f, pts)"),
    "2-D dilation": (
        "og.hemisphere_dilation(np.zeros((64, 64)), 1.0, 5.0)\n"
        "F = np.random.default_rng(0).normal(size=(3000, 3000))",
        "og.hemisphere_dilation(F, 1.0, 60.0)"),
}


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("name", list(WORK))
def test_ctrl_c_stops_compiled_work_within_about_a_second(name):
    setup, work = WORK[name]
    code = CHILD.format(setup=setup, work=textwrap.indent(work, "    ").lstrip())
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        time.sleep(0.5)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        child.kill()
    word, seconds = out.split()
    assert word == "interrupted", (out, err)
    # the interrupt came 0.5 s in; one chunk (~0.1 s) later the kernel has returned
    assert float(seconds) < 0.5 + 1.5, out


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), lead=st.sampled_from([(), (3,), (2, 4)]), d=st.integers(0, 80))
def test_row_dot_against_exact_sums(seed, lead, d):
    # one pair of vectors goes by a BLAS dot, batches by a sum of products: both are the exact
    # sum (fractions) to the bound of recursive summation, d ε Σ|a_i b_i| (Higham 3.1)
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((*lead, d)), rng.standard_normal((*lead, d))
    got = np.asarray(row_dot(a, b))
    assert got.shape == lead
    for i in np.ndindex(lead):
        # a row alone gives the same bits as in its batch (the two footpoint drivers rely on it)
        assert float(row_dot(a[i], b[i])) == float(got[i])
        exact = sum((Fraction(float(p)) * Fraction(float(q)) for p, q in zip(a[i], b[i])), Fraction(0))
        bound = d * 2.3e-16 * float(np.sum(np.abs(a[i] * b[i])))
        assert abs(float(got[i]) - float(exact)) <= bound


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), d=st.integers(1, 30), rtol=st.sampled_from([1e-12, 1e-3, 0.5]))
def test_conjugate_gradients_and_sherman_morrison_with_known_quantities(seed, d, rtol):
    # the footpoint Newton hands CG the preconditioned right-hand side and |b| it already has,
    # and Sherman–Morrison |G|²: the same numbers bit for bit as computing them inside; and
    # both solve their systems (against dense linear algebra)
    rng = np.random.default_rng(seed)
    G, b = rng.standard_normal(d), rng.standard_normal(d)
    A = rng.standard_normal((d, d))
    J = np.eye(d) + np.outer(G, G) + 0.3 * A @ A.T / d          # symmetric positive definite
    gg = row_dot(G, G)                                          # as the callers compute it
    pre = sherman_morrison(G, b)
    assert np.array_equal(sherman_morrison(G, b, gg), pre)
    assert np.allclose(pre, np.linalg.solve(np.eye(d) + np.outer(G, G), b), rtol=1e-10, atol=1e-12)
    args = (lambda v: J @ v, b, rtol, 2 * d, lambda v: sherman_morrison(G, v))
    u, k = conjugate_gradients(*args)
    u2, k2 = conjugate_gradients(*args, precond_b=pre, b_norm=np.sqrt(row_dot(b, b)))
    assert k == k2 and np.array_equal(u, u2)
    # CG's stop |res| ≤ rtol |b| is on its recurrence, which drifts from the true residual by
    # about ε cond(J) iterations ≤ 2.2e-16 · 100 · 60 < 1e-11 (cond(J) ≤ 1 + |G|² + 0.3 |A|²/d)
    assert np.linalg.norm(J @ u - b) <= (rtol + 1e-11) * np.linalg.norm(b)
