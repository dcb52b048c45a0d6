"""FieldType: construction, sizes, direct sums, restriction, sorting, selection, transform."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from steerable.group import directsum
from steerable.gspaces import flipRot2dOnR2, flipRot3dOnR3, rot2dOnR2, rot3dOnR3
from steerable.nn import FieldType, GeometricTensor, R2Conv, R3Conv

D4 = flipRot2dOnR2(4, axis=0.0)
C8 = rot2dOnR2(8)


def _mixed():
    G = D4.fibergroup
    return FieldType(D4, [D4.regular_repr, G.irrep(1, 1), D4.trivial_repr, G.irrep(1, 0), D4.quotient_repr((0, 1)),
                          D4.trivial_repr, G.irrep(1, 1)])


def test_size_len_and_field_boundaries():
    t = _mixed()
    sizes = [8, 2, 1, 1, 4, 1, 2]
    assert t.size == sum(sizes) == 19
    assert len(t) == 7 and list(t) == t.representations
    assert list(t.fields_start) == list(np.cumsum([0] + sizes[:-1]))
    assert list(t.fields_end) == list(np.cumsum(sizes))
    assert t.channel_indices([1, 4]).tolist() == [8, 9, 12, 13, 14, 15]
    assert t.channel_indices([]).numel() == 0
    assert not t.uniform and FieldType(D4, 3 * [D4.regular_repr]).uniform
    assert "7 fields, 19 channels" in repr(t)


def test_representation_is_the_direct_sum():
    t = _mixed()
    rho = t.representation
    assert rho.size == t.size
    for g in D4.fibergroup.elements:
        np.testing.assert_allclose(rho(g), t.fiber_matrix(g), atol=1e-12)
        m = t.fiber_matrix(g)
        np.testing.assert_allclose(m @ m.T, np.eye(t.size), atol=1e-12)  # orthogonal
    assert [psi.id for psi in t.irreps] == [psi.id for r in t.representations for psi in r.irrep_objects]


def test_add_concatenates_and_checks_gspace():
    a = FieldType(D4, [D4.regular_repr])
    b = FieldType(D4, [D4.trivial_repr, D4.fibergroup.irrep(1, 1)])
    c = a + b
    assert c.representations == a.representations + b.representations
    assert c.size == a.size + b.size and len(c) == 3
    with pytest.raises(ValueError, match="different gspaces"):
        a + FieldType(C8, [C8.regular_repr])
    with pytest.raises(TypeError):
        a + D4.regular_repr


def test_equality_and_hash():
    """Bug fixed: FieldType.__eq__ compares representations by content while __hash__ used
    their names, so equal field types could hash differently."""
    G = D4.fibergroup
    a = directsum([D4.trivial_repr, G.irrep(1, 1)], name="scalar+vector")
    b = directsum([D4.trivial_repr, G.irrep(1, 1)], name="renamed")
    t = FieldType(D4, [a, D4.regular_repr])
    renamed = FieldType(D4, [b, D4.regular_repr])
    assert a == b and a.name != b.name
    assert t == renamed and renamed == t
    assert hash(t) == hash(renamed)
    assert len({t, renamed}) == 1
    assert t != FieldType(D4, [D4.regular_repr, a])
    assert t != FieldType(D4, [directsum([G.irrep(1, 1), D4.trivial_repr]), D4.regular_repr])
    other_axis = flipRot2dOnR2(4, axis=math.pi / 4)
    assert FieldType(D4, [D4.regular_repr]) != FieldType(other_axis, [other_axis.regular_repr])
    assert FieldType(D4, [D4.regular_repr]) == FieldType(flipRot2dOnR2(4, axis=0.0), [D4.regular_repr])  # rebuilt gspace


def test_index_select_and_sorted():
    t = _mixed()
    s = t.index_select([4, 0, 0])
    assert s.representations == [t.representations[4], t.representations[0], t.representations[0]]
    assert s.size == 4 + 8 + 8
    srt = t.sorted()
    assert sorted(r.name for r in t) == [r.name for r in srt]
    assert srt.size == t.size and len(srt) == len(t)
    # stable: the two irrep_1,1 fields and the two trivial fields keep their relative order
    perm = t._sort_permutation
    assert [t.representations[i] for i in perm] == srt.representations
    assert sorted(perm) == list(range(len(t)))


def test_group_fields():
    t = _mixed()
    groups = t.group_fields()
    assert groups[D4.trivial_repr] == [2, 5]
    assert groups[D4.fibergroup.irrep(1, 1)] == [1, 6]
    assert sum(len(v) for v in groups.values()) == len(t)


def test_transform_exact_permutation_and_fibre():
    t = _mixed()
    x = torch.randn(2, t.size, 5, 5, dtype=torch.float64)
    G = D4.fibergroup
    r = G.element((0, 1))  # rotation by 90 degrees
    y = t.transform(x, r)
    m = torch.as_tensor(t.fiber_matrix(r))
    expected = torch.rot90(torch.einsum("oc,bchw->bohw", m, x), 1, dims=(-2, -1))
    torch.testing.assert_close(y, expected)
    # the identity acts trivially; a flat (batch, size) tensor only sees the fibre action
    torch.testing.assert_close(t.transform(x, G.identity), x)
    flat = torch.randn(3, t.size, dtype=torch.float64)
    torch.testing.assert_close(t.transform(flat, r), flat @ m.T)
    with pytest.raises(ValueError):
        t.transform(torch.randn(2, t.size + 1, 5, 5), r)


@pytest.mark.parametrize("gs,sub_id", [
    (rot2dOnR2(8), 4),
    (rot2dOnR2(8), 2),
    (flipRot2dOnR2(8, axis=0.0), (None, 4)),
    (flipRot2dOnR2(8, axis=0.0), (0, 4)),
    (flipRot2dOnR2(8, axis=0.0), (2, 1)),
    (rot2dOnR2(-1, maximum_frequency=3), 4),
    (flipRot2dOnR2(-1, maximum_frequency=3, axis=0.0), (None, -1)),
    (flipRot2dOnR2(-1, maximum_frequency=3, axis=0.0), (0.0, 4)),
    (rot3dOnR3(), ("cn", 4)),
    (flipRot3dOnR3(), "so3"),
    (flipRot3dOnR3(), ("cyl", 4)),
], ids=lambda v: str(v))
def test_restrict_agrees_with_parent_on_subgroup(gs, sub_id):
    G = gs.fibergroup
    reps = ([gs.regular_repr] if not G.continuous else []) + G.irreps()[:4]
    t = FieldType(gs, reps)
    r = t.restrict(sub_id)
    sub, incl, _ = gs.restrict(sub_id)
    assert r.gspace.fibergroup == sub.fibergroup and r.size == t.size and len(r) == len(t)
    assert len(r.testing_elements) > 0
    d = gs.dimensionality
    x = torch.randn(2, t.size, *([5] * d), dtype=torch.float64)
    for h in r.testing_elements:
        torch.testing.assert_close(r.transform(x, h), t.transform(x, incl(h)), atol=1e-12, rtol=0)
    # the restricted type is usable: a convolution on it is equivariant under the subgroup
    if d == 2 or sub_id == ("cn", 4):
        conv = (R2Conv if d == 2 else R3Conv)(r, r, 3, padding=1).double()
        conv.check_equivariance(atol=1e-9, rtol=1e-9, spatial=5)


def test_restricted_geometric_tensor_keeps_data():
    t = FieldType(C8, [C8.regular_repr, C8.irrep(1)])
    x = GeometricTensor(torch.randn(2, t.size, 5, 5), t)
    y = x.restrict(4)
    assert y.tensor is x.tensor and y.type == t.restrict(4)
