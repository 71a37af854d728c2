"""Shared fixtures and hypothesis strategies: random functions from a small grammar."""

from __future__ import annotations

import logging
import math

import dask
import numpy as np
import pytest
from distributed import Client, LocalCluster
from hypothesis import settings, strategies as st

import offsetgeo

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True,
                          print_blob=True)
settings.register_profile("dev", max_examples=40, deadline=None)
settings.load_profile("ci")


def _num(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False).map(lambda v: round(v, 4))


@st.composite
def sine_term(draw, var="x"):
    a, w, c = draw(_num(0.05, 1.0)), draw(_num(0.3, 3.0)), draw(_num(0.0, 2 * math.pi))
    return f"{a}*sin({w}*{var} + {c})"


@st.composite
def poly_term(draw, var="x"):
    a, b = draw(_num(-0.4, 0.4)), draw(_num(-1.0, 1.0))
    return f"({a}*{var}**2 + {b}*{var})"


@st.composite
def bump_term(draw, var="x"):
    a, m, s = draw(_num(-1.0, 1.0)), draw(_num(-2.0, 2.0)), draw(_num(0.3, 1.5))
    return f"{a}*exp(-({var} - {m})**2/{2 * s * s:.4f})"


def grammar_terms(var="x"):
    return st.one_of(sine_term(var), poly_term(var), bump_term(var))


@st.composite
def functions_1d(draw, max_terms=3):
    """Expression strings: sums of sines, quadratics and Gaussian bumps in x."""
    terms = draw(st.lists(grammar_terms("x"), min_size=1, max_size=max_terms))
    return " + ".join(terms)


@st.composite
def periodic_functions_1d(draw, max_terms=3):
    """Sums of sines with integer frequencies: 2π-periodic."""
    n = draw(st.integers(1, max_terms))
    terms = []
    for _ in range(n):
        a, k, c = draw(_num(0.05, 1.0)), draw(st.integers(1, 3)), draw(_num(0.0, 6.28))
        terms.append(f"{a}*sin({k}*x + {c})")
    return " + ".join(terms)


@st.composite
def functions_2d(draw, max_terms=2):
    """Expression strings in x, y: sums of grammar terms in each variable and a product term."""
    tx = draw(st.lists(grammar_terms("x"), min_size=1, max_size=max_terms))
    ty = draw(st.lists(grammar_terms("y"), min_size=1, max_size=max_terms))
    cross = draw(st.one_of(st.just(""), _num(0.1, 0.8).map(lambda a: f" + {a}*sin(x)*cos(y)")))
    return " + ".join(tx + ty) + cross


@pytest.fixture(scope="module")
def client():
    """A 2-worker Dask ``LocalCluster`` (processes, one thread each) set up as ``rbo sweep``
    sets up its own (``rbo.sweep._runner._client``): lost-worker timeout 1 hour (a worker
    restarted twice within the default 15 s can be closed for good) and no
    ``MALLOC_TRIM_THRESHOLD_`` (which an earlier cluster leaves in this process's
    environment)."""
    settings = {"distributed.deploy.lost-worker-timeout": "1 hour",
                "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
    with pytest.MonkeyPatch.context() as mp, dask.config.set(settings):
        mp.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.CRITICAL)
        c = Client(cluster, set_as_default=False)
        yield c
        c.close()
        cluster.close()


@pytest.fixture(scope="session")
def wiggly():
    """The issue's example loss, 1-D."""
    return offsetgeo.Function("sin(x) + 0.3*sin(5*x)")


@pytest.fixture(scope="session")
def parabola():
    return offsetgeo.Function("x**2")


@pytest.fixture(scope="session")
def sine_periodic():
    return offsetgeo.Function("sin(x)", period="2*pi")


@pytest.fixture(scope="session")
def surface():
    return offsetgeo.Function("sin(x)*cos(y) + 0.1*(x**2 + y**2)")


def dense_min_distance_1d(f, x, y, samples=100_000):
    """Brute force: min distance from (x, y) to 100 000 graph samples over the search window."""
    r = abs(float(f.value(x)) - y) + 1e-9
    grid = np.linspace(x - r, x + r, samples)
    return float(np.sqrt(np.min((grid - x) ** 2 + (f.value(grid) - y) ** 2)))


class Counting:
    """Counts the calls an optimizer makes (independent of the solvers' own bookkeeping)."""

    def __init__(self, obj, with_hvp=True):
        self.obj, self.n, self.n_grad = obj, 0, 0
        if with_hvp:
            self.hvp = self._hvp
        else:
            self.hvp = None

    def value_and_grad(self, t):
        self.n += 1
        self.n_grad += 1
        return self.obj.value_and_grad(t)

    def _hvp(self, t, v):
        self.n += 1
        return self.obj.hvp(t, v)
