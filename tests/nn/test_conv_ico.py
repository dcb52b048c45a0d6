"""R3IcoConv and R3IcoConvTransposed: exactly equivariant, at float32 round-off, to the 12
icosahedral rotations that permute voxels; they export to plain torch convolutions and refuse
what they cannot build."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from steerable import gspaces, nn

gs = gspaces.icoOnR3()
G = gs.fibergroup
T_IN = nn.FieldType(gs, [gs.trivial_repr, G.irrep(1)])
T_OUT = nn.FieldType(gs, [G.irrep(1), G.irrep(3), gs.trivial_repr, G.irrep(2)])
# rotations whose matrix is a signed permutation act exactly on a cubic voxel grid (the tetrahedral subgroup)
ON_GRID = [g for g in G.elements if np.allclose(np.abs(G.standard_matrix(g)), np.round(np.abs(G.standard_matrix(g))), atol=1e-9)]


def _check(conv: torch.nn.Module, size: int) -> None:
    conv.eval()
    x = T_IN(torch.randn(2, T_IN.size, size, size, size, generator=torch.Generator().manual_seed(0)))
    with torch.no_grad():
        y = conv(x)
        scale = float(y.tensor.abs().max())
        assert scale > 1e-2
        worst = max(float((conv(x.transform(g)).tensor - y.transform(g).tensor).abs().max()) for g in ON_GRID)
    assert worst < 1e-5 * scale, worst / scale


def test_on_grid_rotations_are_the_tetrahedral_subgroup() -> None:
    assert len(ON_GRID) == 12


@pytest.mark.parametrize("samples", ["ico", "dodeca", "icosidodeca"])
def test_ico_conv_is_equivariant_on_the_grid(samples: str) -> None:
    conv = nn.R3IcoConv(T_IN, T_OUT, kernel_size=5, padding=2, samples=samples)
    assert conv.weights.numel() > 0 and conv.samples == samples
    _check(conv, 9)


def test_transposed_ico_conv_is_equivariant_on_the_grid() -> None:
    conv = nn.R3IcoConvTransposed(T_IN, T_OUT, kernel_size=5, padding=2, stride=2, output_padding=0)
    _check(conv, 5)


def test_orbit_polyhedra_give_different_bases() -> None:
    dims = {s: nn.R3IcoConv(T_IN, T_OUT, kernel_size=5, samples=s).basisexpansion.dimension for s in ("ico", "dodeca", "icosidodeca")}
    # more orbit points resolve more frequencies: 12 < 20 < 30 points per ring
    assert dims["ico"] < dims["dodeca"] < dims["icosidodeca"], dims


def test_export_matches() -> None:
    conv = nn.R3IcoConv(T_IN, T_OUT, kernel_size=3, padding=1).eval()
    x = T_IN(torch.randn(1, T_IN.size, 6, 6, 6))
    with torch.no_grad():
        assert torch.allclose(conv.export()(x.tensor), conv(x).tensor, atol=1e-5)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="samples must be one of"):
        nn.R3IcoConv(T_IN, T_OUT, kernel_size=3, samples="cube")
    octa = gspaces.octaOnR3()
    t = nn.FieldType(octa, [octa.trivial_repr])
    with pytest.raises(ValueError, match="icosahedral group acting on R\\^3"):
        nn.R3IcoConv(t, t, kernel_size=3)
    with pytest.raises(TypeError, match="in_type must be a FieldType"):
        nn.R3IcoConv("x", T_OUT, kernel_size=3)
