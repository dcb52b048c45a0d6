"""``steerable.nn.init``: the initialised filters stay equivariant, have the promised structure,
and bad arguments are refused."""
from __future__ import annotations

import pytest
import torch

from steerable import gspaces, nn


def _conv(gs, k: int, n_in: int = 3, n_out: int = 2) -> nn.R2Conv:
    t_in = nn.FieldType(gs, n_in * [gs.regular_repr])
    t_out = nn.FieldType(gs, n_out * [gs.regular_repr] + [gs.trivial_repr])
    return nn.R2Conv(t_in, t_out, kernel_size=k, padding=k // 2, initialize=False)


@pytest.mark.parametrize("gs", [gspaces.rot2dOnR2(4), gspaces.flipRot2dOnR2(4)], ids=["C4", "D4"])
def test_deltaorthonormal_is_orthogonal_for_1x1_and_centred_for_larger_kernels(gs) -> None:
    conv = _conv(gs, 1)
    nn.init.deltaorthonormal_init(conv.weights.data, conv.basisexpansion, generator=torch.Generator().manual_seed(0))
    W = conv.expand_parameters()[0][:, :, 0, 0].double()
    assert torch.allclose(W @ W.T, torch.eye(W.shape[0], dtype=W.dtype), atol=1e-5)  # rows orthonormal (out < in)
    conv5 = _conv(gs, 5)
    nn.init.deltaorthonormal_init(conv5.weights.data, conv5.basisexpansion, generator=torch.Generator().manual_seed(0))
    F = conv5.expand_parameters()[0].double()
    energy = F.pow(2).sum((0, 1))
    assert energy[2, 2] > 0.5 * energy.sum()  # most of the filter sits at the centre
    x = conv5.in_type(torch.randn(2, conv5.in_type.size, 9, 9))
    for g in gs.testing_elements:
        assert torch.allclose(conv5(x).transform(g).tensor, conv5(x.transform(g)).tensor, atol=1e-5)


def test_generalized_he_init_matches_he_variance() -> None:
    gs = gspaces.rot2dOnR2(8)
    conv = _conv(gs, 5, n_in=8, n_out=8)
    nn.init.generalized_he_init(conv.weights.data, conv.basisexpansion, generator=torch.Generator().manual_seed(1))
    x = torch.randn(16, conv.in_type.size, 15, 15)
    with torch.no_grad():
        y = conv(conv.in_type(x)).tensor[:, :, 2:-2, 2:-2]
    # He: output second moment = 2 x input variance (here 1), up to sampling noise
    assert 1.4 < float(y.pow(2).mean()) < 2.8


def test_bad_arguments() -> None:
    gs = gspaces.rot2dOnR2(4)
    conv = _conv(gs, 3)
    with pytest.raises(ValueError, match="flat vector"):
        nn.init.generalized_he_init(torch.zeros(conv.basisexpansion.dimension + 1), conv.basisexpansion)
    with pytest.raises(TypeError, match="BlocksBasisExpansion"):
        nn.init.deltaorthonormal_init(conv.weights.data, conv)
