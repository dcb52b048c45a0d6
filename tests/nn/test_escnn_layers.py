"""The layers added under escnn's names: equivariance on exact group elements, bad inputs, export, state_dict.

Exact elements: the gspace's testing elements (rotations by multiples of 90 degrees and the
flips, for which the grid maps onto itself), checked to float32 precision.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from steerable.group import directsum
from steerable.gspaces import flipRot2dOnR2, rot2dOnR2, rot3dOnR3
from steerable.nn import (
    BranchingModule, DisentangleModule, FieldType, GatedNonLinearity1, GatedNonLinearity2, GatedNonLinearityUniform,
    GeometricTensor, IdentityModule, InducedGatedNonLinearity1, InducedNormBatchNorm, InducedNormNonLinearity,
    InducedNormPool, MergeModule, NormPool, PointwiseMaxPoolAntialiased, PointwiseMaxPoolAntialiased2D,
    PointwiseMaxPoolAntialiased3D, QuotientFourierELU, QuotientFourierPointwise, ReLU, ReshuffleModule,
    VectorFieldNonLinearity,
)
from steerable.group import coordinate_blocks

from _layer_helpers import check_export


def _x(t: FieldType, n: int = 9, batch: int = 3, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, t.size, *[n] * t.gspace.dimensionality, generator=g, dtype=torch.float64).float()


def _d4_induced():
    """D4 (flips about the x axis) with an induced field from the rotation subgroup C4 and its quotient."""
    gs = flipRot2dOnR2(4, axis=0.0)
    G = gs.fibergroup
    H = G.subgroup((None, 4))[0]
    return gs, G.induced_representation((None, 4), H.irrep(1)), G.quotient_representation((None, 4))


def _assert_state_dict_roundtrip(make, m) -> None:
    fresh = make()
    fresh.load_state_dict(m.state_dict())
    for k, v in m.state_dict().items():
        torch.testing.assert_close(fresh.state_dict()[k], v)


# ---------------------------------------------------------------------- containers
def test_reshuffle_module():
    gs = flipRot2dOnR2(4, axis=0.0)
    t = FieldType(gs, [gs.trivial_repr, gs.irrep(1, 1), gs.regular_repr])
    m = ReshuffleModule(t, [2, 0, 1])
    assert [r.name for r in m.out_type] == [gs.regular_repr.name, gs.trivial_repr.name, gs.irrep(1, 1).name]
    x = torch.arange(11.0).view(1, 11)
    assert m(GeometricTensor(x, t)).tensor.flatten().tolist() == [3, 4, 5, 6, 7, 8, 9, 10, 0, 1, 2]
    x = _x(t)
    m.check_equivariance(x=x)
    check_export(m, x)
    assert m.state_dict() == {}
    with pytest.raises(ValueError, match="expected a permutation of 0..2.*got \\[0, 0, 1\\]"):
        ReshuffleModule(t, [0, 0, 1])
    with pytest.raises(TypeError, match="in_type must be a FieldType, got list"):
        ReshuffleModule([gs.trivial_repr], [0])


def test_branching_and_merge_are_equivariant_and_export():
    gs = rot2dOnR2(4)
    t = FieldType(gs, [gs.regular_repr, gs.irrep(1), gs.trivial_repr, gs.regular_repr])
    branch = BranchingModule(t, ["r", "v", "s", "r"])
    assert list(branch.out_type) == ["r", "v", "s"]
    assert [r.name for r in branch.out_type["r"]] == [gs.regular_repr.name] * 2
    merge = MergeModule([(ReLU(branch.out_type["r"]), "r"), (NormPool(branch.out_type["v"]), "v"),
                         (IdentityModule(branch.out_type["s"]), "s")])
    x = _x(t)
    gx = GeometricTensor(x, t)
    y = merge(branch(gx))
    assert y.type == merge.out_type and y.shape == (3, 8 + 1 + 1, 9, 9)
    for g in gs.testing_elements:
        torch.testing.assert_close(merge(branch(gx.transform(g))).tensor, y.transform(g).tensor, atol=1e-5, rtol=1e-5)
    assert merge.evaluate_output_shape(branch.evaluate_output_shape(x.shape)) == tuple(y.shape)
    plain_b, plain_m = branch.export(), merge.eval().export()
    torch.testing.assert_close(plain_m(plain_b(x)), y.tensor, atol=1e-6, rtol=1e-6)
    # bad inputs name what was expected
    with pytest.raises(ValueError, match="expected 4 labels.*got 3"):
        BranchingModule(t, ["r", "v", "s"])
    with pytest.raises(TypeError, match="expects a dict"):
        merge(gx)
    with pytest.raises(ValueError, match="expected tensors for labels \\['s'\\]"):
        merge({k: v for k, v in branch(gx).items() if k != "s"})
    with pytest.raises(ValueError, match="label 'r' is given type"):
        MergeModule([(ReLU(branch.out_type["r"]), "r"), (NormPool(branch.out_type["v"]), "r")])


def test_branching_reshuffle_sorts_by_size_within_a_label():
    gs = rot2dOnR2(4)
    t = FieldType(gs, [gs.regular_repr, gs.trivial_repr, gs.irrep(1)])
    assert [r.size for r in BranchingModule(t, ["a", "a", "a"]).out_type["a"]] == [4, 1, 2]
    assert [r.size for r in BranchingModule(t, ["a", "a", "a"], reshuffle=2).out_type["a"]] == [1, 2, 4]
    with pytest.raises(ValueError, match="reshuffle must be 0, 1, 2 or 3, got 5"):
        BranchingModule(t, ["a"] * 3, reshuffle=5)


def test_disentangle_keeps_subgroup_regular_blocks():
    """D3's regular representation restricted to a reflection: three regular blocks of C2, as escnn's."""
    gs = flipRot2dOnR2(3, axis=0.0)
    t = FieldType(gs, [gs.regular_repr, gs.irrep(1, 1)]).restrict((0, 1))
    m = DisentangleModule(t)
    H = m.out_type.fibergroup
    assert [r.size for r in m.out_type] == [2, 2, 2, 1, 1]
    for r in list(m.out_type)[:3]:
        for h in H.elements:  # each block is the regular representation of C2: a permutation
            np.testing.assert_allclose(r(h), H.regular_representation(h), atol=1e-9)
    x = _x(t)
    m.check_equivariance(x=x)
    check_export(m, x)
    # an unsplittable field keeps its representation and its channels
    t2 = FieldType(rot2dOnR2(4), [rot2dOnR2(4).regular_repr])
    m2 = DisentangleModule(t2)
    assert m2.out_type == t2 and m2(GeometricTensor(_x(t2), t2)).tensor.equal(_x(t2))
    with pytest.raises(TypeError, match="in_type must be a FieldType"):
        DisentangleModule("regular")


def test_coordinate_blocks_of_a_restricted_regular_representation():
    gs = flipRot2dOnR2(4, axis=0.0)
    r = gs.regular_repr
    assert coordinate_blocks(r) == [list(range(8))]
    blocks = coordinate_blocks(FieldType(gs, [r]).restrict((None, 4)).representations[0])
    assert sorted(len(b) for b in blocks) == [4, 4]


# ---------------------------------------------------------------------- gated
def test_gated_nonlinearity2_in_a_merge_module():
    gs = flipRot2dOnR2(4, axis=0.0)
    t = FieldType(gs, [gs.trivial_repr, gs.irrep(1, 1), gs.trivial_repr, gs.regular_repr])
    branch = BranchingModule(t, ["gate", "gated", "gate", "gated"])
    gate2 = GatedNonLinearity2((branch.out_type["gate"], branch.out_type["gated"]))
    with torch.no_grad():
        gate2.bias.copy_(torch.tensor([0.3, -0.7]))
    merge = MergeModule([(gate2, ["gate", "gated"])])
    x = _x(t)
    gx = GeometricTensor(x, t)
    y = merge(branch(gx))
    # the same numbers as GatedNonLinearity1 on the interleaved type
    g1 = GatedNonLinearity1(t, gates=["gate", "gated", "gate", "gated"])
    with torch.no_grad():
        g1.bias.copy_(gate2.bias)
    torch.testing.assert_close(y.tensor, g1(gx).tensor)
    for g in gs.testing_elements:
        torch.testing.assert_close(merge(branch(gx.transform(g))).tensor, y.transform(g).tensor, atol=1e-5, rtol=1e-5)
    plain = gate2.export()
    parts = branch(gx)
    torch.testing.assert_close(plain(parts["gate"].tensor, parts["gated"].tensor), y.tensor)
    assert set(gate2.state_dict()) == {"bias"}
    _assert_state_dict_roundtrip(lambda: GatedNonLinearity2((branch.out_type["gate"], branch.out_type["gated"])), gate2)
    with pytest.raises(ValueError, match="gate field 0 must have the trivial representation, got"):
        GatedNonLinearity2((branch.out_type["gated"], branch.out_type["gated"]))
    with pytest.raises(TypeError, match="pair \\(gates_type, gated_type\\)"):
        GatedNonLinearity2(t)
    with pytest.raises(ValueError, match="expects gated of type"):
        gate2(parts["gate"], parts["gate"])


def test_gated_nonlinearity_uniform():
    gs = rot2dOnR2(4)
    G = gs.fibergroup
    rep = directsum([G.irrep(0), G.irrep(0), G.irrep(1), G.irrep(2)])
    t = FieldType(gs, 3 * [rep])
    m = GatedNonLinearityUniform(t)
    assert m.out_type.size == 3 * 3
    x = _x(t)
    y = m(GeometricTensor(x, t)).tensor
    # field 0: irrep(1) times sigmoid(channel 0), irrep(2) times sigmoid(channel 1)
    torch.testing.assert_close(y[:, :2], x[:, 2:4] * torch.sigmoid(x[:, :1]))
    torch.testing.assert_close(y[:, 2:3], x[:, 4:5] * torch.sigmoid(x[:, 1:2]))
    m.check_equivariance(x=x)
    check_export(m, x)
    assert m.state_dict() == {}
    with pytest.raises(ValueError, match="first n trivial"):
        GatedNonLinearityUniform(FieldType(gs, [directsum([G.irrep(1), G.irrep(0)])]))
    with pytest.raises(ValueError, match="copies of one representation"):
        GatedNonLinearityUniform(FieldType(gs, [rep, gs.regular_repr]))


# ---------------------------------------------------------------------- induced
def test_induced_norm_nonlinearity():
    gs, ind, _ = _d4_induced()
    t = FieldType(gs, [ind, ind])
    for function in ("n_relu", "n_sigmoid", "squash"):
        m = InducedNormNonLinearity(t, function)
        if m.bias is not None:
            with torch.no_grad():
                m.bias.copy_(torch.tensor([-0.5, 0.2]))
        x = _x(t)
        m.check_equivariance(x=x)
        check_export(m, x)
    # the blocks are normalised separately: block norms 5 and 1 (squash: n / (1 + n^2) per block)
    m = InducedNormNonLinearity(FieldType(gs, [ind]), "squash")
    y = m(GeometricTensor(torch.tensor([[3.0, 4.0, 0.0, 1.0]]), m.in_type)).tensor
    torch.testing.assert_close(y, torch.tensor([[3 * 5 / 26, 4 * 5 / 26, 0.0, 0.5]]))
    assert set(InducedNormNonLinearity(t).state_dict()) == {"bias"}
    with pytest.raises(ValueError, match="needs induced representations.*field 0 .*'regular"):
        InducedNormNonLinearity(FieldType(gs, [gs.regular_repr]))
    with pytest.raises(ValueError, match="function must be one of"):
        InducedNormNonLinearity(t, "relu")


def test_induced_gated_nonlinearity():
    gs, ind, quot = _d4_induced()
    t = FieldType(gs, [quot, ind, quot, ind])
    for drop in (True, False):
        m = InducedGatedNonLinearity1(t, gates=["gate", "gated", "gate", "gated"], drop_gates=drop)
        with torch.no_grad():
            m.bias.copy_(torch.tensor([0.4, -1.1]))
        x = _x(t)
        m.check_equivariance(x=x)
        check_export(m, x)
    m = InducedGatedNonLinearity1(FieldType(gs, [quot, ind]))
    x = torch.tensor([[0.0, 100.0, 1.0, 2.0, 3.0, 4.0]])
    # block 0 gated by sigmoid(0) = 1/2, block 1 by sigmoid(100) = 1
    torch.testing.assert_close(m(GeometricTensor(x, m.in_type)).tensor, torch.tensor([[0.5, 1.0, 3.0, 4.0]]))
    assert set(m.state_dict()) == {"bias"}
    with pytest.raises(ValueError, match="gate field 0 must be a quotient representation"):
        InducedGatedNonLinearity1(FieldType(gs, [ind, ind]))
    with pytest.raises(ValueError, match="needs induced representations"):
        InducedGatedNonLinearity1(FieldType(gs, [gs.trivial_repr, gs.irrep(1, 1)]))


def test_induced_norm_pool():
    gs, ind, quot = _d4_induced()
    t = FieldType(gs, [ind, quot, ind])
    m = InducedNormPool(t)
    x = _x(t)
    m.check_equivariance(x=x)
    check_export(m, x)
    y = InducedNormPool(FieldType(gs, [ind]))(GeometricTensor(torch.tensor([[3.0, 4.0, 0.0, 1.0]]), FieldType(gs, [ind])))
    torch.testing.assert_close(y.tensor, torch.tensor([[5.0]]))
    assert m.state_dict() == {}
    with pytest.raises(ValueError, match="needs induced representations.*field 0"):
        InducedNormPool(FieldType(gs, [gs.irrep(1, 1)]))


def test_induced_norm_batch_norm():
    gs, ind, quot = _d4_induced()
    t = FieldType(gs, [ind, ind])
    m = InducedNormBatchNorm(t)
    x = _x(t, batch=8) * 3.0
    m.train()
    y = m(GeometricTensor(x, t)).tensor
    # E|x_f|^2 / d_f = 1 after normalisation (no mean subtracted)
    per_field = y.reshape(8, 2, 4, 9, 9).pow(2).mean(dim=(0, 2, 3, 4))
    torch.testing.assert_close(per_field, torch.ones(2), atol=1e-3, rtol=1e-3)
    m.check_equivariance(x=x)  # training mode: batch statistics of g.x equal those of x
    m.eval()
    m.check_equivariance(x=x)
    check_export(m, x)
    assert {"weight", "bias", "running_var", "running_mean", "num_batches_tracked"} <= set(m.state_dict())
    _assert_state_dict_roundtrip(lambda: InducedNormBatchNorm(t), m)
    with pytest.raises(ValueError, match="without trivial irreps.*field 0"):
        InducedNormBatchNorm(FieldType(gs, [quot]))
    with pytest.raises(ValueError, match="needs induced representations"):
        InducedNormBatchNorm(FieldType(gs, [gs.irrep(1, 1)]))


# ---------------------------------------------------------------------- vector field, pooling
def test_vector_field_nonlinearity():
    for N in (4, 8):
        gs = rot2dOnR2(N)
        t = FieldType(gs, 2 * [gs.regular_repr])
        m = VectorFieldNonLinearity(t)
        assert [r.name for r in m.out_type] == [gs.irrep(1).name] * 2
        x = _x(t)
        m.check_equivariance(x=x)
        check_export(m, x)
        assert m.state_dict() == {}
    c4 = rot2dOnR2(4)
    m = VectorFieldNonLinearity(FieldType(c4, [c4.regular_repr]))
    assert m(GeometricTensor(torch.tensor([[-5.0, -3.0, -4.0, -9.0]]), m.in_type)).tensor.abs().max() == 0  # relu(max)
    torch.testing.assert_close(m(GeometricTensor(torch.tensor([[0.0, 3.0, 1.0, 0.0]]), m.in_type)).tensor,
                               torch.tensor([[0.0, 3.0]]), atol=1e-6, rtol=0)  # argmax 1: 90 degrees
    with pytest.raises(ValueError, match="cyclic group C_N.*got D4"):
        VectorFieldNonLinearity(FieldType(flipRot2dOnR2(4, axis=0.0), [flipRot2dOnR2(4, axis=0.0).regular_repr]))
    with pytest.raises(ValueError, match="regular fields of C4; field 0"):
        VectorFieldNonLinearity(FieldType(rot2dOnR2(4), [rot2dOnR2(4).irrep(1)]))


def test_pointwise_max_pool_antialiased():
    assert PointwiseMaxPoolAntialiased is PointwiseMaxPoolAntialiased2D
    gs = flipRot2dOnR2(4, axis=0.0)
    t = FieldType(gs, [gs.regular_repr, gs.trivial_repr])
    m = PointwiseMaxPoolAntialiased2D(t, 3, stride=2, padding=1, sigma=0.6)
    x = _x(t, n=9)
    assert m(GeometricTensor(x, t)).shape == (3, 9, 5, 5)
    m.check_equivariance(x=x)
    check_export(m, x)
    assert m.state_dict() == {}
    # stride 1 max, then the blur: equal to composing the two torch operations
    blur = m._blur
    torch.testing.assert_close(m(GeometricTensor(x, t)).tensor, blur(torch.nn.functional.max_pool2d(x, 3, 1, 1)))
    with pytest.raises(ValueError, match="permutation representations.*field 0"):
        PointwiseMaxPoolAntialiased2D(FieldType(gs, [gs.irrep(1, 1)]), 3)
    with pytest.raises(ValueError, match="sigma must be positive, got -1"):
        PointwiseMaxPoolAntialiased2D(t, 3, sigma=-1)
    with pytest.raises(ValueError, match="gspace over R\\^3"):
        PointwiseMaxPoolAntialiased3D(t, 3)
    gs3 = rot3dOnR3()
    m3 = PointwiseMaxPoolAntialiased3D(FieldType(gs3, [gs3.trivial_repr]), 3, 2, 1)
    with pytest.raises(ValueError, match="5-d tensor .*got shape \\(1, 1, 4, 4\\)"):
        m3(GeometricTensor(torch.zeros(1, 1, 4, 4), m3.in_type))


# ---------------------------------------------------------------------- quotient Fourier
def test_quotient_fourier_exact_on_finite_groups():
    gs = rot2dOnR2(8)
    G = gs.fibergroup
    m = QuotientFourierELU(gs, 2, 3, [0, 1, 2, 4])  # irrep 1 has no C2-invariant vector: left out
    assert [psi.id for psi in m.in_type.representations[0].irrep_objects] == [G.irrep(0).id, G.irrep(2).id, G.irrep(4).id]
    assert m.in_type.size == 3 * 4 and len(m.grid) == 8
    x = torch.randn(4, m.in_type.size, generator=torch.Generator().manual_seed(1))
    gx = GeometricTensor(x, m.in_type)
    y = m(gx)
    for g in G.elements:  # the fibre action alone: exact for all 8 rotations, 45 degrees included
        torch.testing.assert_close(m(gx.transform(g)).tensor, y.transform(g).tensor, atol=1e-5, rtol=1e-5)
    xs = _x(m.in_type)
    m.check_equivariance(x=xs)
    check_export(m, xs)
    assert m.state_dict() == {}
    # the samples are functions on the cosets: f(g) = f(g h) for the rotation h by 180 degrees
    samples = torch.einsum("kc,bc->bk", m.A[:, :4].float(), x[:, :4])
    torch.testing.assert_close(samples[:, :4], samples[:, 4:])


def test_quotient_fourier_full_band_is_relu_on_the_cosets():
    """All irreps of D4 with invariant vectors of the flip subgroup: the signals are all functions on the
    4 cosets, and the layer is ReLU of the coset values."""
    gs = flipRot2dOnR2(4, axis=0.0)
    G = gs.fibergroup
    m = QuotientFourierPointwise(gs, (0, 1), 1, [psi.id for psi in G.irreps()])
    assert m.in_type.size == 4
    x = torch.randn(6, 4, generator=torch.Generator().manual_seed(3)).double()
    A = m.A
    values = x @ A.T  # f(g_k), each coset twice
    y = m(GeometricTensor(x.float(), m.in_type)).tensor.double()
    torch.testing.assert_close(y @ A.T, torch.relu(values), atol=1e-5, rtol=1e-5)
    m.check_equivariance(x=_x(m.in_type))


def test_quotient_fourier_continuous_and_bad_inputs():
    gs = rot2dOnR2(-1)
    m = QuotientFourierPointwise(gs, 2, 2, 4, "regular", 16)  # SO(2)/C2 sampled at 16 rotations
    assert len(m.grid) == 16
    m.check_equivariance(x=_x(m.in_type))  # grid-exact elements: multiples of 90 degrees
    with pytest.raises(ValueError, match="none of the irreps .* occurs"):
        QuotientFourierPointwise(rot2dOnR2(8), 2, 1, [1, 3])
    with pytest.raises(TypeError, match="gspace must be a GSpace, got"):
        QuotientFourierPointwise(rot2dOnR2(8).fibergroup, 2, 1, 2)
    with pytest.raises(ValueError, match="normalize=False is not supported"):
        QuotientFourierPointwise(rot2dOnR2(8), 2, 1, 2, normalize=False)
    with pytest.raises(ValueError, match="cannot determine the .* coefficients"):
        QuotientFourierPointwise(gs, 2, 1, 4, "regular", 3)
    with pytest.raises(ValueError, match="channels must be a positive int, got 0"):
        QuotientFourierPointwise(gs, 2, 0, 2)
