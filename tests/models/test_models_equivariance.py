"""Invariance of the steerable models' logits and equivalence of their plain-PyTorch exports."""
from __future__ import annotations

import pytest
import torch

from steerable.models import ConvNet, SteerableCNN, WideResNet, build_model

# small widths keep the whole file at a few seconds
INVARIANT_90 = ["c4", "c8", "d4", "so2", "o2", "d8|c4"]
FLIP_INVARIANT = ["d4", "o2", "d1"]


def _warm_bn(model: torch.nn.Module, shape=(4, 1, 29, 29)) -> None:
    """A training-mode pass with momentum 1 so batch-norm running statistics are not the trivial initial ones."""
    g = torch.Generator().manual_seed(1)
    bns = [m for m in model.modules() if hasattr(m, "momentum") and hasattr(m, "running_var")]
    old = [m.momentum for m in bns]
    for m in bns:
        m.momentum = 1.0
    model.train()
    with torch.no_grad():
        model(torch.rand(*shape, generator=g))
    for m, mo in zip(bns, old):
        m.momentum = mo
    model.eval()


@pytest.fixture(scope="module")
def models() -> dict[str, torch.nn.Module]:
    torch.manual_seed(0)
    out = {}
    for name in sorted(set(INVARIANT_90 + FLIP_INVARIANT + ["cnn", "c1"])):
        m = build_model(name, width=0.25)
        _warm_bn(m)
        out[name] = m
    return out


def _x(n: int = 4, side: int = 29, c: int = 1) -> torch.Tensor:
    return torch.rand(n, c, side, side, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("name", INVARIANT_90)
def test_logits_invariant_to_90_degree_rotations(models, name):
    m, x = models[name], _x()
    with torch.no_grad():
        y = m(x)
        for k in (1, 2, 3):
            yk = m(torch.rot90(x, k, (2, 3)))
            assert (yk - y).abs().max() < 1e-4, (name, k)


@pytest.mark.parametrize("name", FLIP_INVARIANT)
def test_dihedral_logits_invariant_to_flips(models, name):
    m, x = models[name], _x()
    with torch.no_grad():
        y = m(x)
        assert (m(torch.flip(x, (3,))) - y).abs().max() < 1e-4
        if name != "d1":  # the rotation-flip compositions
            assert (m(torch.flip(torch.rot90(x, 1, (2, 3)), (2,))) - y).abs().max() < 1e-4


def test_rotation_invariance_holds_in_training_mode_too(models):
    m, x = models["c8"], _x(8)
    m.train()
    try:
        with torch.no_grad():
            assert (m(torch.rot90(x, 1, (2, 3))) - m(x)).abs().max() < 1e-4
    finally:
        m.eval()


def test_conventional_models_are_not_invariant(models):
    """Sanity check of the test itself: the CNN and the trivial-group model do change."""
    x = _x()
    with torch.no_grad():
        for name in ("cnn", "c1"):
            assert (models[name](torch.rot90(x, 1, (2, 3))) - models[name](x)).abs().max() > 1e-3


@pytest.mark.parametrize("name", ["cnn", "c1", "c4", "d4", "so2", "o2", "d8|c4"])
def test_export_matches_in_eval_mode(models, name):
    m, x = models[name], _x()
    plain = m.export()
    assert not any(isinstance(mod, type(m)) for mod in plain.modules() if mod is not plain)
    from steerable.nn import EquivariantModule

    assert not any(isinstance(mod, EquivariantModule) for mod in plain.modules())
    with torch.no_grad():
        assert (plain(x) - m(x)).abs().max() < 1e-5


def test_wide_resnet_invariance_and_export():
    torch.manual_seed(0)
    m = WideResNet(depth=10, widen_factor=1, group="d4", in_channels=1, image_size=17)
    _warm_bn(m, (4, 1, 17, 17))
    x = _x(2, 17)
    with torch.no_grad():
        y = m(x)
        assert (m(torch.rot90(x, 1, (2, 3))) - y).abs().max() < 1e-4
        assert (m(torch.flip(x, (3,))) - y).abs().max() < 1e-4
        assert (m.export()(x) - y).abs().max() < 1e-5
    plain = WideResNet(depth=10, widen_factor=1, in_channels=1, image_size=17).eval()
    with torch.no_grad():
        assert (plain.export()(x) - plain(x)).abs().max() < 1e-6


def test_models_train_a_step_and_take_plain_tensors(models):
    m = models["c4"]
    m.train()
    try:
        x, y = _x(4), torch.arange(4)
        loss = torch.nn.functional.cross_entropy(m(x), y)
        loss.backward()
        assert all(p.grad is not None for p in m.parameters())
        assert torch.isfinite(loss)
    finally:
        m.zero_grad(set_to_none=True)
        m.eval()


def test_models_run_in_float64():
    m = ConvNet(width=0.25).double().eval()
    assert m(_x().double()).dtype == torch.float64
    s = SteerableCNN("c4", width=0.25).double().eval()
    x = _x().double()
    with torch.no_grad():
        assert (s(torch.rot90(x, 1, (2, 3))) - s(x)).abs().max() < 1e-10
