"""Names every docstring example may use without importing them."""

import numpy as np
import pytest

import offsetgeo


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace):
    doctest_namespace["np"] = np
    doctest_namespace["Function"] = offsetgeo.Function
