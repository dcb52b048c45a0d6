"""PartialCNN: starts exactly as invariant as its equivariant twin, and its likelihoods train."""
from __future__ import annotations

import pytest
import torch

from steerable.partial import regularization
from steerable.partial.models import PartialCNN, fit_fields


@pytest.mark.parametrize("group", ["c4", "so2", "o2"])
def test_invariant_to_grid_rotations_at_init(group):
    torch.manual_seed(0)
    net = PartialCNN(group, fields=(2, 2, 2), image_size=17).eval()
    x = torch.randn(3, 1, 17, 17)
    y = net(x)
    assert torch.allclose(y, net(torch.rot90(x, 1, (2, 3))), atol=1e-4)
    # a peaked likelihood in the first layer breaks the invariance: the check above can fail
    lam = net.likelihoods[0]
    with torch.no_grad():
        lam.theta.add_(torch.randn(lam.theta.shape, generator=torch.Generator().manual_seed(1)) * 2)
    assert not torch.allclose(net(x), net(torch.rot90(x, 1, (2, 3))), atol=1e-3)


def test_training_step_moves_theta_and_shapes():
    torch.manual_seed(0)
    net = PartialCNN("c8", fields=(2, 2, 2), image_size=(14, 28), num_classes=100, pool_grid=(1, 2))
    assert [lam.layer_id for lam in net.likelihoods] == [0, 1, 2]
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    x, y = torch.randn(8, 1, 14, 28), torch.randint(0, 100, (8,))
    before = [lam.theta.detach().clone() for lam in net.likelihoods]
    loss = torch.nn.functional.cross_entropy(net(x), y) + regularization(net)
    loss.backward()
    opt.step()
    assert any(not torch.equal(b, lam.theta) for b, lam in zip(before, net.likelihoods))
    shared = PartialCNN("so2", fields=(1, 1, 1), image_size=9, share=True)
    assert len(shared.likelihoods) == 1
    assert PartialCNN("so2", fields=(1, 1, 1), image_size=9, relaxed=False).likelihoods == []


def test_fit_fields_and_bad_input():
    f = fit_fields(5000, group="c4", image_size=15)
    n = sum(p.numel() for p in PartialCNN("c4", fields=f, image_size=15).parameters())
    assert 0.7 < n / 5000 < 1.4
    with pytest.raises(ValueError, match="'so2', 'o2', 'cN' or 'dN'"):
        PartialCNN("so3")
    with pytest.raises(ValueError, match="expects"):
        PartialCNN("c4", fields=(1, 1, 1), image_size=15)(torch.randn(1, 1, 16, 16))
