"""FourierPointwise / FourierELU: exact on finite groups and grid symmetries, approximate otherwise."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from test_nonlinearities import assert_export, check_layer, gspace  # noqa: I001 (same test folder)

from steerable.group import FourierTransform
from steerable.nn import EquivarianceError, FieldType, FourierELU, FourierPointwise, GeometricTensor, ReLU
from steerable.nn.nonlinearities.fourier import _sampling_matrix

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")

FINITE = ["C1", "C2", "C3", "C4", "C8", "C16", "D4", "D8"]

#: stated equivariance tolerance for random elements of continuous groups at the default grid
#: (error relative to max |output|, float64, band limit 2 for SO(2)/O(2) and 1 for SO(3)/O(3))
CONTINUOUS_TOL = {"SO2": 0.03, "O2": 0.03, "SO3": 0.12, "O3": 0.12}


def make(cls, name, channels=2, irreps=2, **kw):
    return cls(gspace(name), channels, irreps, **kw)


def random_element_error(layer, n_elements: int = 8) -> float:
    """max over random g of |layer(g x) - g layer(x)| / max |layer(x)| on fibre-only inputs (float64)."""
    layer = layer.double()
    G = layer.in_type.fibergroup
    x = torch.randn(32, layer.in_type.size, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    errors = layer.check_equivariance(x=x, elements=[G.sample(100 + s) for s in range(n_elements)],
                                      raise_on_fail=False)
    scale = layer(GeometricTensor(x, layer.in_type)).tensor.abs().max().item()
    return max(e for _, e in errors) / scale


@pytest.mark.parametrize("name", FINITE)
@pytest.mark.parametrize("band", ["all", "L1"])
@pytest.mark.parametrize("cls", [FourierPointwise, FourierELU])
def test_fourier_exact_on_finite_groups(name, band, cls):
    G = gspace(name).fibergroup
    layer = make(cls, name, 3, G.order() if band == "all" else 1)
    assert len(layer.grid) == G.order()
    if band == "all":
        assert layer.in_type.size == 3 * G.order()
    check_layer(layer)  # every element, 1e-5 relative in float32
    assert_export(layer)


@pytest.mark.parametrize("name", ["SO2", "O2"])
@pytest.mark.parametrize("cls", [FourierPointwise, FourierELU])
def test_fourier_planar_continuous_exact_on_grid_symmetries(name, cls):
    layer = make(cls, name, 2, 2)
    assert layer.N == 8 * 2 + 4  # default: 4 samples per coefficient, a multiple of 4
    layer.check_equivariance(spatial=7, atol=1e-5, rtol=1e-5)  # rotations by pi/2 (and flips) permute the grid
    assert_export(layer)


@pytest.mark.parametrize("name", ["SO3", "O3"])
def test_fourier_spatial_3d_exact_with_cube_grid(name):
    layer = make(FourierELU, name, 2, 1, grid_kind="thomson_cube", N=2)
    assert len(layer.grid) == 48 * (2 if name == "O3" else 1)
    layer.check_equivariance(spatial=3, atol=1e-5, rtol=1e-5)  # the 24 / 48 cube symmetries
    assert_export(layer, spatial=3)


@pytest.mark.parametrize("name", ["SO2", "O2", "SO3", "O3"])
@pytest.mark.parametrize("cls", [FourierPointwise, FourierELU])
def test_fourier_continuous_random_elements_within_stated_tolerance(name, cls):
    L = 2 if name in ("SO2", "O2") else 1
    layer = make(cls, name, 2, L)
    err = random_element_error(layer)
    assert 1e-6 < err < CONTINUOUS_TOL[name], err  # approximate, but within the stated tolerance
    finer = random_element_error(make(cls, name, 2, L, N=4 * layer.N))
    assert finer < err / 2, (err, finer)  # and it improves with the grid size


def test_fourier_field_type_and_matrices():
    gs = gspace("SO2")
    G = gs.fibergroup
    layer = FourierPointwise(gs, 3, 2, N=12)
    assert layer.in_type == FourierPointwise.field_type(gs, 3, 2) == FieldType(gs, 3 * [G.bl_regular_representation(2)])
    ft = FourierTransform(G, layer.grid, 2)
    np.testing.assert_allclose(layer.A.numpy(), ft.A)
    np.testing.assert_allclose(layer.A_pinv.numpy(), ft.A_pinv)
    assert layer.A.dtype == torch.float64 and "A" not in layer.state_dict()
    # a list of irreps (ids or objects) spanning a band limit gives the same representation
    assert FourierPointwise(gs, 3, [0, 1, (2,)], N=12).in_type == layer.in_type
    assert FourierPointwise(gs, 3, G.irreps_up_to(2), N=12).in_type == layer.in_type
    # the sampling matrix used for other irreps lists agrees with steerable.group.fourier
    for name in ("D4", "O2", "SO3"):
        H = gspace(name).fibergroup
        grid = H.elements if not H.continuous else H.grid("thomson" if name == "SO3" else "regular", 60)
        np.testing.assert_allclose(_sampling_matrix(H, grid, H.bl_regular_representation(2)),
                                   FourierTransform(H, grid, 2).A, atol=1e-12)
    # escnn spelling of the grid kind
    assert FourierPointwise(gspace("SO3"), 1, 1, type="thomson", N=30).grid_kind == "thomson"


def test_fourier_custom_irreps_and_out_irreps():
    gs = gspace("SO2")
    layer = FourierELU(gs, 2, [0, 2], N=16)  # not a band limit: irreps 0 and 2 only
    assert layer.in_type.size == 2 * 3 and layer.rho.irrep_ids == [(0,), (2,)]
    layer.check_equivariance(spatial=5)
    down = FourierPointwise(gspace("C8"), 2, 4, out_irreps=1)
    assert down.in_type.size == 2 * 8 and down.out_type.size == 2 * 3
    check_layer(down)
    assert_export(down)
    assert down.evaluate_output_shape((5, 16, 7, 7)) == (5, 6, 7, 7)
    d8 = FourierPointwise(gspace("D8"), 1, [(0, 0), (1, 1), (1, 2)], out_irreps=[(0, 0), (1, 0)])
    check_layer(d8)


def test_fourier_gradients_and_float64():
    layer = make(FourierELU, "D4", 2, 4)
    x = torch.randn(2, layer.in_type.size, 5, 5, requires_grad=True)
    layer(GeometricTensor(x, layer.in_type)).tensor.square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    y = layer(GeometricTensor(x.detach().double(), layer.in_type))
    assert y.dtype == torch.float64
    check_layer(layer.double(), atol=1e-12, rtol=1e-12, dtype=torch.float64)


def test_fourier_errors():
    gs = gspace("SO2")
    with pytest.raises(ValueError, match="channels"):
        FourierPointwise(gs, 0, 2)
    with pytest.raises(ValueError, match="band limit"):
        FourierPointwise(gs, 1, -1)
    with pytest.raises(TypeError, match="irreps"):
        FourierPointwise(gs, 1, "2")
    with pytest.raises(ValueError, match="twice"):
        FourierPointwise(gs, 1, [1, 1])
    with pytest.raises(ValueError, match="cannot determine"):
        FourierPointwise(gs, 1, 2, N=3)
    with pytest.raises(ValueError, match="cannot determine"):
        FourierPointwise(gs, 1, [0, 3], N=2)
    with pytest.raises(ValueError, match="once"):
        FourierPointwise(gs, 1, 2, grid_kind="regular", type="regular")
    with pytest.raises(ValueError, match="p_relu"):
        FourierPointwise(gs, 1, 2, function="c_relu")
    with pytest.raises(TypeError, match="GSpace"):
        FourierPointwise(gs.fibergroup, 1, 2)
    layer = FourierPointwise(gs, 2, 1)
    with pytest.raises(TypeError, match="GeometricTensor"):
        layer(torch.randn(1, layer.in_type.size))
    other = FourierPointwise.field_type(gs, 2, 2)
    with pytest.raises(ValueError, match="expects input type"):
        layer(GeometricTensor(torch.randn(1, other.size), other))
    # pointwise nonlinearities reject these fields: the Fourier basis is not a permutation basis
    with pytest.raises(ValueError, match="permutation"):
        ReLU(FourierPointwise.field_type(gspace("C4"), 1, 2))


def test_broken_fourier_layers_are_caught():
    # projecting from a grid that is not closed under the group breaks equivariance
    layer = make(FourierPointwise, "C16", 2, 1)
    G = layer.in_type.fibergroup
    ft = FourierTransform(G, G.elements[:5], 1)
    layer.A, layer.A_pinv = torch.from_numpy(ft.A), torch.from_numpy(ft.A_pinv)
    with pytest.raises(EquivarianceError):
        check_layer(layer)
    # an SO(2) grid of 6 rotations does not contain the rotations by pi/2
    with pytest.raises(EquivarianceError):
        make(FourierPointwise, "SO2", 2, 2, N=6).check_equivariance(spatial=5)
