"""Self-supervised training: it lowers the defect, resumes to identical weights, refuses a mismatched checkpoint."""
from __future__ import annotations

import pytest
import torch

from steerable.lattice import log_defect
from steerable.lattice.neural import NeuralLatticeReducer
from steerable.lattice.training import LatticeTrainConfig, random_bases, reducer_from_state, train_reducer


def test_resume_reaches_the_same_weights():
    cfg = LatticeTrainConfig(n=4, iterations=8, batch_size=16, seed=3)
    full = train_reducer(cfg)
    saved = []
    part = train_reducer(cfg, checkpoint=saved.append, checkpoint_every=2, stop_after=5)
    assert part.state["iteration"] == 5 and saved[-1]["iteration"] == 5
    rest = train_reducer(cfg, state=saved[-1])
    assert rest.history == full.history
    for k, v in full.model.state_dict().items():
        assert torch.equal(v, rest.model.state_dict()[k]), k
    # and the checkpoint rebuilds the same reducer
    again = reducer_from_state(rest.state)
    B = random_bases(20, 4, torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(again(B)[1], rest.model(B)[1])


def test_training_lowers_the_defect():
    B = random_bases(300, 4, torch.Generator().manual_seed(99))
    with torch.no_grad():
        before = float(log_defect(NeuralLatticeReducer(4)(B)[0]).mean())
    res = train_reducer(LatticeTrainConfig(n=4, iterations=40, batch_size=64, seed=0))
    with torch.no_grad():
        after = float(log_defect(res.model(B)[0]).mean())
    assert after < before
    assert any(float(p.detach().abs().sum()) > 0 for p in res.model.head.parameters())


def test_bad_config_and_mismatched_state():
    with pytest.raises(ValueError, match="iterations"):
        train_reducer(LatticeTrainConfig(iterations=0))
    with pytest.raises(ValueError, match="lr"):
        train_reducer(LatticeTrainConfig(lr=-1.0))
    st = train_reducer(LatticeTrainConfig(n=4, iterations=1, batch_size=4)).state
    with pytest.raises(ValueError, match="trained with"):
        train_reducer(LatticeTrainConfig(n=4, iterations=2, batch_size=4), state=st)
    with pytest.raises(ValueError, match="not a lattice reducer"):
        reducer_from_state({"model": "cnn"})
    with pytest.raises(ValueError, match="kind"):
        random_bases(2, 3, kind="knapsack")
