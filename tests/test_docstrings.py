"""numpydoc on every public function: a Parameters section, named Returns, See Also and an
example (the examples themselves run as doctests)."""

import inspect
import re

import pytest

import offsetgeo
import offsetgeo.plot
import rbo
import rbo.figures
import rbo.plot
from offsetgeo import theorems


def _public_functions():
    seen = set()
    for namespace in (offsetgeo, rbo, theorems, rbo.losses, offsetgeo.plot, rbo.plot,
                      rbo.figures):
        for name in namespace.__all__:
            obj = getattr(namespace, name)
            if inspect.isfunction(obj) and obj not in seen:
                seen.add(obj)
                yield f"{namespace.__name__}.{name}", obj


def _sections(doc):
    return {m.group(1) for m in re.finditer(r"^\s*([A-Z][A-Za-z ]+)\n\s*-{3,}\s*$", doc, re.M)}


FUNCTIONS = list(_public_functions())


@pytest.mark.parametrize("name, fn", FUNCTIONS, ids=[n for n, _ in FUNCTIONS])
def test_numpydoc_sections(name, fn):
    doc = inspect.getdoc(fn) or ""
    sections = _sections(doc)
    params = [p for p in inspect.signature(fn).parameters.values()
              if p.kind not in (p.VAR_POSITIONAL,)]
    if params:
        assert "Parameters" in sections, f"{name}: no Parameters section"
    assert "Returns" in sections, f"{name}: no Returns section"
    returns = doc.split("Returns\n", 1)[1].split("\n\n")[0]
    assert re.search(r"^\s*\w+ : \S", returns, re.M), f"{name}: Returns entries must be named"
    assert "See Also" in sections, f"{name}: no See Also section"
    assert ">>>" in doc.split("Examples", 1)[-1], f"{name}: no example"


@pytest.mark.parametrize("a, b", [("offset_height", "hemisphere_dilation"),
                                  ("ironed", "hemisphere_closing"),
                                  ("reach", "max_curvature")])
def test_same_operator_pairs_see_each_other(a, b):
    for x, y in ((a, b), (b, a)):
        see_also = inspect.getdoc(getattr(offsetgeo, x)).split("See Also", 1)[1]
        assert y in see_also.split("Examples")[0], f"{x} should point to {y}"
