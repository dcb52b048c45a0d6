"""Dropout layers in *training* mode, where they are not the identity.

``check_equivariance`` switches a module to eval mode, where dropout does nothing, so the
dropout tests that call it check only the identity.  What holds in training mode:

* ``FieldDropout`` scales each (sample, field) by one Bernoulli draw, independent of the
  location and of the input.  With the same random state ``m(g.x)`` and ``g.m(x)`` draw the
  same scalars, and a scalar per field commutes with ``rho(g)``: with a shared seed the layer
  is *exactly* equivariant (float32 round-off), which is tested for every element.
* ``PointwiseDropout`` multiplies entrywise by a mask ``M`` drawn independently of the input;
  with a shared seed ``m(g.x) = g.m(x)`` does *not* hold (the mask does not move with the
  signal).  The layer is equivariant in distribution: ``m(g.x)`` and ``g.m(x)`` have the same
  law as soon as the law of ``M`` is invariant under the permutation ``g`` applies to channels
  and pixels (i.i.d. entries are).  Tested: (a) the output is ``x * M / (1 - p)`` with ``M`` in
  ``{0, 1}`` not depending on ``x``; (b) for every grid element, the zero frequency of every
  entry of ``m(g.x)`` and of ``g.m(x)`` agree within 7 standard errors over 12,800 draws, and
  equal ``p``.  (b) checks the one-entry marginals of the law, not joint ones.
"""
from __future__ import annotations

import pytest
import torch

from steerable.gspaces import flipRot2dOnR2, rot2dOnR2
from steerable.nn import FieldDropout, FieldType, GeometricTensor, PointwiseDropout

P = 0.3


def _seeded(m: torch.nn.Module, x: GeometricTensor | torch.Tensor, seed: int) -> torch.Tensor:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        y = m(x)
    return y.tensor if isinstance(y, GeometricTensor) else y


def _field_types():
    c4, d4, so2 = rot2dOnR2(4), flipRot2dOnR2(4), rot2dOnR2(-1)
    return {
        "C4 regular+trivial": FieldType(c4, [c4.regular_repr, c4.trivial_repr, c4.regular_repr]),
        "D4 irreps+regular": FieldType(d4, [d4.irrep(1, 1), d4.regular_repr, d4.irrep(1, 0), d4.irrep(1, 1)]),
        "SO2 irreps": FieldType(so2, [so2.irrep(1), so2.trivial_repr, so2.irrep(2), so2.irrep(1)]),
    }


@pytest.mark.parametrize("name", list(_field_types()))
def test_field_dropout_is_exactly_equivariant_with_a_shared_seed(name):
    t = _field_types()[name]
    m = FieldDropout(t, p=P).train()
    x = GeometricTensor(torch.randn(16, t.size, 5, 5, generator=torch.Generator().manual_seed(0)), t)
    y = _seeded(m, x, 7)
    assert m.training and (y == 0).any() and (y != 0).any(), "training mode must actually drop fields"
    for g in t.testing_elements:
        a = _seeded(m, x.transform(g), 7)
        b = GeometricTensor(y, t).transform(g).tensor
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5, msg=f"{name}: FieldDropout(g.x) != g.FieldDropout(x) at {g}")
    # the exported module draws the same way
    torch.testing.assert_close(_seeded(m.export().train(), x.tensor, 7), y)


def test_pointwise_dropout_mask_does_not_depend_on_the_input():
    gs = rot2dOnR2(4)
    t = FieldType(gs, [gs.regular_repr, gs.trivial_repr, gs.regular_repr])
    m = PointwiseDropout(t, p=P).train()
    gen = torch.Generator().manual_seed(0)
    x1 = torch.rand(8, t.size, 5, 5, generator=gen) + 0.5  # no zeros: every zero of the output is the mask's
    x2 = torch.rand(8, t.size, 5, 5, generator=gen) + 0.5
    y1, y2 = _seeded(m, GeometricTensor(x1, t), 3), _seeded(m, GeometricTensor(x2, t), 3)
    M = (y1 != 0).to(x1.dtype)
    assert 0.2 < 1 - M.mean().item() < 0.4
    torch.testing.assert_close(y1, x1 * M / (1 - P))
    torch.testing.assert_close(y2, x2 * M / (1 - P))


@pytest.mark.parametrize("name", ["C4 regular+trivial", "D4 irreps+regular"])
def test_dropouts_are_equivariant_in_distribution(name):
    """Zero frequency per entry of ``m(g.x)`` vs ``g.m(x)`` (see the module docstring)."""
    t = _field_types()[name]
    layers = [FieldDropout(t, p=P).train()]
    if name.startswith("C4"):  # PointwiseDropout takes permutation representations only
        layers.append(PointwiseDropout(t, p=P).train())
    # |x| >= 0.5 and rho(g) orthogonal: kept entries stay far from 0, dropped ones are 0 up to
    # round-off (rho(g) of a regular field is a permutation only up to ~1e-16)
    x = GeometricTensor(torch.rand(64, t.size, 4, 4, generator=torch.Generator().manual_seed(1)) + 0.5, t)
    draws = 200
    n = draws * x.shape[0]
    tol = 7 * (P * (1 - P) / n) ** 0.5
    for m in layers:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(11)
            for g in t.testing_elements:
                gx = x.transform(g)
                zeros_a = sum((m(gx).tensor.abs() < 1e-3).double().sum(0) for _ in range(draws)) / n
                zeros_b = sum((m(x).transform(g).tensor.abs() < 1e-3).double().sum(0) for _ in range(draws)) / n
                worst = (zeros_a - zeros_b).abs().max().item()
                assert worst < 2 * tol, f"{type(m).__name__} on {name}: zero frequencies differ by {worst:.3f} at {g}"
                assert (zeros_a - P).abs().max().item() < tol, f"{type(m).__name__}: an entry is not dropped with p={P}"
