"""Bad input to the convolutions (and Linear) fails early, with errors naming what is wrong."""
from __future__ import annotations

import re

import pytest
import torch

from steerable.gspaces import flipRot2dOnR2, rot2dOnR2, rot3dOnR3
from steerable.nn import FieldType, GeometricTensor, Linear, R2Conv, R2ConvTransposed, R3Conv, R3ConvTransposed

C4 = rot2dOnR2(4)
C8 = rot2dOnR2(8)
SO2 = rot2dOnR2(-1, maximum_frequency=3)
SO3 = rot3dOnR3()


def _t(gs, n=1):
    return FieldType(gs, n * [gs.regular_repr])


@pytest.mark.parametrize("cls", [R2Conv, R2ConvTransposed])
def test_wrong_input_type_names_both(cls):
    conv = cls(_t(C4), _t(C4), 3, padding=1)
    other = FieldType(C4, 4 * [C4.trivial_repr])  # same number of channels, other type
    with pytest.raises(ValueError) as info:
        conv(GeometricTensor(torch.randn(1, 4, 5, 5), other))
    msg = str(info.value)
    assert repr(conv.in_type) in msg and repr(other) in msg


def test_wrong_gspace_input_names_both():
    conv = R2Conv(_t(C4, 2), _t(C4), 3)
    other = _t(C8)  # 8 channels as well
    with pytest.raises(ValueError, match=re.escape(repr(other))):
        conv(GeometricTensor(torch.randn(1, 8, 5, 5), other))


@pytest.mark.parametrize("layer", [lambda: R2Conv(_t(C4), _t(C4), 3), lambda: Linear(_t(C4), _t(C4)),
                                   lambda: R3Conv(FieldType(SO3, [SO3.irrep(1)]), FieldType(SO3, [SO3.irrep(1)]), 3)])
def test_plain_tensor_is_a_type_error(layer):
    m = layer()
    with pytest.raises(TypeError, match="GeometricTensor"):
        m(torch.randn(1, m.in_type.size, 5, 5, 5))


def test_channel_count_mismatch():
    with pytest.raises(ValueError, match=r"expected shape \(batch, 4, \.\.\.\)"):
        GeometricTensor(torch.randn(1, 5, 7, 7), _t(C4))
    with pytest.raises(ValueError):
        GeometricTensor(torch.randn(4), _t(C4))


@pytest.mark.parametrize("shape", [(1, 4, 5), (1, 4, 5, 5, 5), (1, 4)])
def test_wrong_number_of_spatial_axes(shape):
    """Bug fixed: a (batch, C, H) tensor used to reach conv2d as an unbatched image and fail
    with a confusing channel-count RuntimeError."""
    conv = R2Conv(_t(C4), _t(C4), 3)
    with pytest.raises(ValueError, match="2 spatial axes"):
        conv(GeometricTensor(torch.randn(*shape), conv.in_type))


@pytest.mark.parametrize("cls", [R2Conv, R2ConvTransposed, Linear])
def test_incompatible_gspaces(cls):
    args = (_t(C4), _t(C8)) + ((3,) if cls is not Linear else ())
    with pytest.raises(ValueError, match="C4_on_R2.*C8_on_R2"):
        cls(*args)


def test_gspace_of_wrong_dimension():
    t3 = FieldType(SO3, [SO3.irrep(0)])
    with pytest.raises(ValueError, match="R\\^3"):
        R3Conv(_t(C4), _t(C4), 3)
    with pytest.raises(ValueError, match="R\\^2"):
        R2Conv(t3, t3, 3)
    with pytest.raises(ValueError):
        R3ConvTransposed(_t(C4), _t(C4), 3)


def test_representation_of_another_group():
    with pytest.raises(ValueError, match="C8"):
        FieldType(C4, [C8.regular_repr])
    with pytest.raises(ValueError):
        FieldType(C4, [C4.regular_repr, flipRot2dOnR2(4, axis=0.0).regular_repr])
    with pytest.raises(TypeError):
        FieldType(C4, ["regular"])
    with pytest.raises(TypeError):
        FieldType("C4", [C4.regular_repr])
    with pytest.raises(ValueError):
        FieldType(C4, [])


@pytest.mark.parametrize("cls", [R2Conv, Linear])
def test_non_field_type_arguments(cls):
    """Bug fixed for Linear: a non-FieldType argument raised AttributeError."""
    extra = (3,) if cls is R2Conv else ()
    with pytest.raises(TypeError, match="FieldType"):
        cls(_t(C4), "regular", *extra)
    with pytest.raises(TypeError, match="FieldType"):
        cls(C4.regular_repr, _t(C4), *extra)


@pytest.mark.parametrize("t_in,t_out,k", [
    (FieldType(SO2, [SO2.irrep(0)]), FieldType(SO2, [SO2.irrep(3)]), 2),   # even kernel, frequency 3: empty
    (FieldType(SO2, [SO2.irrep(0)]), FieldType(SO2, [SO2.irrep(1)]), 1),   # a 1x1 kernel carries frequency 0 only
    (FieldType(SO3, [SO3.irrep(0)]), FieldType(SO3, [SO3.irrep(2)]), 2),
], ids=["SO2-k2-freq3", "SO2-k1-freq1", "SO3-k2-l2"])
def test_empty_basis_raises_at_construction(t_in, t_out, k):
    cls = R2Conv if t_in.gspace.dimensionality == 2 else R3Conv
    with pytest.raises(ValueError, match=f"kernel size {k}"):
        cls(t_in, t_out, k)


def test_even_kernel_with_nonempty_basis_is_fine():
    conv = R2Conv(_t(C4), _t(C4), 4)
    assert conv.weights.numel() > 0


@pytest.mark.parametrize("kwargs,match", [
    (dict(kernel_size=0), "kernel_size"),
    (dict(kernel_size=3.0), "kernel_size"),
    (dict(kernel_size=3, groups=2), "groups"),
    (dict(kernel_size=3, padding_mode="mirror"), "padding_mode"),
    (dict(kernel_size=3, output_padding=1), "output_padding"),
])
def test_bad_hyperparameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        R2Conv(_t(C4, 3), _t(C4, 3), **kwargs)


def test_transposed_rejects_padding_modes_it_cannot_honour():
    """Bug fixed: R2ConvTransposed(padding_mode='reflect') silently zero-padded."""
    with pytest.raises(ValueError, match="padding_mode"):
        R2ConvTransposed(_t(C4), _t(C4), 3, padding=1, padding_mode="reflect")


def test_grouped_fields_must_repeat():
    t_in = FieldType(C4, [C4.regular_repr, C4.trivial_repr])
    with pytest.raises(ValueError, match="groups"):
        R2Conv(t_in, _t(C4, 2), 3, groups=2)


def test_evaluate_output_shape_checks_channels():
    conv = R2Conv(_t(C4), _t(C4, 2), 3, padding=1, stride=2)
    assert conv.evaluate_output_shape((3, 4, 9, 9)) == (3, 8, 5, 5)
    with pytest.raises(ValueError):
        conv.evaluate_output_shape((3, 5, 9, 9))
