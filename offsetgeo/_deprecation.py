"""Deprecated aliases for renamed public names, kept for one release.

Three kinds, each warning with a :class:`DeprecationWarning` that names the replacement:

* old module paths (``offsetgeo.projection``): :func:`alias_modules` registers a proxy in
  ``sys.modules``; importing it or reading a name from it warns and forwards to the new home.
  The proxy is never set as an attribute of the package, so it cannot shadow a function of
  the same name (``offsetgeo.reach`` stays the function);
* old attribute names (``rbo.FootpointNotConverged``): :func:`module_getattr`, a module-level
  ``__getattr__``;
* old keyword names: :func:`renamed_keywords`, a decorator.
"""

from __future__ import annotations

import functools
import importlib
import sys
import types
import warnings

__all__ = ["alias_modules", "module_getattr", "renamed_keywords", "deprecated_property"]

_RELEASE = "offsetgeo/rbo 0.3"


def _warn(old: str, new: str, stacklevel: int = 3):
    warnings.warn(f"{old} is deprecated and will be removed in {_RELEASE}; use {new}",
                  DeprecationWarning, stacklevel=stacklevel)


class _ModuleAlias(types.ModuleType):
    """A stand-in for a moved module: every attribute read warns and forwards to the public
    package first, then to the module that now holds the implementation."""

    def __init__(self, old: str, new: str, public: str):
        super().__init__(old)
        self.__dict__["_alias_targets"] = (public, new)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        public, new = self.__dict__["_alias_targets"]
        for where in (public, new):
            module = importlib.import_module(where)
            if hasattr(module, name):
                _warn(f"importing {name!r} from {self.__name__}", f"{where}.{name}")
                return getattr(module, name)
        raise AttributeError(f"module {self.__name__!r} (deprecated alias of {public!r}) has no "
                             f"attribute {name!r}")


def alias_modules(aliases: dict, public: str) -> None:
    """Register ``{old module path: new module path}`` proxies (see the module docstring)."""
    for old, new in aliases.items():
        sys.modules.setdefault(old, _ModuleAlias(old, new, public))


def module_getattr(module_name: str, renamed: dict):
    """A module ``__getattr__`` resolving ``{old name: (new object, new name)}`` with a warning."""

    def __getattr__(name):
        if name in renamed:
            obj, new = renamed[name]
            _warn(f"{module_name}.{name}", new)
            return obj
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")

    return __getattr__


def renamed_keywords(**renames):
    """Decorator: accept ``old=`` keywords for ``new=`` ones, with a warning.

    ``renames`` maps old keyword names to new ones. Passing both is an error.

    Examples
    --------
    >>> @renamed_keywords(xs="thetas")
    ... def g(thetas):
    ...     return thetas
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     g(xs=3), w[0].category.__name__
    (3, 'DeprecationWarning')
    """

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            for old, new in renames.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{func.__name__}() got both {old}= (deprecated) and "
                                        f"{new}=; pass only {new}=")
                    _warn(f"the keyword {old}= of {func.__name__}()", f"{new}=")
                    kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return wrapper

    return decorate


def deprecated_property(new: str, old: str):
    """A read-only property ``old`` returning attribute ``new``, with a warning."""

    def getter(self):
        _warn(f"{type(self).__name__}.{old}", f"{type(self).__name__}.{new}")
        return getattr(self, new)

    return property(getter, doc=f"Deprecated alias of :attr:`{new}`.")
