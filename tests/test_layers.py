"""Layering: no import cycle, no function-level import of the package, offsetgeo below rbo;
public names curated (no function shadows its module, every __all__ is real)."""

import importlib
import importlib.util
import inspect
import pkgutil
from pathlib import Path

import pytest

import offsetgeo
import rbo

_spec = importlib.util.spec_from_file_location(
    "check_imports", Path(__file__).resolve().parents[1] / "tools" / "check_imports.py")
check_imports = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_imports)


def test_no_cycle_no_inner_import_offsetgeo_below_rbo():
    assert check_imports.check() == []


def test_the_checker_sees_cycles():
    found = check_imports.cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]})
    assert len(found) == 1 and set(found[0]) == {"a", "b", "c"}
    assert check_imports.cycles({"a": ["b"], "b": []}) == []


def _modules(package):
    yield package
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if not info.name.endswith("__main__"):
            yield importlib.import_module(info.name)


@pytest.mark.parametrize("package", [offsetgeo, rbo])
def test_all_lists_real_names_and_modules_are_private(package):
    for module in _modules(package):
        for name in getattr(module, "__all__", []):
            assert hasattr(module, name), f"{module.__name__}.__all__ lists missing {name!r}"
        public = [m for m in module.__name__.split(".")[1:] if not m.startswith("_")]
        # public sub-modules are namespaces, never the home of a same-named function
        for name in public:
            assert not inspect.isfunction(getattr(package, name, None)), name


@pytest.mark.parametrize("package, name", [(offsetgeo, "reach"), (rbo, "run"),
                                           (rbo, "objective"), (rbo, "rolling_ball")])
def test_functions_do_not_shadow_their_modules(package, name):
    assert inspect.isfunction(getattr(package, name))
    assert inspect.ismodule(importlib.import_module(f"{package.__name__}._{name}"))


def test_every_public_result_type_is_exported():
    from offsetgeo._results import Result
    for package in (offsetgeo, rbo):
        for module in _modules(package):
            for obj in vars(module).values():
                if (inspect.isclass(obj) and issubclass(obj, Result) and obj is not Result
                        and not obj.__name__.startswith("_") and obj.__module__ == module.__name__):
                    exported = any(getattr(p, obj.__name__, None) is obj
                                   for p in (offsetgeo, rbo, offsetgeo.theorems))
                    assert exported, f"{obj.__module__}.{obj.__name__} is not exported"
