"""Pose encoders: the D4 encoder satisfies E(g.Y) = (R rho(g)^-1, g t) for all 8 elements; rho is a homomorphism."""
from __future__ import annotations

import pytest
import torch

from steerable import nn as enn
from steerable.cryoem import CNNEncoder, D4Encoder, d4_action, make_encoder


@pytest.mark.parametrize("size", [16, 17])
def test_d4_encoder_equivariance(size):
    torch.manual_seed(0)
    enc = D4Encoder(size, channels=(2, 3), hidden=4).double().eval()
    Y = torch.randn(3, size, size, dtype=torch.float64)
    with torch.no_grad():
        R, t = enc(Y)
        assert torch.allclose(R @ R.transpose(1, 2), torch.eye(3, dtype=torch.float64).expand(3, 3, 3), atol=1e-10)
        assert torch.allclose(torch.linalg.det(R), torch.ones(3, dtype=torch.float64))
        worst = 0.0
        for e in enc.gspace.fibergroup.elements:
            gY = enn.GeometricTensor(Y[:, None], enc.in_type).transform(e).tensor[:, 0]
            R2, t2 = enc(gY)
            g, rho = d4_action(e)
            err = float((R2 - R @ rho.T).flatten(1).norm(dim=1).max())
            assert err <= 1e-5, (e, err)
            assert float((t2 - t @ g.T).abs().max()) <= 1e-5
            worst = max(worst, float((R2 - R).abs().max()))
        assert worst > 0.1  # the outputs do move: the check is not vacuous


def test_rho_is_the_pose_action_of_the_image_transform():
    """rho(g) is a homomorphism into SO(3) and the image transform of the gspace is Y(u) -> Y(g^-1 u)."""
    enc = D4Encoder(8, channels=(1,), hidden=1)
    G = enc.gspace.fibergroup
    els = list(G.elements)
    for a in els:
        ga, ra = d4_action(a)
        assert torch.allclose(ra @ ra.T, torch.eye(3, dtype=torch.float64)) and abs(float(torch.linalg.det(ra)) - 1) < 1e-12
        for b in els:
            assert torch.allclose(d4_action(a @ b)[1], ra @ d4_action(b)[1], atol=1e-12)
    # a pixel at (x, y) = (3, 1) (column 3, row 1) of a 9 x 9 image (centre 4) moves to g (x, y)
    Y = torch.zeros(1, 1, 9, 9)
    Y[0, 0, 4 + 1, 4 + 3] = 1.0
    for e in els:
        g, _ = d4_action(e)
        moved = enn.GeometricTensor(Y, enn.FieldType(enc.gspace, [enc.gspace.trivial_repr])).transform(e).tensor[0, 0]
        x, y = (g @ torch.tensor([3.0, 1.0], dtype=torch.float64)).round().long().tolist()
        assert moved[4 + y, 4 + x] == 1.0


def test_cnn_encoder_and_errors():
    enc = CNNEncoder(16, channels=(4, 8), hidden=16)
    R, t = enc(torch.randn(5, 16, 16))
    assert R.shape == (5, 3, 3) and t.shape == (5, 2)
    assert torch.allclose(R @ R.transpose(1, 2), torch.eye(3).expand(5, 3, 3), atol=1e-5)
    with pytest.raises(ValueError, match=r"images must be a tensor \(B, 16, 16\)"):
        enc(torch.randn(5, 15, 15))
    with pytest.raises(ValueError, match="unknown encoder"):
        make_encoder("vgg", 16)
