"""Resumption that the learning-rate schedule and the random state can both tell apart.

A run interrupted and resumed must end bit-identical to the uninterrupted run.  With two epochs a
scheduler that is not restored changes nothing visible, and a model that draws no random numbers
hides an RNG state that is not restored; these runs last three epochs with a decaying rate, and
one of them uses a model with dropout, so both omissions change the weights.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from steerable.train import TrainConfig, TrainingInterrupted, load_checkpoint, load_data, train


@pytest.fixture(scope="module")
def data():
    return load_data("synthetic", n_train=64, n_test=16, seed=0)


def _cfg(out: Path, model: str, model_kwargs: dict) -> TrainConfig:
    return TrainConfig(model=model, model_kwargs=model_kwargs, dataset="synthetic", n_train=64, n_test=16, epochs=3,
                       batch_size=32, lr=3e-3, lr_decay=0.3, seed=0, out=str(out))


def _weights(out: Path) -> dict[str, torch.Tensor]:
    return load_checkpoint(out / "checkpoint.pt")["model_state"]


CASES = {
    # a plain model: only the learning-rate schedule differs if the scheduler is not restored
    "c4": ("c4", {"width": 0.2}),
    # dropout 0.3 draws random masks every step: an RNG state that is not restored changes them
    "wrn-dropout": ("wrn-10-1", {"dropout": 0.3, "base_channels": 8}),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("stop_after", [2, 3])  # after epoch 1 exactly (2 steps per epoch); inside epoch 2
def test_three_epoch_resume_is_bit_identical(tmp_path: Path, data, case: str, stop_after: int) -> None:
    model, kwargs = CASES[case]
    whole = train(_cfg(tmp_path / "whole", model, kwargs), data=data, log=lambda s: None)
    with pytest.raises(TrainingInterrupted):
        train(_cfg(tmp_path / "parts", model, kwargs), data=data, stop_after=stop_after, log=lambda s: None)
    resumed = train(_cfg(tmp_path / "parts", model, kwargs), resume=True, data=data, log=lambda s: None)
    a, b = _weights(tmp_path / "whole"), _weights(tmp_path / "parts")
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), f"{case}: {k} differs after resuming (max {float((a[k] - b[k]).abs().max()):.3g})"
    assert [r["train_loss"] for r in resumed["history"]] == [r["train_loss"] for r in whole["history"]]
