"""``steerable bound``: the table, the JSON, and clear errors."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from steerable.cli.main import main
from steerable.models import build_model
from steerable.train import save_checkpoint


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    kw = {"width": 0.25}
    model = build_model("c4", **kw)
    path = tmp_path_factory.mktemp("bound") / "checkpoint.pt"
    save_checkpoint(path, {"model": "c4", "model_kwargs": kw, "model_state": model.state_dict(), "epoch": 0,
                           "config": {"dataset": "synthetic", "n_train": 40, "n_test": 2, "data_seed": 0}})
    return path


def test_json_has_both_bounds_and_every_layer(checkpoint: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # an untrained model misclassifies most images: the 0.99-quantile (the best-classified image) keeps gamma positive
    assert main(["bound", str(checkpoint), "--margin-quantile", "0.99", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_train"] == 40 and out["gamma"] > 0
    names = [r["layer"] for r in out["layers"]]
    assert names[0] == "features.conv1" and len(names) == 8
    conv2 = out["layers"][1]
    assert {tuple(b["irrep"]) for b in conv2["blocks"]} == {(0,), (1,), (2,)}
    assert conv2["s_equivariant"] < conv2["s_nbs18"]
    for kind in ("nbs18", "equivariant"):
        b = out[kind]
        assert b["total"] == pytest.approx(b["margin_loss"] + b["complexity"])
        assert b["sample_size"] == 40
    assert out["equivariant"]["non_equivariant_layers"] == ["head.fc1", "head.fc2"]


def test_table(checkpoint: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bound", str(checkpoint), "--margin-quantile", "0.99"]) == 0
    text = capsys.readouterr().out
    assert "features.conv3" in text and "nbs18        bound" in text and "equivariant  bound" in text
    assert "(not equivariant: dense terms)" in text


@pytest.mark.parametrize("args, message", [
    (["--margin-quantile", "0"], "--margin-quantile must be in (0, 1)"),
    (["--margin-quantile", "1.5"], "--margin-quantile must be in (0, 1)"),
    (["--delta", "1"], "--delta must be in (0, 1)"),
    (["--margin-quantile", "0.01"], "<= 0"),
])
def test_bad_arguments(checkpoint: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    assert main(["bound", str(checkpoint), *args]) == 2
    assert message in capsys.readouterr().err


def test_missing_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bound", str(tmp_path / "nope.pt")]) == 2
    assert "checkpoint not found" in capsys.readouterr().err
