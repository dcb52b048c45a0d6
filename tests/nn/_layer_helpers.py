"""Gspaces and checks shared by the layer tests of ``tests/nn`` (not collected: no test_ prefix)."""
from __future__ import annotations

import torch

from steerable.gspaces import flipRot2dOnR2, rot2dOnR2
from steerable.nn import EquivariantModule, GeometricTensor

FINITE = {f"C{N}": (lambda N=N: rot2dOnR2(N)) for N in (1, 2, 3, 4, 8, 16)}
FINITE.update({"D4": lambda: flipRot2dOnR2(4, axis=0.0), "D8": lambda: flipRot2dOnR2(8, axis=0.0)})
CONTINUOUS = {"SO2": lambda: rot2dOnR2(-1), "O2": lambda: flipRot2dOnR2(-1, axis=0.0)}
ALL2D = {**FINITE, **CONTINUOUS}


def check_export(m: EquivariantModule, x: torch.Tensor) -> None:
    """``export()`` holds no equivariant modules, matches in eval mode, and shapes agree."""
    m.eval()
    plain = m.export()
    assert not any(isinstance(s, EquivariantModule) for s in plain.modules())
    torch.testing.assert_close(plain(x), m(GeometricTensor(x, m.in_type)).tensor, atol=1e-5, rtol=1e-5)
    assert m.evaluate_output_shape(x.shape) == tuple(m(GeometricTensor(x, m.in_type)).shape)
