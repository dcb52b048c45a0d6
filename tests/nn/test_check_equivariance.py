"""``EquivariantModule.check_equivariance``: exact default input sizes for strided stacks, a
threshold that is exactly ``atol + rtol * scale``, and failure messages that point at the cause."""
from __future__ import annotations

import pytest
import torch

from steerable import gspaces, nn
from steerable.nn import EquivarianceError


def _strided_stack() -> nn.SequentialModule:
    gs = gspaces.rot2dOnR2(4)
    t = nn.FieldType(gs, [gs.trivial_repr])
    h = nn.FieldType(gs, 4 * [gs.regular_repr])
    m = nn.SequentialModule(
        nn.R2Conv(t, h, 5, padding=2), nn.InnerBatchNorm(h), nn.ReLU(h), nn.PointwiseMaxPool2D(h, 2), nn.GroupPooling(h)
    )
    return m.eval()


def test_default_size_is_exact_for_the_strides() -> None:
    m = _strided_stack()
    errors = m.check_equivariance()  # raises if the default size were not exact
    assert max(e for _, e in errors) < 1e-4


def test_an_odd_size_names_the_stride_rule() -> None:
    with pytest.raises(EquivarianceError, match=r"breaks the exact-stride rule .*stride 2, kernel 2.*try spatial=10"):
        _strided_stack().check_equivariance(spatial=9)


class _Shifted(nn.EquivariantModule):
    """Identity on a C4 regular field plus a fixed perturbation: equivariance error known exactly."""

    def __init__(self, eps: float) -> None:
        super().__init__()
        gs = gspaces.rot2dOnR2(4)
        self.in_type = self.out_type = nn.FieldType(gs, [gs.trivial_repr, gs.regular_repr])
        self.eps = eps

    def forward(self, x: nn.GeometricTensor) -> nn.GeometricTensor:
        t = x.tensor.clone()
        t[:, 1, 0, 0] += self.eps  # a bump at one corner of one channel of the regular field
        return nn.GeometricTensor(t, self.out_type)


def test_threshold_is_pinned_and_names_the_field() -> None:
    x = torch.zeros(1, 5, 5, 5)
    x[0, 0, 2, 2] = 1.0  # output scale exactly 1
    m = _Shifted(1e-3)
    # the error for every non-identity rotation is exactly eps (the bump moves)
    errors = m.check_equivariance(x=x, atol=0.0, rtol=1e-3 * 1.01, raise_on_fail=False)
    assert max(e for _, e in errors) == pytest.approx(1e-3, rel=1e-5)
    m.check_equivariance(x=x, atol=0.0, rtol=1e-3 * 1.01)  # just above: passes
    with pytest.raises(EquivarianceError, match=r"worst output fields 1 \(regular"):
        m.check_equivariance(x=x, atol=0.0, rtol=1e-3 * 0.99)  # just below: fails
    with pytest.raises(EquivarianceError):
        m.check_equivariance(x=x, atol=1e-3 * 0.99, rtol=0.0)
    m.check_equivariance(x=x, atol=1e-3 * 1.01, rtol=0.0)
    # the defaults (atol = rtol = 1e-5) give a threshold of 2e-5 at scale 1: 1.5x that fails
    with pytest.raises(EquivarianceError):
        _Shifted(2e-5 * 1.5).check_equivariance(x=x)
