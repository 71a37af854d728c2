"""Schedules for the learning rate and the radius: ``step -> value``.

"Explore early, exploit late": a large radius first (coarse landscape), then a small one.
Every schedule is a frozen dataclass callable on the integer step ``t``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Union

__all__ = ["constant", "step_decay", "cosine", "linear", "as_schedule", "Schedule"]

Schedule = Callable[[int], float]


def _positive(name: str, v: float) -> float:
    v = float(v)
    if not (v > 0 and math.isfinite(v)):
        raise ValueError(f"{name} must be a positive finite number, got {v}")
    return v


@dataclass(frozen=True)
class constant:
    """``v(t) = value``.

    >>> constant(0.1)(7)
    0.1
    """

    value: float

    def __call__(self, t: int) -> float:
        return float(self.value)


@dataclass(frozen=True)
class step_decay:
    """``v(t) = init · factor^{⌊t / every⌋}`` (piecewise constant).

    >>> s = step_decay(1.0, factor=0.5, every=10)
    >>> s(0), s(9), s(10), s(25)
    (1.0, 1.0, 0.5, 0.25)
    """

    init: float
    factor: float
    every: int

    def __post_init__(self):
        _positive("init", self.init)
        _positive("factor", self.factor)
        if int(self.every) < 1:
            raise ValueError(f"every must be >= 1, got {self.every}")

    def __call__(self, t: int) -> float:
        return float(self.init) * float(self.factor) ** (int(t) // int(self.every))


@dataclass(frozen=True)
class cosine:
    """``v(t) = final + (init − final)(1 + cos(π min(t, T)/T))/2``.

    >>> c = cosine(1.0, total_steps=100, final=0.1)
    >>> c(0), round(c(50), 6), c(100), c(200)
    (1.0, 0.55, 0.1, 0.1)
    """

    init: float
    total_steps: int
    final: float = 0.0

    def __post_init__(self):
        if int(self.total_steps) < 1:
            raise ValueError(f"total_steps must be >= 1, got {self.total_steps}")

    def __call__(self, t: int) -> float:
        u = min(max(int(t), 0), int(self.total_steps)) / int(self.total_steps)
        return float(self.final) + (float(self.init) - float(self.final)) * 0.5 * (1 + math.cos(math.pi * u))


@dataclass(frozen=True)
class linear:
    """``v(t) = init + (final − init) min(t, T)/T``.

    >>> l = linear(1.0, 0.0, total_steps=4)
    >>> [l(t) for t in range(6)]
    [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """

    init: float
    final: float
    total_steps: int

    def __post_init__(self):
        if int(self.total_steps) < 1:
            raise ValueError(f"total_steps must be >= 1, got {self.total_steps}")

    def __call__(self, t: int) -> float:
        u = min(max(int(t), 0), int(self.total_steps)) / int(self.total_steps)
        return float(self.init) + (float(self.final) - float(self.init)) * u


def as_schedule(name: str, v: Union[float, Schedule]) -> Schedule:
    """A number becomes :class:`constant` (checked > 0); a callable is returned unchanged.

    >>> as_schedule("lr", 0.5)(3)
    0.5
    >>> as_schedule("lr", -1.0)
    Traceback (most recent call last):
    ...
    ValueError: lr must be a positive finite number, got -1.0
    """
    if callable(v):
        return v
    return constant(_positive(name, v))


def check_value(name: str, v: float, t: int) -> float:
    """A scheduled value, checked positive at step ``t``."""
    v = float(v)
    if not (v > 0 and math.isfinite(v)):
        raise ValueError(f"{name} schedule gave {v} at step {t}; it must stay positive")
    return v


def is_constant(s: Schedule) -> bool:
    """True for a :class:`constant` schedule."""
    return isinstance(s, constant)
