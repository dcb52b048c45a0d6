"""Whole steerable modules survive torch.save / torch.load (groups rebuild from constructors)."""
import io

import pytest
import torch

from steerable.gspaces import flipRot2dOnR2, octaOnR3, rot2dOnR2, rot3dOnR3
from steerable.nn import FieldType, GeometricTensor, R2Conv, R3Conv, ReLU, SequentialModule


def _roundtrip(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=False)


@pytest.mark.parametrize("make", [lambda: rot2dOnR2(8), lambda: flipRot2dOnR2(4, axis=0.0), lambda: rot2dOnR2(8).restrict(4)[0]])
def test_2d_model_pickles(make):
    gs = make()
    t = FieldType(gs, 2 * [gs.regular_repr])
    model = SequentialModule(R2Conv(t, t, 3, padding=1), ReLU(t)).eval()
    loaded = _roundtrip(model).eval()
    x = torch.randn(1, t.size, 9, 9)
    assert loaded[0].in_type == t
    assert torch.equal(model(GeometricTensor(x, t)).tensor, loaded(GeometricTensor(x, loaded[0].in_type)).tensor)
    loaded[0].check_equivariance()


@pytest.mark.parametrize("make, rep", [(rot3dOnR3, lambda gs: gs.irrep(1)), (octaOnR3, lambda gs: gs.regular_repr)])
def test_3d_conv_pickles(make, rep):
    gs = make()
    t = FieldType(gs, [rep(gs)])
    conv = R3Conv(t, t, 3, padding=1).eval()
    loaded = _roundtrip(conv).eval()
    x = torch.randn(1, t.size, 5, 5, 5)
    assert torch.equal(conv(GeometricTensor(x, t)).tensor, loaded(GeometricTensor(x, t)).tensor)
