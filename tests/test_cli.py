"""The command line: demo, project, and clear errors."""

import argparse
import io
import json
import os
import subprocess
import sys

import pytest

from offsetgeo.cli import Parser, build_parser, main, run_command
from rbo.cli import build_parser as rbo_build_parser

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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
    (["project", "x**2", "[[0, 1, 2]]"], "each point needs 2 numbers"),
])
def test_errors_are_messages_not_tracebacks(capsys, argv, fragment):
    assert main(argv) == 2
    assert fragment in capsys.readouterr().err


# ---------------------------------------------------------------- one line for every bad input


@pytest.mark.parametrize("argv, fragment", [
    (["project", "10**400*x", "[[0.5, 1]]"], "overflows"),
    (["project", "x**2", "{}"], "list of points"),
    (["project", "x**2", "[[0, 1], [1]]"], "equal length"),
    (["project", "x**2", "[[0, 1"], "not valid JSON"),
    (["project", "x**2", "@/nonexistent/points.json"], "cannot read points"),
    (["reach", "x**2", "--window", "1"], "LO HI pairs"),
    (["reach", "x**2", "--domain", "0", "1", "2"], "LO HI pairs"),
    (["reach", "x**2+y**2+z**2", "--window", "-1", "1", "-1", "1", "-1", "1"],
     "method='curvature'"),
    (["reach", "x**2", "--window", "-100", "100"], "method='curvature'"),
    (["reach", "tan(x)", "--window", "-2", "2"], "pole of tan"),
    (["verify", "weak-ironing", "sin(x)", "--arrays"], "with --json"),
])
def test_bad_input_is_one_line_with_exit_code_2(capsys, argv, fragment):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1 and "Traceback" not in err


def test_option_values_may_be_negative_numbers_or_constants(capsys):
    assert main(["reach", "0.25*x**2", "--window", "-2", "2"]) == 0
    assert capsys.readouterr().out.startswith("critical radius 2.0 at x = 0.000000")
    assert main(["reach", "sin(x)", "--window", "-pi", "pi"]) == 0     # sin is not declared periodic
    assert "critical radius 1.0 at x = -1.570796" in capsys.readouterr().out
    assert main(["reach", "0.25*x**2", "--window", "-1e3", "1e3", "--method",
                 "curvature"]) == 0
    assert capsys.readouterr().out.startswith("critical radius 2.0")


def test_reach_method_curvature_in_three_variables(capsys):
    assert main(["reach", "x**2 + y**2 + 2*z**2", "--method", "curvature", "--json",
                 "--window", "-1", "1", "-1", "1", "-1", "1"]) == 0
    data = json.loads(capsys.readouterr().out)["upper"]
    assert data["value"] == pytest.approx(0.25) and data["agree"] is None


def test_points_from_stdin_and_from_files(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr("sys.stdin", io.StringIO("[[0, 1], [1, 0]]"))
    assert main(["project", "x**2", "-", "--json"]) == 0
    from_stdin = json.loads(capsys.readouterr().out)
    (tmp_path / "p.json").write_text("[[0, 1], [1, 0]]")
    (tmp_path / "p.txt").write_text("# x y\n0 1\n1 0\n")
    for name in ("p.json", "p.txt"):
        assert main(["project", "x**2", f"@{tmp_path / name}", "--json"]) == 0
        assert json.loads(capsys.readouterr().out) == from_stdin
    assert from_stdin["points"] == [[0.0, 1.0], [1.0, 0.0]]


def test_project_reports_the_second_footpoint_on_the_medial_axis(capsys):
    assert main(["project", "x**2", "[0, 1]"]) == 0                 # one point, no outer list
    out = capsys.readouterr().out
    r = 0.5 ** 0.5
    assert f"theta={r!r}" in out and f"second footpoint theta={-r!r}" in out
    assert main(["project", "x**2", "[[0, 1]]", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["second"] == [pytest.approx(-r)] and data["ambiguous"] == [True]


def _all_actions(parser, path=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _all_actions(sub, path + (name,))
        elif not isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            yield path, action


@pytest.mark.parametrize("build", [build_parser, rbo_build_parser], ids=["offsetgeo", "rbo"])
def test_every_option_has_help(build):
    missing = [" ".join(path) + " " + (action.option_strings or [action.dest])[0]
               for path, action in _all_actions(build()) if not action.help]
    assert not missing, f"options without help text: {missing}"


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.startswith("offsetgeo ")


def test_interrupt_exits_130_with_one_line(capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    parser = Parser(prog="offsetgeo")
    parser.add_subparsers(dest="command").add_parser("demo").set_defaults(func=interrupted)
    assert run_command(parser, ["demo"]) == 130
    assert capsys.readouterr().err == "offsetgeo demo: interrupted\n"


def test_a_closed_output_pipe_ends_quietly(tmp_path):
    """``offsetgeo project ... --json | head -c 100``: no BrokenPipeError traceback."""
    pts = tmp_path / "pts.txt"
    pts.write_text("\n".join(f"{x / 1000} 1.0" for x in range(-2000, 2000)) + "\n")
    child = subprocess.Popen([sys.executable, "-m", "offsetgeo", "project", "x**2", f"@{pts}",
                              "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=dict(os.environ, PYTHONPATH=ROOT))
    child.stdout.read(100)
    child.stdout.close()
    err = child.stderr.read().decode()
    assert child.wait(timeout=120) == 0 and "Traceback" not in err, err
