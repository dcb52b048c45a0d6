"""The field helpers of ``steerable.nn._fields``: index maps, invariant directions, checks and their messages."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from steerable.gspaces import flipRot2dOnR2, rot2dOnR2
from steerable.nn import FieldType
from steerable.nn._fields import (
    check_field_type, check_probability, check_spatial_dims, field_index, field_slices, groups_by_size,
    is_signed_permutation, is_signed_permutation_matrix, require_permutation, trivial_block_columns, trivial_columns,
)


def test_field_index_and_slices_agree_with_channel_indices():
    gs = rot2dOnR2(4)
    t = FieldType(gs, [gs.regular_repr, gs.irrep(1), gs.trivial_repr, gs.regular_repr])
    idx = field_index(t)
    for i, sl in enumerate(field_slices(t)):
        assert torch.equal(t.channel_indices([i]), torch.arange(sl.start, sl.stop))
        assert bool((idx[sl] == i).all())
    sizes = [d for d, _, _ in groups_by_size(t)]
    assert sizes == [1, 2, 4]
    d, ch, fields = groups_by_size(t)[2]
    assert fields.tolist() == [0, 3] and ch.tolist() == [0, 1, 2, 3, 7, 8, 9, 10]


def test_trivial_columns_are_the_invariant_directions():
    gs = flipRot2dOnR2(4)
    G = gs.fibergroup
    for r in (gs.regular_repr, gs.irrep(1, 1)):
        E = trivial_columns(r)
        assert E.shape[1] == (1 if r.size == 8 else 0)
        for g in G.elements:
            np.testing.assert_allclose(r(g) @ E, E, atol=1e-12)
        np.testing.assert_allclose(E.T @ E, np.eye(E.shape[1]), atol=1e-12)
    t = FieldType(gs, [gs.irrep(1, 1), gs.regular_repr, gs.trivial_repr])
    E = trivial_block_columns(t)
    assert E.shape == (t.size, 2)
    assert np.abs(E[:2]).max() == 0  # the 2-dim irrep has no invariant direction


def test_signed_permutation_tests():
    gs = rot2dOnR2(4)
    assert is_signed_permutation(gs.regular_repr)
    assert is_signed_permutation(gs.irrep(1))  # rotation by 90 degrees: a signed permutation
    assert not is_signed_permutation(rot2dOnR2(8).irrep(1))  # 45 degrees
    assert is_signed_permutation_matrix(np.array([[0.0, -1.0], [1.0, 0.0]]))
    assert not is_signed_permutation_matrix(np.array([[1.0, 1.0], [0.0, 1.0]]))


def test_checks_name_expected_and_received():
    gs = rot2dOnR2(4)
    t = FieldType(gs, [gs.regular_repr, gs.irrep(1)])
    with pytest.raises(TypeError, match="in_type must be a FieldType, got list"):
        check_field_type([gs.regular_repr])
    with pytest.raises(ValueError, match="R\\^3.*got one on R\\^2"):
        check_field_type(t, dim=3, layer="X")
    with pytest.raises(ValueError, match="field 1 .*'irrep_1'"):
        require_permutation(t, "ReLU")
    with pytest.raises(ValueError, match="4-d tensor .* got shape \\(1, 6\\)"):
        check_spatial_dims(object(), torch.zeros(1, 6), 2)
    with pytest.raises(ValueError, match="in \\[0, 1\\], got 1.5"):
        check_probability(1.5, "Dropout")
    require_permutation(FieldType(gs, [gs.regular_repr]), "ReLU")  # no error
