"""``torch.compile`` of a small steerable model (R2Conv -> R2Conv on C4).

* Fast: dynamo traces the model (train, eval, eval under no_grad) as ONE graph, without
  graph breaks.  Two fixed bugs used to break it in every layer: ``np.prod`` in the basis
  expansion (traced as a tensor op, then ``int()``-ed: a data-dependent break) and the
  ``FieldType`` equality check of the input (``np.allclose`` on the change of basis).
* Slow: the default inductor backend compiles it and gives the eager outputs and gradients
  (cold compile ~100 s on the 2-core CI box, ~20 s with a warm inductor cache).
"""
from __future__ import annotations

import pytest
import torch

from steerable.gspaces import rot2dOnR2
from steerable.nn import FieldType, GeometricTensor, R2Conv

GS = rot2dOnR2(4)
T_IN = FieldType(GS, 2 * [GS.regular_repr])
T_MID = FieldType(GS, 3 * [GS.regular_repr] + [GS.trivial_repr])


class Small(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.c1 = R2Conv(T_IN, T_MID, 3, padding=1)
        self.c2 = R2Conv(T_MID, T_IN, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c2(self.c1(GeometricTensor(x, T_IN))).tensor


def _model_and_input():
    torch.manual_seed(0)
    m = Small()
    with torch.no_grad():
        m.c1.bias.normal_()
    return m, torch.randn(2, T_IN.size, 11, 11)


@pytest.mark.parametrize("mode", ["train", "eval", "eval-no_grad"])
def test_dynamo_traces_without_graph_breaks(mode):
    import torch._dynamo as dynamo

    m, x = _model_and_input()
    m.train(mode == "train")
    dynamo.reset()
    try:
        if mode == "eval-no_grad":
            with torch.no_grad():
                ex = dynamo.explain(m)(x)
        else:
            ex = dynamo.explain(m)(x)
    finally:
        dynamo.reset()
    assert ex.graph_break_count == 0, [str(r.reason)[:300] for r in ex.break_reasons]
    assert ex.graph_count == 1


# default suite: ~15 s on 2 cores (inductor compiles C++ with the system gcc)
def test_inductor_compile_matches_eager():
    import torch._dynamo as dynamo

    m, x = _model_and_input()
    dynamo.reset()
    try:
        cm = torch.compile(m)  # default backend: inductor
        # train mode: outputs and gradients
        y_ref = m(x)
        g_ref = torch.autograd.grad(y_ref.square().sum(), [m.c1.weights, m.c2.weights])
        y = cm(x)
        torch.testing.assert_close(y, y_ref, atol=1e-5, rtol=1e-5)
        g = torch.autograd.grad(y.square().sum(), [m.c1.weights, m.c2.weights])
        for a, b in zip(g, g_ref):
            torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)
        # eval mode under no_grad (the cached filter), then after an optimizer step
        m.eval()
        with torch.no_grad():
            torch.testing.assert_close(cm(x), m(x), atol=1e-5, rtol=1e-5)
        opt = torch.optim.SGD(m.parameters(), lr=1e-2)
        m.train()
        m(x).square().mean().backward()
        opt.step()
        m.eval()
        with torch.no_grad():
            torch.testing.assert_close(cm(x), m(x), atol=1e-5, rtol=1e-5)
            # the compiled model is still equivariant
            for g in GS.testing_elements:
                gx = GeometricTensor(x, T_IN).transform(g).tensor
                torch.testing.assert_close(cm(gx), GeometricTensor(cm(x), T_IN).transform(g).tensor, atol=1e-5, rtol=1e-5)
    finally:
        dynamo.reset()
