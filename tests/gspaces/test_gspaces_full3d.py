"""escnn's gspaces with the inversion or mirrors (full octahedral/icosahedral, cylinders, mirror),
GSpace0D/GSpace2D/GSpace3D and no_base_space.

Orders, names and flip matrices are escnn 1.0's; convolutions are checked on the exact
(voxel-permuting) elements of each gspace.
"""
from __future__ import annotations

import inspect
import math
import pickle

import numpy as np
import pytest
import torch

from steerable import gspaces, nn
from steerable.group import cyclic_group, full_octa_group, o3_group, so3_group

CASES = {
    "fullOcta": (gspaces.fullOctaOnR3, "FullOctahedral", 48, 48),
    "fullIco": (gspaces.fullIcoOnR3, "FullIcosahedral", 120, 24),  # I_h elements permuting voxels: T_h
    "cyl4": (lambda: gspaces.cylindricalOnR3(4), "CylindricalDiscrete[4]", 8, 8),
    "fullcyl4": (lambda: gspaces.fullCylindricalOnR3(4), "FullCylindricalDiscrete[4]", 16, 16),
    "cyl": (gspaces.cylindricalOnR3, "Cylindrical", -1, 8),
    "fullcyl": (gspaces.fullCylindricalOnR3, "FullCylindrical", -1, 16),
    "mir": (gspaces.mirOnR3, "C2", 2, 2),
}


@pytest.mark.parametrize("case", list(CASES))
def test_fibre_groups_and_exact_elements(case) -> None:
    make, name, order, n_exact = CASES[case]
    gs = make()
    assert isinstance(gs, gspaces.GSpace3D) and gs.dimensionality == 3
    assert gs.fibergroup.name == name and gs.fibergroup.order() == order
    els = gs.testing_elements
    assert len(els) == n_exact
    for g in els:
        A = gs.basespace_action(g)
        np.testing.assert_allclose(A @ A.T, np.eye(3), atol=1e-12)
        np.testing.assert_allclose(A, np.round(A), atol=1e-9)  # a signed permutation


def test_signatures_follow_escnn() -> None:
    sig = {n: str(inspect.signature(getattr(gspaces, n))) for n in
           ("fullCylindricalOnR3", "cylindricalOnR3", "mirOnR3", "fullOctaOnR3", "fullIcoOnR3", "no_base_space")}
    assert list(inspect.signature(gspaces.fullCylindricalOnR3).parameters) == ["n", "axis", "adjoint", "maximum_frequency"]
    assert list(inspect.signature(gspaces.cylindricalOnR3).parameters) == ["n", "adjoint", "maximum_frequency"]
    assert list(inspect.signature(gspaces.mirOnR3).parameters) == ["axis", "adjoint"]
    assert inspect.signature(gspaces.fullCylindricalOnR3).parameters["axis"].default == math.pi / 2
    assert inspect.signature(gspaces.GSpace3D).parameters["maximum_frequency"].default == 2
    assert inspect.signature(gspaces.GSpace2D).parameters["maximum_frequency"].default == 6
    assert sig["fullOctaOnR3"].startswith("()")
    assert gspaces.fullOctaOnR3().ambient.maxfreq == 3 and gspaces.fullIcoOnR3().ambient.maxfreq == 4


def test_flip_and_mirror_matrices_follow_escnn() -> None:
    gs = gspaces.mirOnR3()
    np.testing.assert_allclose(gs.basespace_action(gs.fibergroup.element(1)), np.diag([-1.0, 1, 1]), atol=1e-12)
    gs = gspaces.mirOnR3(axis=0.0)
    np.testing.assert_allclose(gs.basespace_action(gs.fibergroup.element(1)), np.diag([1.0, -1, 1]), atol=1e-12)
    gs = gspaces.fullCylindricalOnR3(4)
    G = gs.fibergroup
    flip = G.inclusion2(G.G2.element((1, 0)))
    np.testing.assert_allclose(gs.basespace_action(flip), [[0, 1, 0], [1, 0, 0], [0, 0, -1]], atol=1e-12)
    inv = G.inclusion1(G.G1.element(1))
    np.testing.assert_allclose(gs.basespace_action(inv), -np.eye(3), atol=1e-12)


def test_adjoint_conjugates_the_action() -> None:
    adj = o3_group().element((0, np.array([0.0, 0.0, math.sin(math.pi / 8), math.cos(math.pi / 8)])))  # R_z(pi/4)
    gs0, gs = gspaces.cylindricalOnR3(4), gspaces.cylindricalOnR3(4, adjoint=adj)
    R = o3_group().standard_matrix(adj)
    for h in gs.fibergroup.elements:
        np.testing.assert_allclose(gs.basespace_action(h), R.T @ gs0.basespace_action(h) @ R, atol=1e-12)
    with pytest.raises(TypeError, match="adjoint"):
        gspaces.mirOnR3(adjoint="x")
    with pytest.raises(ValueError, match="n must be"):
        gspaces.cylindricalOnR3(0)


def _check_conv(gs, reps, kernel_size: int = 3, size: int = 5) -> float:
    torch.manual_seed(0)
    t = nn.FieldType(gs, reps)
    conv = nn.R3Conv(t, t, kernel_size=kernel_size).double()
    with torch.no_grad():  # random weights: no trivial zero output
        for p in conv.parameters():
            p.normal_()
    x = nn.GeometricTensor(torch.randn(2, t.size, size, size, size, dtype=torch.float64), t)
    y = conv(x)
    scale = y.tensor.abs().max().item()
    assert scale > 1e-3
    return max((conv(x.transform(g)).tensor - y.transform(g).tensor).abs().max().item() / scale
               for g in gs.testing_elements)


@pytest.mark.parametrize("case", list(CASES))
def test_r3conv_is_equivariant_on_exact_elements(case) -> None:
    gs = CASES[case][0]()
    G = gs.fibergroup
    reps = G.irreps()[:6] if G.continuous or G.order() > 16 else [G.regular_representation]
    assert _check_conv(gs, reps) < 1e-10


def test_r3conv_sees_the_inversion() -> None:
    """A control: a conv built for the rotations only is not equivariant to the inversion
    (the check above can fail)."""
    gs, gs_rot = gspaces.fullOctaOnR3(), gspaces.octaOnR3()
    torch.manual_seed(0)
    t = nn.FieldType(gs_rot, [gs_rot.fibergroup.irrep(1)])
    conv = nn.R3Conv(t, t, kernel_size=3).double()
    x = torch.randn(1, 3, 5, 5, 5, dtype=torch.float64)
    inv = gs.fibergroup.inclusion1(gs.fibergroup.G1.element(1))
    # the pseudovector-free rotation kernel of a vector field: inverting input and output
    # (vector fields flip sign) does not commute with every rotation-equivariant kernel
    lhs = conv(nn.GeometricTensor(-gs.transform_signal(x, inv), t)).tensor
    rhs = -gs.transform_signal(conv(nn.GeometricTensor(x, t)).tensor, inv)
    assert (lhs - rhs).abs().max().item() > 1e-3


# ---------------------------------------------------------------------- R^0, 2D, 3D classes
def test_no_base_space() -> None:
    G = so3_group(2)
    gs = gspaces.no_base_space(G)
    assert isinstance(gs, gspaces.GSpace0D) and isinstance(gs, gspaces.GSpace)
    assert gs.dimensionality == 0 and gs.fibergroup == G
    g = G.testing_elements()[3]
    assert gs.basespace_action(g).shape == (0, 0)
    x = torch.randn(4, 5)
    assert torch.equal(gs.transform_signal(x, g), x)
    t = nn.FieldType(gs, [G.irrep(2)])
    v = nn.GeometricTensor(x.double(), t)
    np.testing.assert_allclose(v.transform(g).tensor.numpy(), x.double().numpy() @ G.irrep(2)(g).T, atol=1e-12)
    sub, incl, _ = gs.restrict(("so2",))
    assert isinstance(sub, gspaces.GSpace0D) and sub.fibergroup.name == "SO(2)"
    assert pickle.loads(pickle.dumps(gs)) == gs and gs != gspaces.no_base_space(cyclic_group(3))
    with pytest.raises(TypeError):
        gspaces.no_base_space("SO3")


def test_gspace2d_and_3d_classes() -> None:
    assert isinstance(gspaces.rot2dOnR2(4), gspaces.GSpace2D) and isinstance(gspaces.octaOnR3(), gspaces.GSpace3D)
    assert gspaces.GSpace2D((None, 4)).fibergroup == cyclic_group(4)
    gs = gspaces.GSpace3D((True, "octa"))
    assert gs.fibergroup == full_octa_group() and gs.name == "FullOctahedral_on_R3"
    gs2 = pickle.loads(pickle.dumps(gs))
    assert gs2 == gs and isinstance(gs2, gspaces.GSpace3D)
    assert "irrep_((0,),(0,),0)" in gs.representations or len(gs.representations) > 0
