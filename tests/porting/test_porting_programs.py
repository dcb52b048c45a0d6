"""escnn programs, unchanged but for ``import escnn`` resolving to steerable, run and are equivariant.

Each program under ``programs/`` is written in escnn's documented vocabulary; these tests build it, run
it, and transform the input by exact group elements (multiples of 90 degrees, flips), so the output
must follow to float32 precision.
"""
from __future__ import annotations

import numpy as np
import torch

ATOL = 1e-4  # float32 round-off through several layers; a broken layer errs by O(1)


def _rotation_elements(G, N: int, flips: bool):
    """The elements of C_N / D_N that rotate by multiples of 90 degrees (exact on a pixel grid)."""
    steps = [k * N // 4 for k in range(4)]
    return [G.element((f, k)) for f in ((0, 1) if flips else (0,)) for k in steps] if flips else [G.element(k) for k in steps]


def test_c8_mnist_model_is_invariant_to_quarter_turns(escnn_alias) -> None:
    program = escnn_alias("c8_mnist")
    torch.manual_seed(0)
    model = program.C8SteerableCNN().eval()
    x = torch.randn(3, 1, 29, 29)
    y = model(x)
    assert y.shape == (3, 10)
    for k in (1, 2, 3):
        torch.testing.assert_close(model(torch.rot90(x, k, dims=(2, 3))), y, atol=ATOL, rtol=0)


def test_wide_resnet_is_invariant_to_the_exact_d8_elements(escnn_alias) -> None:
    program = escnn_alias("wide_resnet")
    torch.manual_seed(0)
    model = program.Wide_ResNet(depth=10, widen_factor=1, dropout_rate=0.3, N=8).eval()
    x = torch.randn(2, 3, 17, 17)
    y = model(x)
    assert y.shape == (2, 10)
    G = model.gspace.fibergroup
    for g in _rotation_elements(G, 8, flips=True)[1:]:
        gx = model.in_type(x).transform(g).tensor
        torch.testing.assert_close(model(gx), y, atol=ATOL, rtol=0)
    # a dihedral element is not a torch.rot90 only: the flip must have moved the pixels
    assert not torch.allclose(model.in_type(x).transform(G.element((1, 0))).tensor, x)


def test_o2_model_restricted_to_d4_is_d4_equivariant(escnn_alias) -> None:
    program = escnn_alias("o2_restrict")
    torch.manual_seed(0)
    model = program.build().eval()
    x = model.in_type(torch.randn(2, 1, 15, 15))
    y = model(x)
    sub_in = model.in_type.restrict((0.0, 4))
    G4 = sub_in.gspace.fibergroup
    for g in _rotation_elements(G4, 4, flips=True)[1:]:
        gx = model.in_type(sub_in(x.tensor).transform(g).tensor)
        torch.testing.assert_close(model(gx).tensor, y.transform(g).tensor, atol=ATOL, rtol=0)


def test_so3_model_is_equivariant_to_quarter_turns_about_each_axis(escnn_alias) -> None:
    program = escnn_alias("so3_model")
    torch.manual_seed(0)
    model = program.build().eval()
    G = model.in_type.gspace.fibergroup
    x = model.in_type(torch.randn(1, 1, 9, 9, 9))
    y = model(x)
    s = np.sqrt(0.5)
    for q in ([s, 0, 0, s], [0, s, 0, s], [0, 0, s, s]):  # quaternions (x, y, z, w): 90 degrees about x, y, z
        g = G.element(np.array(q), "Q")
        torch.testing.assert_close(model(x.transform(g)).tensor, y.transform(g).tensor, atol=ATOL, rtol=0)
