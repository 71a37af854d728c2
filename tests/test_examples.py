"""The examples run (so that they cannot silently rot)."""

import runpy
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_rbo_compare_runs(capsys):
    module = runpy.run_path(str(EXAMPLES / "rbo_compare.py"))
    module["main"](steps=40)
    out = capsys.readouterr().out
    assert "RBO newton rho=3" in out and "Entropy-SGD" in out


def test_geometry_tour_draws(tmp_path, capsys):
    module = runpy.run_path(str(EXAMPLES / "geometry_tour.py"))
    target = tmp_path / "tour.png"
    module["main"](str(target))
    assert target.stat().st_size > 10_000
    assert "critical radius 0.1176470588" in capsys.readouterr().out
