"""``steerable train --model so2-partial``: the learned-equivariance models through the train layer."""
from __future__ import annotations

import pytest
import torch

from steerable.partial.models import PartialCNN
from steerable.train.models import (build_model, canonical_model_name, check_model_kwargs, model_regularization)


def test_names_dispatch():
    assert canonical_model_name("SO2-Partial") == "so2-partial"
    assert canonical_model_name("c8") == "c8"  # the core names are unchanged
    net = build_model("o2-partial", fields=(1, 1, 1), image_size=9)
    assert isinstance(net, PartialCNN) and net.group == "o2"
    assert model_regularization(net) is not None and float(model_regularization(net)) == 0.0
    assert model_regularization(torch.nn.Linear(2, 2)) is None
    with pytest.raises(ValueError, match="learned-equivariance"):
        canonical_model_name("so3-partial")
    with pytest.raises(ValueError, match="does not accept"):
        check_model_kwargs("c8-partial", depth=3)
    check_model_kwargs("c8-partial", width=0.5, image_size=29, num_classes=10, in_channels=1)


def test_train_and_eval_cli(tmp_path):
    from steerable.cli.main import main

    out = tmp_path / "run"
    assert main(["train", "--model", "c4-partial", "--dataset", "synthetic", "--epochs", "1", "--n-train", "32",
                 "--n-test", "16", "--width", "0.25", "--out", str(out)]) == 0
    assert main(["eval", str(out), "--angles", "0", "90"]) == 0
    assert (out / "eval" / "likelihoods.png").stat().st_size > 0
