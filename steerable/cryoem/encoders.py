"""Pose encoders: an image ``Y`` ``(B, N, N)`` to a pose ``R`` ``(B, 3, 3)`` and an in-plane shift ``t`` ``(B, 2)``.

Image symmetries act on poses: with ``(g.Y)(u) = Y(g^-1 u)`` for ``g`` in O(2) acting on image coordinates,
``g.P_R[V] = P_{R rho(g)^-1}[V]`` and ``g.T_t f = T_{g t} g.f``, where ``rho(g) = diag(g, det g)`` (a rotation
about z for rotations, ``diag(-1, 1, -1)`` for the mirror ``x -> -x``). So a good encoder satisfies

    E(g.Y) = (R rho(g)^-1, g t).

:class:`D4Encoder` does so exactly for the 8 symmetries of the pixel grid. Each **row** ``r_k`` of ``R``
transforms as ``r_k -> rho(g) r_k``, that is as the 2D standard irrep (first two entries) plus the sign irrep
(third entry) of D4: the network outputs two such fields, :func:`~steerable.cryoem.geometry.gram_schmidt` makes
them the rows of ``R`` (it commutes with ``rho(g)``), and a vector field gives ``t``. :class:`CNNEncoder` is the
plain baseline with the same output (a 6D head and a shift head).

Example:
    >>> enc = D4Encoder(17, channels=(2, 2)).eval()
    >>> R, t = enc(torch.randn(3, 17, 17))
    >>> R.shape, t.shape
    (torch.Size([3, 3, 3]), torch.Size([3, 2]))
"""
from __future__ import annotations

from typing import Any, Sequence

import torch

from .. import gspaces, nn as enn
from .geometry import gram_schmidt

__all__ = ["CNNEncoder", "D4Encoder", "ENCODERS", "make_encoder", "d4_action"]

# image coordinates (x = column, y = row) versus the gspace's (x = column, y = -row): S = diag(1, -1)
_S = torch.tensor([[1.0, 0.0], [0.0, -1.0]])


def _check_images(Y: torch.Tensor, N: int) -> torch.Tensor:
    if not isinstance(Y, torch.Tensor) or Y.ndim != 3 or Y.shape[1:] != (N, N):
        got = tuple(Y.shape) if isinstance(Y, torch.Tensor) else type(Y).__name__
        raise ValueError(f"images must be a tensor (B, {N}, {N}), got {got}")
    return Y


def d4_action(element: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """For a D4 element of ``flipRot2dOnR2(4)``: ``(g, rho(g))``, its 2 x 2 action on image coordinates
    ``(x, y) = (column, row)`` (so ``GeometricTensor.transform`` maps ``Y(u)`` to ``Y(g^-1 u)``) and the 3 x 3
    rotation ``diag(g, det g)``."""
    G = element.group
    M = torch.as_tensor(G.irrep(1, 1)(element), dtype=torch.float64)
    g = _S.double() @ M @ _S.double()
    rho = torch.zeros(3, 3, dtype=torch.float64)
    rho[:2, :2] = g
    rho[2, 2] = torch.linalg.det(g)
    return g, rho


class CNNEncoder(torch.nn.Module):
    """A plain CNN: conv blocks (3 x 3, ReLU, 2 x 2 average pooling) -> global average -> MLP -> 6D + shift.

    Args:
        size: image side ``N``.
        channels: channels of the conv blocks (one pooling after each).
        hidden: width of the MLP head.

    Shape:
        input ``(B, N, N)``; output ``R`` ``(B, 3, 3)`` and ``t`` ``(B, 2)`` pixels.
    """

    def __init__(self, size: int, channels: Sequence[int] = (16, 32, 64), hidden: int = 128) -> None:
        super().__init__()
        self.size = size
        layers: list[torch.nn.Module] = []
        c_in = 1
        for c in channels:
            layers += [torch.nn.Conv2d(c_in, c, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(c, c, 3, padding=1),
                       torch.nn.ReLU(), torch.nn.AvgPool2d(2)]
            c_in = c
        self.features = torch.nn.Sequential(*layers)
        self.head = torch.nn.Sequential(torch.nn.Linear(c_in, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 8))

    def forward(self, Y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.features(_check_images(Y, self.size)[:, None]).mean((-2, -1))
        o = self.head(h)
        return gram_schmidt(o[:, 0:3], o[:, 3:6]), o[:, 6:8]


class D4Encoder(torch.nn.Module):
    """A D4-equivariant CNN (``steerable.nn``, regular fields) with ``E(g.Y) = (R rho(g)^-1, g t)`` exactly.

    Conv blocks of regular D4 fields (3 x 3 steerable kernels, ReLU, 2 x 2 average pooling), a global average, two
    equivariant 1 x 1 layers (a hidden regular layer, then the output fields): two fields of type
    (frequency-1 irrep + sign irrep) for the rows of ``R`` and one frequency-1 field for ``t``.

    Args:
        size: image side ``N``; a block pools (2 x 2) only while the side is even, since pooling an odd side
            drops a border on one side only and would break the symmetry.
        channels: regular fields (of 8 channels each) per conv block.
        hidden: regular fields of the 1 x 1 head.

    Shape:
        input ``(B, N, N)``; output ``R`` ``(B, 3, 3)`` and ``t`` ``(B, 2)`` pixels.
    """

    def __init__(self, size: int, channels: Sequence[int] = (4, 8, 16), hidden: int = 16) -> None:
        super().__init__()
        self.size = size
        self.gspace = gs = gspaces.flipRot2dOnR2(N=4)
        self.in_type = t = enn.FieldType(gs, [gs.trivial_repr])
        blocks: list[enn.EquivariantModule] = []
        s = size
        for c in channels:
            reg = enn.FieldType(gs, [gs.regular_repr] * c)
            blocks += [enn.R2Conv(t, reg, 3, padding=1), enn.ReLU(reg), enn.R2Conv(reg, reg, 3, padding=1),
                       enn.ReLU(reg)]
            if s % 2 == 0 and s >= 4:  # 2 x 2 pooling is a permutation-equivariant map only on even sides
                blocks.append(enn.PointwiseAvgPool2D(reg, 2))
                s //= 2
            t = reg
        self.features = enn.SequentialModule(*blocks)
        hid = enn.FieldType(gs, [gs.regular_repr] * hidden)
        row = [gs.irrep(1, 1), gs.irrep(1, 0)]
        self.out_type = enn.FieldType(gs, row + row + [gs.irrep(1, 1)])
        self.head = enn.SequentialModule(enn.R2Conv(t, hid, 1), enn.ReLU(hid), enn.R2Conv(hid, self.out_type, 1))
        self.register_buffer("S", _S.clone(), persistent=False)

    def forward(self, Y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = enn.GeometricTensor(_check_images(Y, self.size)[:, None], self.in_type)
        h = self.features(x).tensor.mean((-2, -1), keepdim=True)  # global average: invariant pooling
        o = self.head(enn.GeometricTensor(h, self.features.out_type)).tensor[:, :, 0, 0]
        S = self.S.to(o.dtype)
        rows = [torch.cat([o[:, 3 * i:3 * i + 2] @ S, o[:, 3 * i + 2:3 * i + 3]], 1) for i in range(2)]
        return gram_schmidt(rows[0], rows[1]), o[:, 6:8] @ S


#: Encoder names -> classes (the CLI's and the study's ``--encoder``).
ENCODERS: dict[str, type[torch.nn.Module]] = {"cnn": CNNEncoder, "d4": D4Encoder}


def make_encoder(name: str, size: int, **kwargs: Any) -> torch.nn.Module:
    """``ENCODERS[name](size, **kwargs)`` with a clear error for unknown names."""
    if name not in ENCODERS:
        raise ValueError(f"unknown encoder {name!r}; known: {', '.join(ENCODERS)}")
    return ENCODERS[name](size, **kwargs)
