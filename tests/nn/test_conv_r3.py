"""Equivariance of R3Conv / R3ConvTransposed on the grid-exact elements.

The grid-exact elements are the 24 rotations of the cube (SO(3)), the 48 rotations and
roto-reflections of the cube (O(3)), and the subgroups of those that ``rot2dOnR3(4)`` (C4 about
z: 4 elements) and ``conicalOnR3(4)`` (C4v: 8 elements) contain.  Voxel grids are small (5^3 -
7^3) and kernels 3 or 5, so every check runs in well under a second.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest
import torch

from steerable.group import Representation, directsum
from steerable.gspaces import GSpace, conicalOnR3, flipRot3dOnR3, rot2dOnR3, rot3dOnR3
from steerable.nn import EquivarianceError, FieldType, GeometricTensor, R3Conv, R3ConvTransposed

RTOL = 1e-5
ATOL = 1e-7


@dataclass(frozen=True)
class SpatialCase:
    name: str
    make: Callable[[], GSpace]
    reprs: Callable[[GSpace], list[Representation]]
    n_exact: int

    def __repr__(self) -> str:
        return self.name


def _so3(gs):
    G = gs.fibergroup
    return [G.irrep(0), G.irrep(1), G.irrep(2)]


def _o3(gs):
    G = gs.fibergroup
    return [G.irrep(0, 0), G.irrep(1, 1), G.irrep(0, 2), G.irrep(1, 0), G.irrep(0, 1), directsum([G.irrep(1, 2), G.irrep(0, 0)], name="mix")]


def _planar_finite(gs):
    G = gs.fibergroup
    return [gs.regular_repr, gs.trivial_repr] + [psi for psi in G.irreps() if not psi.is_trivial()][-2:]


CASES = [
    SpatialCase("SO(3)", lambda: rot3dOnR3(), _so3, 24),
    SpatialCase("O(3)", lambda: flipRot3dOnR3(), _o3, 48),
    SpatialCase("C4_on_R3", lambda: rot2dOnR3(4), _planar_finite, 4),
    SpatialCase("C4v_on_R3", lambda: conicalOnR3(4), _planar_finite, 8),
]


def _randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def _types(case):
    gs = case.make()
    reprs = case.reprs(gs)
    return FieldType(gs, reprs), FieldType(gs, reprs[::-1])


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_r3conv_exact(case):
    t_in, t_out = _types(case)
    assert len(t_in.testing_elements) == case.n_exact
    conv = R3Conv(t_in, t_out, 3, padding=1)
    x = _randn(1, t_in.size, 5, 5, 5)
    conv.check_equivariance(x, atol=ATOL, rtol=RTOL)
    assert conv(GeometricTensor(x, t_in)).tensor.abs().max() > 1e-2


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_r3conv_kernel5_stride2(case):
    t_in, t_out = _types(case)
    conv = R3Conv(t_in, t_out, 5, padding=2, stride=2)
    x = _randn(1, t_in.size, 7, 7, 7, seed=1)  # n - 1 = 6 divisible by the stride: exact
    assert conv(GeometricTensor(x, t_in)).shape[2:] == (4, 4, 4)
    conv.check_equivariance(x, atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_r3conv_transposed_exact(case):
    t_in, t_out = _types(case)
    conv = R3ConvTransposed(t_in, t_out, 3, padding=1, stride=2)
    x = _randn(1, t_in.size, 4, 4, 4, seed=2)
    y = conv(GeometricTensor(x, t_in))
    assert y.shape == conv.evaluate_output_shape(x.shape) == (1, t_out.size, 7, 7, 7)
    conv.check_equivariance(x, atol=ATOL, rtol=RTOL)


def test_r3conv_padding_mode_and_even_grid():
    t_in, t_out = _types(CASES[1])
    conv = R3Conv(t_in, t_out, 3, padding=1, padding_mode="circular")
    conv.check_equivariance(_randn(1, t_in.size, 6, 6, 6, seed=3), atol=ATOL, rtol=RTOL)


def test_r3conv_corrupted_filter_is_caught():
    t_in, t_out = _types(CASES[0])
    conv = R3Conv(t_in, t_out, 3, padding=1)
    filt, bias = conv.expand_parameters()
    bad = filt.detach() + 1e-3 * filt.detach().abs().max() * _randn(*filt.shape, seed=4)
    conv.expand_parameters = lambda: (bad, bias)  # type: ignore[method-assign]
    with pytest.raises(EquivarianceError):
        conv.check_equivariance(atol=ATOL, rtol=RTOL, spatial=5)
