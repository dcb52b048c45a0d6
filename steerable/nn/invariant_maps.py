"""Quadratic invariant maps: all invariants ``x_f^T A x_f`` of each field.

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import FieldType, GeometricTensor, InvariantMaps
    >>> gs = rot2dOnR2(-1)
    >>> t = FieldType(gs, [gs.irrep(1)])
    >>> InvariantMaps(t)(GeometricTensor(torch.tensor([[3.0, 4.0]]), t)).tensor  # |x|^2 / sqrt(2)
    tensor([[17.6777]])
"""
from __future__ import annotations

import numpy as np
import torch

from ..group import Representation, tensor_product
from ._fields import check_field_type, trivial_columns
from .exported.layers import QuadraticInvariantsMap
from ..gspaces.field_type import FieldType, GeometricTensor
from .module import EquivariantModule

__all__ = ["InvariantMaps", "quadratic_invariants"]


def quadratic_invariants(r: Representation) -> np.ndarray:
    """``(K, d, d)``: a Frobenius-orthonormal basis of the symmetric ``A`` with ``rho(g)^T A rho(g) = A``.

    Built from the trivial irreps of ``rho (x) rho = Q_tp ((+) psi) Q_tp^T``: each trivial
    column of ``Q_tp`` reshaped to ``d x d`` is an invariant bilinear form; ``x (x) x`` is
    symmetric, so only the symmetric parts matter (antisymmetric forms give ``x^T A x = 0``).
    """
    tp = tensor_product(r, r)
    d = r.size
    cols = []
    for c in trivial_columns(tp).T:
        A = c.reshape(d, d)  # kron index i * d + j <-> x_i x_j
        cols.append(((A + A.T) / 2).ravel())
    if not cols:
        return np.zeros((0, d, d))
    U, s, _ = np.linalg.svd(np.stack(cols, 1), full_matrices=False)
    U = U[:, s > 1e-8 * max(1.0, s.max())].T
    for u in U:  # deterministic signs: positive trace (positive semi-definite forms give x^T A x >= 0), else first entry
        tr = u.reshape(d, d).trace()
        ref = tr if abs(tr) > 1e-8 else u[np.flatnonzero(np.abs(u) > 1e-8)[0]]
        if ref < 0:
            u *= -1
    return U.reshape(-1, d, d)


class InvariantMaps(EquivariantModule):
    """All quadratic invariants of each field: ``y_{f,k} = x_f^T A_k x_f``, trivial output fields.

    For a field of type ``rho``, the ``A_k`` span the symmetric trivial part of
    ``rho (x) rho`` (:func:`quadratic_invariants`): ``y_{f,k}`` are the coefficients of the
    projection of ``x_f (x) x_f`` onto the trivial irreps of the decomposed tensor product
    (expressed in an orthonormal basis of the symmetric ones, so none is identically zero).
    Since ``rho(g)^T A_k rho(g) = A_k``, every output is invariant; output fields are in
    input-field order, ``K_rho`` consecutive trivial fields per input field.  E.g. a 2D irrep
    of SO(2) gives ``|x|^2 / sqrt(2)``; the regular field of ``C_N`` gives its ``N/2 + 1``
    power-spectrum / autocorrelation invariants.

    Example:
        >>> import torch
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, GeometricTensor, InvariantMaps
        >>> gs = rot2dOnR2(-1)
        >>> m = InvariantMaps(FieldType(gs, [gs.irrep(1), gs.irrep(2)]))
        >>> len(m.out_type)
        2
    """

    def __init__(self, in_type: FieldType) -> None:
        super().__init__()
        self.in_type = check_field_type(in_type, layer="InvariantMaps")
        forms: dict = {}
        counts = []
        for r in in_type.representations:
            if r not in forms:
                forms[r] = quadratic_invariants(r)
            counts.append(forms[r].shape[0])
        if sum(counts) == 0:
            raise ValueError(f"InvariantMaps: {in_type} has no quadratic invariants")
        self.out_type = FieldType(in_type.gspace, sum(counts) * [in_type.gspace.trivial_repr])
        out_start = np.concatenate([[0], np.cumsum(counts)])
        groups = []
        for r, A in forms.items():
            fields = [i for i, s in enumerate(in_type.representations) if s == r]
            if A.shape[0] == 0:
                continue
            cout = torch.from_numpy(np.concatenate([np.arange(out_start[i], out_start[i + 1]) for i in fields])).long()
            groups.append((torch.from_numpy(A).float(), in_type.channel_indices(fields), cout))
        self._plain = QuadraticInvariantsMap(groups, self.out_type.size, persistent=False)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        return GeometricTensor(self._plain(x.tensor), self.out_type)

    def export(self) -> torch.nn.Module:
        p = self._plain
        return QuadraticInvariantsMap([(getattr(p, f"forms_{i}"), getattr(p, f"in_{i}"), getattr(p, f"out_{i}"))
                                for i in range(p.n)], self.out_type.size)

    def extra_repr(self) -> str:
        return f"{self.in_type} -> {len(self.out_type)} invariants"
