"""The regulariser (alignment, KL chain with stop-gradient, KL to uniform) and the likelihood profiles."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from steerable.group import dihedral_group, so2_group, so3_group
from steerable.gspaces import rot2dOnR2
from steerable.nn import FieldType
from steerable import partial


def _model():
    gs = rot2dOnR2(-1, maximum_frequency=2)
    t = FieldType(gs, [gs.trivial_repr, gs.irrep(1)])
    bank = partial.LikelihoodSet(gs, band_limit=2)
    convs = [partial.R2Conv(t, t, 3, likelihood=bank.get(i)) for i in (0, 1, 1, 2)]
    return torch.nn.Sequential(*convs), bank


def test_regularization_terms_and_stop_gradient():
    model, bank = _model()
    lams = partial.likelihoods(model)
    assert [lam.layer_id for lam in lams] == [0, 1, 2]  # shared layer 1 counted once
    assert float(partial.regularization(model)) == 0.0
    torch.manual_seed(0)
    with torch.no_grad():
        for lam in lams:
            lam.theta.add_(0.4 * torch.randn_like(lam.theta))
    expected = (5 * sum(lam.alignment() for lam in lams) + 3 * (lams[1].kl(lams[0]) + lams[2].kl(lams[1]))
                + 3 * lams[0].kl())
    R = partial.regularization(model)
    assert torch.allclose(R, expected)
    # the KL chain alone: the last layer's KL to its (detached) predecessor gives layer 1 no gradient from it
    only_kl = partial.regularization(model, w_align=0, w_kl=1, w_uniform=0)
    only_kl.backward()
    g_chain = lams[1].theta.grad.clone()
    for lam in lams:
        lam.theta.grad = None
    direct = lams[1].kl(lams[0])
    (g_direct,) = torch.autograd.grad(direct, lams[1].theta)
    assert torch.allclose(g_chain, g_direct, atol=1e-6)  # only KL(l1 || sg l0) moves layer 1
    assert lams[0].theta.grad is None or lams[0].theta.grad.abs().max() == 0


def test_negative_weights_are_rejected():
    model, _ = _model()
    for kw in (dict(w_align=-1.0), dict(w_kl=-0.1), dict(w_uniform=float("nan"))):
        with pytest.raises(ValueError, match=next(iter(kw))):
            partial.regularization(model, **kw)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        partial.likelihoods("model")
    assert float(partial.regularization(torch.nn.Linear(2, 2))) == 0.0


def test_profiles_planar_and_spatial():
    lam = partial.GroupLikelihood(so2_group(), 1)
    with torch.no_grad():
        lam.theta[1:5] = torch.tensor([1.0, 0.0, 0.0, 1.0])  # f = 2 cos t
    (p,) = partial.likelihood_profiles(lam, n=8)
    expected = np.exp(2 * np.cos(p.angles))
    expected /= np.i0(2.0)
    assert np.allclose(p.values["rotation"], expected, rtol=1e-5)
    (d,) = partial.likelihood_profiles(partial.GroupLikelihood(dihedral_group(4), 1))
    assert set(d.values) == {"rotation", "reflection"} and len(d.angles) == 4
    (s,) = partial.likelihood_profiles(partial.GroupLikelihood(so3_group(), 1))
    assert s.angles.max() <= math.pi + 1e-9 and np.allclose(s.values["rotation"], 1.0, atol=1e-5)
    model, _ = _model()
    fig = partial.plot_likelihood_profiles(partial.likelihood_profiles(model))
    assert len(fig.axes) == 3
    with pytest.raises(ValueError, match="no likelihood"):
        partial.plot_likelihood_profiles([])
