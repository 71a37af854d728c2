"""The command line: demo, project, and clear errors."""

import json

import pytest

from offsetgeo.cli import main


def test_demo_runs(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "critical radius (upper reach) of f: 0.117647058824 at x = 4.712389" in out
    assert "unreachable set for rho = 0.0588: empty" in out


def test_project_json(capsys):
    assert main(["project", "x**2", "[[0, 1], [1, 0]]", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ambiguous"] == [True, False]
    assert data["distance"][0] == pytest.approx(3**0.5 / 2)


@pytest.mark.parametrize("argv, fragment", [
    (["project", "x.__class__", "[[0, 1]]"], "refused token"),
    (["project", "log(x)", "[[0, 1]]"], "not finite"),
    (["reach", "sin(x)", "--period", "-1"], "positive"),
    (["project", "x**2", "[[0, 1, 2]]"], "shape"),
])
def test_errors_are_messages_not_tracebacks(capsys, argv, fragment):
    assert main(argv) == 2
    assert fragment in capsys.readouterr().err
