"""``steerable train --model mobilenet-d4`` then ``steerable quantize CHECKPOINT``: INT8 model and report."""
from __future__ import annotations

import json

import torch

from steerable.cli.main import main

TINY = ["--dataset", "synthetic", "--n-train", "40", "--n-test", "20", "--batch-size", "20", "--no-progress", "--epochs", "1",
        "--model-arg", "width_mult=0.25", "--model-arg", "setting=tiny", "--model-arg", "last_channel=32"]


def test_train_then_quantize(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--model", "mobilenet-d4", "--out", str(run)] + TINY) == 0
    assert main(["quantize", str(run / "checkpoint.pt"), "--scheme", "per-field", "--calibration", "20"]) == 0
    out = capsys.readouterr().out
    assert "INT8" in out and "max logit change under D4" in out
    rep = json.loads((run / "int8-per-field" / "report.json").read_text())
    assert rep["model"] == "mobilenet-d4" and rep["scheme"] == "per-field" and rep["n_calibration"] == 20
    assert rep["weight_bytes_int8"] < rep["weight_bytes_fp32"] and rep["macs"] > 0
    # synthetic images are 29 x 29: 29 -> 15 -> 8 -> 4, a stride-2 layer on an even side is not grid-exact,
    # so only the report's presence is checked here (exact invariance: tests/quantization on 17 x 17)
    assert rep["d4_max_logit_change_fp32"] >= 0 and rep["d4_max_logit_change_int8"] >= 0 and rep["int8_output_step"] > 0
    q = torch.jit.load(str(run / "int8-per-field" / "model_int8.pt"))
    assert q(torch.rand(2, 1, 29, 29)).shape == (2, 10)
    # a second run into the same directory needs --force
    assert main(["quantize", str(run), "--calibration", "20"]) == 2
    assert "--force" in capsys.readouterr().err


def test_quantize_missing_checkpoint_is_one_line(tmp_path, capsys):
    assert main(["quantize", str(tmp_path / "nope.pt")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("steerable quantize: error:") and err.count("\n") == 1
