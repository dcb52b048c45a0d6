"""Float64 layers are equivariant to round-off under the grid symmetries.

In float32 the equivariance tests allow ``1e-5``: that hides any error below it, e.g. a
float32 copy of a basis inside a ``.double()`` layer, or a mask or interpolation that is a
hair off centre.  In float64 every layer here acts exactly under the grid-exact elements, so
the only error left is round-off: these tests allow ``1e-11`` relative to the output scale
(measured errors are ~1e-15-1e-14).  Biases and weights are random, so every parameter shows.
"""
from __future__ import annotations

import pytest
import torch

from steerable.gspaces import flipRot2dOnR2, flipRot3dOnR3, rot2dOnR2, rot3dOnR3
from steerable.nn import (
    EquivariantModule, FieldType, GeometricTensor, MaskModule, R2ConvTransposed, R2Upsampling, R3Conv, R3ConvTransposed,
    R3Upsampling,
)

REL = 1e-11  # relative to max |output|; float64 round-off through a few sums is ~1e-15


def _x(t: FieldType, n: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(2, t.size, *[n] * t.gspace.dimensionality, generator=g, dtype=torch.float64)


def _randomise(m: EquivariantModule, seed: int = 1) -> EquivariantModule:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64))
    return m


def assert_exact_f64(m: EquivariantModule, x: torch.Tensor) -> float:
    """Every grid-exact element; returns the worst error relative to the output scale."""
    m = m.double().eval()
    assert all(b.dtype == torch.float64 for b in m.buffers() if b.is_floating_point())
    errors = m.check_equivariance(x=x, atol=0.0, rtol=REL)
    assert len(errors) > 1
    with torch.no_grad():
        scale = float(m(GeometricTensor(x, m.in_type)).tensor.abs().max())
    return max(e for _, e in errors) / scale


def _types_2d(gs):
    G = gs.fibergroup
    if G.continuous:
        reps = [gs.trivial_repr, gs.irrep(*G.irreps()[1].id), gs.irrep(*G.irreps()[2].id)]
        return FieldType(gs, reps), FieldType(gs, [gs.trivial_repr] + reps[1:] + reps[1:])
    return FieldType(gs, [gs.regular_repr, gs.trivial_repr]), FieldType(gs, [gs.regular_repr, gs.trivial_repr, gs.regular_repr])


GS2 = {"C4": lambda: rot2dOnR2(4), "C8": lambda: rot2dOnR2(8), "D4": lambda: flipRot2dOnR2(4),
       "SO2": lambda: rot2dOnR2(-1), "O2": lambda: flipRot2dOnR2(-1)}


@pytest.mark.parametrize("gname", list(GS2))
@pytest.mark.parametrize("stride,padding,output_padding", [(1, 1, 0), (2, 1, 0), (2, 2, 0), (3, 0, 0)])
def test_r2_conv_transposed_float64(gname, stride, padding, output_padding):
    t_in, t_out = _types_2d(GS2[gname]())
    m = _randomise(R2ConvTransposed(t_in, t_out, 5, padding=padding, stride=stride, output_padding=output_padding))
    assert m.bias is not None
    assert assert_exact_f64(m, _x(t_in, 7)) < REL


def _types_3d(gs):
    if gs.fibergroup.name.startswith("O"):  # O(3): true and pseudo vectors, a pseudo-scalar-free mix
        reps = [gs.trivial_repr, gs.irrep(1, 1), gs.irrep(0, 1), gs.irrep(0, 2)]
    else:
        reps = [gs.trivial_repr, gs.irrep(1), gs.irrep(2), gs.irrep(1)]
    return FieldType(gs, reps[:3]), FieldType(gs, reps)


GS3 = {"SO3": lambda: rot3dOnR3(), "O3": lambda: flipRot3dOnR3()}


@pytest.mark.parametrize("gname", list(GS3))
@pytest.mark.parametrize("cls", [R3Conv, R3ConvTransposed])
def test_r3_convs_float64(gname, cls):
    t_in, t_out = _types_3d(GS3[gname]())
    m = _randomise(cls(t_in, t_out, 3, padding=1))
    assert m.bias is not None
    assert assert_exact_f64(m, _x(t_in, 5)) < REL


@pytest.mark.parametrize("gname", list(GS2))
def test_r2_upsampling_and_mask_float64(gname):
    t, _ = _types_2d(GS2[gname]())
    x = _x(t, 7)
    for kw in [dict(scale_factor=2), dict(scale_factor=3, mode="nearest"), dict(size=13, align_corners=True),
               dict(scale_factor=2, mode="bicubic")]:
        assert assert_exact_f64(R2Upsampling(t, **kw), x) < REL, kw
    for S, margin in [(7, 0.0), (7, 20.0)]:
        assert assert_exact_f64(MaskModule(t, S, margin=margin), x) < REL


@pytest.mark.parametrize("gname", list(GS3))
def test_r3_upsampling_and_mask_float64(gname):
    t, _ = _types_3d(GS3[gname]())
    x = _x(t, 5)
    for kw in [dict(scale_factor=2, mode="trilinear"), dict(scale_factor=2, mode="nearest")]:
        assert assert_exact_f64(R3Upsampling(t, **kw), x) < REL, kw
    assert assert_exact_f64(MaskModule(t, 5, margin=10.0), x) < REL
