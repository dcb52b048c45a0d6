"""The ``steerable`` command line: help, train/eval round trip, eval errors (exit 2, one line), compare, bench."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from steerable.cli.main import main
from steerable.train import load_checkpoint, save_checkpoint

REPO = Path(__file__).resolve().parents[2]
TINY = ["--dataset", "synthetic", "--n-train", "40", "--n-test", "20", "--batch-size", "20", "--no-progress"]


@pytest.mark.parametrize("command", [[], ["train"], ["eval"], ["compare"], ["models"], ["bench"]])
def test_help(command, capsys):
    with pytest.raises(SystemExit) as e:
        main(command + ["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: steerable")
    for word in {"train": ["--resume", "--device", "--amp", "--compile", "--data-root", "--seed", "--out"],
                 "eval": ["--angles", "checkpoint"], "compare": ["--seeds", "--models", "--epochs"],
                 "models": ["--width"], "bench": ["names"]}.get(command[0] if command else "",
                                                                ["train", "eval", "compare", "models", "bench"]):
        assert word in out


def test_python_dash_m_entry_point():
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    r = subprocess.run([sys.executable, "-m", "steerable", "--help"], cwd=REPO, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0 and "compare" in r.stdout


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "usage" in capsys.readouterr().out


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run"
    assert main(["train", "--model", "cnn", "--width", "0.25", "--epochs", "1", "--out", str(out)] + TINY) == 0
    return out


def test_train_then_eval(trained, capsys, tmp_path):
    capsys.readouterr()
    assert main(["eval", str(trained / "checkpoint.pt"), "--angles", "0", "90", "45", "0:360:180",
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "accuracy" in out and "changed %" in out and "90.00" in out
    assert (tmp_path / "rotation.png").stat().st_size > 1000
    doc = json.loads((tmp_path / "rotation.json").read_text())
    assert [r["angle"] for r in doc["rotation"]] == [0, 45, 90, 180]  # distinct, in numerical order
    # a training directory works as well, and so does the exported model
    assert main(["eval", str(trained), "--angles", "0", "--exported", "--out", str(tmp_path), "--force"]) == 0


def _one_line_error(capsys, argv, pattern):
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith(f"steerable {argv[0]}: error:") and pattern in err, err


def test_eval_errors_exit_2_with_one_line(trained, capsys, tmp_path):
    ckpt = trained / "checkpoint.pt"
    _one_line_error(capsys, ["eval", str(tmp_path / "missing.pt")], "not found")
    bad = tmp_path / "corrupt.pt"
    bad.write_bytes(ckpt.read_bytes()[:500])
    _one_line_error(capsys, ["eval", str(bad)], "not a readable checkpoint")
    junk = tmp_path / "junk.pt"
    junk.write_text("hello")
    _one_line_error(capsys, ["eval", str(junk)], "a text file")
    torch.save({"state_dict": {}}, tmp_path / "foreign.pt")
    _one_line_error(capsys, ["eval", str(tmp_path / "foreign.pt")], "not a steerable training checkpoint")
    _one_line_error(capsys, ["eval", str(ckpt), "--model", "c8"], "a checkpoint of model 'cnn', not 'c8'")
    # weights of another model under this checkpoint's name
    st = load_checkpoint(ckpt)
    st["model"] = "c4"
    save_checkpoint(tmp_path / "other.pt", {k: v for k, v in st.items() if k != "format"})
    _one_line_error(capsys, ["eval", str(tmp_path / "other.pt")], "do not fit model 'c4'")
    _one_line_error(capsys, ["eval", str(ckpt), "--angles", "abc"], "angle")


def test_train_errors_exit_2(capsys, tmp_path):
    _one_line_error(capsys, ["train", "--model", "resnet", "--out", str(tmp_path)] + TINY, "unknown model")
    _one_line_error(capsys, ["train", "--model", "cnn", "--resume", "--out", str(tmp_path / "none")] + TINY,
                    "checkpoint not found")
    _one_line_error(capsys, ["train", "--model", "cnn", "--device", "cuda:7" if not torch.cuda.is_available() else "nope",
                             "--out", str(tmp_path)] + TINY, "device")


def test_compare_writes_a_report(tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", "--models", "cnn", "c4", "--epochs", "1", "--width", "0.2", "--dataset", "synthetic",
                 "--n-train", "40", "--n-test", "20", "--batch-size", "20", "--angles", "0", "45", "90",
                 "--out", str(out), "--no-progress"]) == 0
    report = (out / "report.md").read_text()
    for s in ("| cnn |", "| c4 |", "accuracy_vs_angle.png", "Acceptance checks"):
        assert s in report
    for f in ("accuracy_vs_angle.png", "training_curves.png", "params_time.png", "results.json"):
        assert (out / f).stat().st_size > 100
    res = json.loads((out / "results.json").read_text())
    assert res["summary"]["c4"]["changed_90"] == 0.0
    assert set(res["summary"]) == {"cnn", "c4"}
    # a second call reuses the completed runs
    capsys.readouterr()
    assert main(["compare", "--models", "c4", "--epochs", "1", "--width", "0.2", "--dataset", "synthetic",
                 "--n-train", "40", "--n-test", "20", "--batch-size", "20", "--angles", "0", "--out", str(out),
                 "--no-progress"]) == 0
    assert "reusing" in capsys.readouterr().out


def test_bench_runs_scripts(tmp_path, capsys):
    (tmp_path / "bench_group.py").write_text("print('group bench ok')\n")
    (tmp_path / "bench_nn.py").write_text("import sys; print('nn bench'); sys.exit(3)\n")
    assert main(["bench", "--dir", str(tmp_path), "--list"]) == 0
    assert "bench_group.py" in capsys.readouterr().out
    assert main(["bench", "group", "--dir", str(tmp_path)]) == 0
    assert main(["bench", "--dir", str(tmp_path)]) == 1  # a failing script makes the command fail
    _one_line_error(capsys, ["bench", "kernels", "--dir", str(tmp_path)], "no benchmark")


def test_models_lists_parameter_counts(capsys):
    assert main(["models", "cnn", "c4", "--width", "0.25"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].split()[0] == "cnn" and out[2].split()[0] == "c4"
    assert abs(float(out[2].split()[2]) - 1) < 0.1
    _one_line_error(capsys, ["models", "vgg"], "unknown model")


def test_compare_falls_back_to_synthetic_without_digits(tmp_path, capsys, monkeypatch):
    import steerable.train.compare as compare

    monkeypatch.setattr(compare, "mnist_rot_available", lambda: False)
    assert main(["compare", "--models", "cnn", "--epochs", "1", "--width", "0.2", "--n-train", "40", "--n-test", "20",
                 "--batch-size", "20", "--angles", "0", "90", "--out", str(tmp_path), "--no-progress"]) == 0
    assert "falling back to the 'synthetic' dataset" in capsys.readouterr().out
    res = json.loads((tmp_path / "results.json").read_text())
    assert res["config"]["dataset"] == "synthetic" and res["notes"]
    assert "Note:" in (tmp_path / "report.md").read_text()
