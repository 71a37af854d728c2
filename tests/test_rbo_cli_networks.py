"""The `rbo train` and `rbo compare` commands: files written, resume, errors (exit 2, one line)."""
import json
import re

import numpy as np
import pytest

import rbo
from rbo.cli import main


def test_train_writes_results_and_resumes(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "--data", "digits", "--model", "mlp:16", "--opt", "rbo", "--lr", "0.5",
            "--radius", "0.05", "--budget", "60", "--sharpness-every", "5", "--out", str(out),
            "--no-progress"]
    assert main(argv) == 0
    first = json.loads((out / "results.json").read_text())
    assert first["optimizer"] == "rbo-anderson" and first["hyper"]["radius"] == 0.05
    assert first["status"] == "completed" and first["evals"] >= 60
    assert len(first["step_loss"]) == first["steps"] and first["sharpness"]["step"][0] == 0
    assert "rbo-anderson: completed" in capsys.readouterr().out
    assert main(argv) == 0                           # finished: read back, same numbers
    again = json.loads((out / "results.json").read_text())
    assert again["theta"] == first["theta"] and again["points"]["test_acc"] == first["points"]["test_acc"]
    model = rbo.nn.mlp([64, 16, 10])
    d = rbo.data.digits()
    assert first["final_test_acc"] == model.evaluate(np.array(first["theta"]), d.x_test, d.y_test)[1]


def test_train_other_optimizers_and_options(tmp_path):
    out = tmp_path / "sam"
    assert main(["train", "--data", "digits", "--model", "logistic", "--opt", "sam", "--opt-arg",
                 "rho_sam=0.1", "--epochs", "0.5", "--label-noise", "0.2", "--out", str(out),
                 "--no-progress"]) == 0
    res = json.loads((out / "results.json").read_text())
    assert res["hyper"]["rho_sam"] == 0.1 and res["steps"] == int(np.ceil(0.5 * (1347 // 128)))
    assert "noise0.2" in res["config"]["data"]["name"]


@pytest.mark.parametrize("args, match", [
    (["--data", "mnist"], "unknown data 'mnist'"),
    (["--model", "cnn:3"], "unknown model 'cnn:3'"),
    (["--model", "mlp:a,b"], "widths must be integers"),
    (["--opt", "sgd", "--radius", "1"], "--radius does not apply to sgd"),
    (["--opt", "sgd", "--solver", "paper"], "--solver is for RBO"),
    (["--opt-arg", "oops"], "KEY=VALUE"),
    (["--opt", "sam", "--opt-arg", "nonsense=1"], "bad option for sam"),
    (["--label-noise", "1.5"], r"in \[0, 1\)"),
    (["--data", "idx:a"], "2 or 4 comma-separated files"),
    (["--data", "idx:/nonexistent/x,/nonexistent/y"], "no such file"),
    (["--threads", "0"], "--threads must be >= 1"),
])
def test_train_bad_input_exits_2_with_one_line(tmp_path, capsys, args, match):
    argv = ["train", "--data", "digits", "--model", "logistic", "--budget", "5",
            "--out", str(tmp_path / "x"), "--no-progress", *args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("rbo train: error: ") and err.count("\n") == 1
    assert re.search(match, err)


def test_compare_writes_table_json_and_figures(tmp_path, capsys):
    out = tmp_path / "cmp"
    argv = ["compare", "--data", "digits", "--model", "logistic", "--budget", "40", "--seeds", "2",
            "--optimizers", "sgd,rbo-newton,sam", "--no-tune", "--label-noise", "0,0.2",
            "--sharpness-points", "2", "--out", str(out), "--no-progress"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "| rbo-newton |" in printed and "label noise 0.2" in printed
    for name in ("results.json", "table.md", "curves.png", "sharpness.png", "noise.png"):
        assert (out / name).stat().st_size > 0, name
    res = json.loads((out / "results.json").read_text())
    assert res["status"] == "completed" and len(res["runs"]) == 3 * 2 * 2
    assert {r["optimizer"] for r in res["runs"]} == {"sgd", "rbo-newton", "sam"}
    assert (out / "table.md").read_text().strip() == printed.split("wrote ")[0].strip()


def test_compare_bad_input(tmp_path, capsys):
    assert main(["compare", "--optimizers", "sgd,lbfgs", "--data", "digits", "--model", "logistic",
                 "--out", str(tmp_path), "--no-progress"]) == 2
    assert "unknown optimizer(s) ['lbfgs']" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["compare", "--label-noise", "a,b"])
    assert exc.value.code == 2
