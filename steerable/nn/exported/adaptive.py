"""Adaptive (input-dependent) grids for the Fourier activations, in plain PyTorch (this file imports only torch).

A fixed-grid Fourier activation computes ``y = A_out^+ sigma(A c)`` per field.  The adaptive form
samples on the grid ``{h(c) g_i}`` instead, where the canonicalising element ``h`` is predicted
equivariantly, ``h(rho(g) c) = g h(c)``.  Sampling at ``h g_i`` is sampling ``rho(h)^T c`` at
``g_i``, so

    y = rho_out(h) A_out^+ sigma(A rho(h)^T c),

and ``y(rho(g) c) = rho_out(g) y(c)`` holds exactly for every ``g`` and every grid size (the
samples ``A rho(gh)^T rho(g) c = A rho(h)^T c`` do not change).

``h`` is an orthogonal ``n x n`` matrix (``n = 2`` or ``3``) built from vectors that transform by
the standard representation (the frequency-1 / ``l = 1`` coefficients, optionally mixed by a
learnable equivariant head): the normalised first vector is the first column; in 3D the second
vector, Gram-Schmidt orthogonalised, is the second column; the last column is the cross product
(3D) or the 90-degree turn (2D) of the others, times a parity ``p = sign(s)`` of a pseudo-scalar
``s`` for ``O(2)``/``O(3)``.  Where a norm used (``|v_1|``, ``|v_2 - (v_2.e_1) e_1|``, ``|s|``)
is below ``eps`` the frame is undefined; there ``h = identity`` (the fixed grid) and the module's
``last_fallbacks`` counts how many frames of the last forward took that branch.

The irreps ``psi(h)`` are built from ``h`` itself: slot 0 is the trivial irrep, slot 1 ``det h``,
slot 2 ``h``; every further slot ``k`` is ``P_k^T (slot_a(h) kron slot_b(h)) P_k`` with an
isometric intertwiner ``P_k`` computed once by the layer that builds this module.

Example:
    >>> import torch
    >>> h = frames_from_vectors(torch.tensor([[[0.0], [2.0]]]), None, 1e-6)[0]   # one vector (0, 2), one frame
    >>> h[..., 0]                                    # the rotation taking e_1 to (0, 1)
    tensor([[ 0., -1.],
            [ 1.,  0.]])
"""
# (no "from __future__ import annotations": TorchScript reads the class annotations below as types)

from typing import List, Optional, Tuple

import torch

__all__ = ["frames_from_vectors", "irrep_matrices", "Canonicalizer", "AdaptiveFourierActivation"]


def _kron(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Batched ``kron`` of ``(..., i, j, F)`` and ``(..., k, l, F)`` (``np.kron`` index order, frames last)."""
    k = a.unsqueeze(-2).unsqueeze(-4) * b.unsqueeze(-3).unsqueeze(-5)  # (..., i, k, j, l, F)
    s = k.shape
    return k.reshape(list(s[:-5]) + [s[-5] * s[-4], s[-3] * s[-2], s[-1]])


def _det(h: torch.Tensor) -> torch.Tensor:
    """``det`` of ``(..., n, n, F)`` matrices, ``n`` = 2 or 3, elementwise (no batched LU for tiny matrices)."""
    if h.shape[-2] == 2:
        return h[..., 0, 0, :] * h[..., 1, 1, :] - h[..., 0, 1, :] * h[..., 1, 0, :]
    return (h[..., 0, 0, :] * (h[..., 1, 1, :] * h[..., 2, 2, :] - h[..., 1, 2, :] * h[..., 2, 1, :])
            - h[..., 0, 1, :] * (h[..., 1, 0, :] * h[..., 2, 2, :] - h[..., 1, 2, :] * h[..., 2, 0, :])
            + h[..., 0, 2, :] * (h[..., 1, 0, :] * h[..., 2, 1, :] - h[..., 1, 1, :] * h[..., 2, 0, :]))


def irrep_matrices(h: torch.Tensor, slot_a: List[int], slot_b: List[int], dims: List[int],
                   P_all: torch.Tensor) -> List[torch.Tensor]:
    """``[psi_k(h)]`` for the recipe ``(slot_a, slot_b, dims, P_all)`` (module docs).

    ``h``: ``(..., n, n, F)`` with the frames on the last axis (so that every product of the
    small matrices is elementwise over ``F``); each result is ``(..., d_k, d_k, F)``.
    """
    lead = list(h.shape[:-3])
    F = h.shape[-1]
    one = torch.ones(lead + [1, 1, F], dtype=h.dtype, device=h.device)
    slots: List[torch.Tensor] = [one, _det(h).reshape(lead + [1, 1, F]), h]
    P_all = P_all.to(h.dtype)
    for k in range(len(dims)):
        a, b = slots[slot_a[k]], slots[slot_b[k]]
        P = P_all[k, : a.shape[-2] * b.shape[-2], : dims[k]]
        slots.append(torch.einsum("mi,...mnf,nj->...ijf", P, _kron(a, b), P))
    return slots[3:]


def _norm(v: torch.Tensor) -> torch.Tensor:
    """``|v|`` over the vector axis ``-2`` of ``(..., n, F)``, as a sum of elementwise squares (a strided
    ``vector_norm`` over a size-2/3 axis is many times slower); clamped, so the gradient at ``v = 0`` is 0, not NaN."""
    sq = v[..., 0, :] * v[..., 0, :]
    for i in range(1, v.shape[-2]):
        sq = sq + v[..., i, :] * v[..., i, :]
    return sq.clamp_min(1e-30).sqrt()


def frames_from_vectors(v: torch.Tensor, s: Optional[torch.Tensor], eps: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """``(h, ok)``: the orthogonal frames of vectors ``v`` and parities ``s`` (frames on the last axis).

    ``v``: ``(..., m, n, F)`` (``m >= n - 1`` vectors of dimension ``n``); ``s``: ``(..., F)`` or None.
    ``h``: ``(..., n, n, F)`` with ``h(g v, det(g) s) = g h(v, s)``; ``ok``: ``(..., F)``, False where a
    norm is below ``eps`` (there ``h`` is the identity).
    """
    n = v.shape[-2]
    v1 = v[..., 0, :, :]
    n1 = _norm(v1)
    e1 = v1 / n1.clamp_min(eps).unsqueeze(-2)  # clamped: no NaN (values or gradients) in the fallback branch
    ok = n1 > eps
    p = torch.ones_like(n1) if s is None else torch.sign(s)
    if s is not None:
        ok = ok & (s.abs() > eps)
    if n == 2:
        last = torch.stack([-e1[..., 1, :], e1[..., 0, :]], -2)
        cols = [e1, p.unsqueeze(-2) * last]
    else:
        v2 = v[..., 1, :, :]
        w = v2 - (e1 * v2).sum(-2, keepdim=True) * e1
        n2 = _norm(w)
        ok = ok & (n2 > eps)
        e2 = w / n2.clamp_min(eps).unsqueeze(-2)
        cols = [e1, e2, p.unsqueeze(-2) * torch.linalg.cross(e1, e2, dim=-2)]
    h = torch.stack(cols, -2)  # (..., row, column, F)
    eye = torch.eye(n, dtype=v.dtype, device=v.device).unsqueeze(-1)
    return torch.where(ok.unsqueeze(-2).unsqueeze(-2), h, eye), ok


class Canonicalizer(torch.nn.Module):
    """Predicts the frames ``h`` of a tensor ``(B, C * D, *spatial)`` of band-limited coefficients.

    Vector candidates are the coefficient chunks at ``vec_offsets`` (each an ``n``-vector in the
    standard basis after ``vec_basis``), plus, where ``quad_offset >= 0``, ``T(c) v_1`` with the
    symmetric matrix ``T(c) = (quad_basis c).reshape(n, n)`` of a frequency-2 chunk.  Pseudo-scalar
    candidates are the chunks at ``pseudo_offsets`` (``det``-irrep coefficients) or, with
    ``pseudo_from_vectors``, ``det[v_1, v_2]``.  ``granularity`` is ``'field'`` (one frame per field
    and location), ``'location'`` (the candidates of all fields at a location) or ``'sample'``
    (summed over locations first).  With ``weight``/``pseudo_weight`` (a learnable head) the vectors
    used are ``weight @ candidates``; without, the first candidates.  ``identity=True`` gives the
    identity frame everywhere (the fixed grid; for ablations).
    """

    vec_offsets: List[int]
    pseudo_offsets: List[int]
    weight: Optional[torch.nn.Parameter]
    pseudo_weight: Optional[torch.nn.Parameter]

    def __init__(self, n: int, channels: int, D: int, vec_offsets: List[int], vec_basis: torch.Tensor,
                 quad_offset: int, quad_basis: torch.Tensor, pseudo_offsets: List[int], pseudo_from_vectors: bool,
                 parity: bool, granularity: str, eps: float, head: bool, persistent: bool = True) -> None:
        super().__init__()
        self.n, self.channels, self.D = int(n), int(channels), int(D)
        self.vec_offsets, self.quad_offset = list(vec_offsets), int(quad_offset)
        self.pseudo_offsets, self.pseudo_from_vectors, self.parity = list(pseudo_offsets), pseudo_from_vectors, parity
        self.granularity, self.eps, self.identity = granularity, float(eps), False
        self.register_buffer("vec_basis", vec_basis.detach().clone(), persistent=persistent)
        self.register_buffer("quad_basis", quad_basis.detach().clone(), persistent=persistent)
        per_field = len(self.vec_offsets) + (1 if self.quad_offset >= 0 else 0)
        fields = 1 if granularity == "field" else self.channels
        self.n_candidates = per_field * fields
        self.n_pseudo = len(self.pseudo_offsets) * fields
        need = self.n - 1 + (1 if pseudo_from_vectors else 0)
        if head:  # starts near "take the first candidates" (the head-free choice)
            w = torch.zeros(need, self.n_candidates, dtype=torch.float64)
            k = min(need, self.n_candidates)
            w[:k, :k] = torch.eye(k, dtype=torch.float64)
            self.weight = torch.nn.Parameter(w + 0.1 * torch.randn(w.shape, dtype=torch.float64))
            p = torch.zeros(max(self.n_pseudo, 1), dtype=torch.float64)
            p[0] = 1.0
            self.pseudo_weight = torch.nn.Parameter(p + 0.1 * torch.randn(p.shape, dtype=torch.float64))
        else:
            self.weight, self.pseudo_weight = None, None

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(h, ok)``: ``(B, C', n, n, P')`` and ``(B, C', P')``, ``C' = C`` or 1, ``P' = prod(spatial)`` or 1."""
        B, n = x.shape[0], self.n
        c = x.reshape(B, self.channels, self.D, -1)  # (B, C, D, P)
        basis = self.vec_basis.to(x.dtype)
        vecs = [torch.einsum("ij,bcjp->bcip", basis, c[:, :, o: o + n, :]) for o in self.vec_offsets]
        if self.quad_offset >= 0:
            q = self.quad_basis.to(x.dtype)
            d = q.shape[1]
            T = torch.einsum("ij,bcjp->bcip", q, c[:, :, self.quad_offset: self.quad_offset + d, :])
            T = T.reshape(T.shape[0], T.shape[1], n, n, T.shape[-1])
            vecs.append((T * vecs[0].unsqueeze(2)).sum(3))  # T v_1
        v = torch.stack(vecs, 2)  # (B, C, m, n, P)
        s: Optional[torch.Tensor] = None
        if len(self.pseudo_offsets) > 0:
            s = torch.stack([c[:, :, o, :] for o in self.pseudo_offsets], 2)  # (B, C, k, P)
        if self.granularity == "sample":
            v = v.sum(-1, keepdim=True)
            if s is not None:
                s = s.sum(-1, keepdim=True)
        if self.granularity != "field":  # the candidates of all fields, field after field
            v = v.reshape(B, 1, -1, n, v.shape[-1])
            if s is not None:
                s = s.reshape(B, 1, -1, s.shape[-1])
        weight = self.weight
        if weight is not None:
            v = torch.einsum("km,bcmip->bckip", weight.to(x.dtype), v)
        parity: Optional[torch.Tensor] = None
        if self.parity:
            pw = self.pseudo_weight
            if s is not None:
                parity = torch.einsum("k,bckp->bcp", pw.to(x.dtype), s) if pw is not None else s[:, :, 0]
            else:  # det[v_1, v_2] is a pseudo-scalar in 2D
                parity = v[:, :, 0, 0] * v[:, :, 1, 1] - v[:, :, 0, 1] * v[:, :, 1, 0]
        h, ok = frames_from_vectors(v, parity, self.eps)
        if self.identity:
            h = torch.eye(n, dtype=x.dtype, device=x.device).unsqueeze(-1).expand(h.shape)
            ok = torch.zeros_like(ok)
        return h, ok


def _rotate(c: torch.Tensor, mats: List[torch.Tensor], chunks: List[int], transpose: bool) -> torch.Tensor:
    """Each chunk ``k`` of ``c`` (``(B, C, D, P)``) times ``psi_k(h)`` (``(B, C', d, d, P')``; ``transpose``: ``psi_k(h)^T``)."""
    parts: List[torch.Tensor] = []
    off = 0
    for k in chunks:
        R = mats[k]
        d = R.shape[2]
        part = c[:, :, off: off + d, :]
        if transpose:
            parts.append((R * part.unsqueeze(3)).sum(2))
        else:
            parts.append((R * part.unsqueeze(2)).sum(3))
        off += d
    return torch.cat(parts, 2)


class AdaptiveFourierActivation(torch.nn.Module):
    """``c -> rho_out(h) A_out^+ act(A rho(h)^T c)`` per field, ``h`` from ``canonicalizer`` (module docs).

    ``chunks_in``/``chunks_out`` give, for each irrep block of the input/output coefficients in
    order, its index in the recipe ``(slot_a, slot_b, dims, P_all)`` of :func:`irrep_matrices`.
    After each forward ``last_fallbacks`` holds how many frames fell back to the fixed grid, of
    ``last_frames``.
    """

    slot_a: List[int]
    slot_b: List[int]
    dims: List[int]
    chunks_in: List[int]
    chunks_out: List[int]

    def __init__(self, A: torch.Tensor, A_pinv: torch.Tensor, channels: int, act: torch.nn.Module,
                 canonicalizer: Canonicalizer, slot_a: List[int], slot_b: List[int], dims: List[int],
                 P_all: torch.Tensor, chunks_in: List[int], chunks_out: List[int], persistent: bool = True) -> None:
        super().__init__()
        self.register_buffer("A", A.detach().clone(), persistent=persistent)
        self.register_buffer("A_pinv", A_pinv.detach().clone(), persistent=persistent)
        self.register_buffer("P_all", P_all.detach().clone(), persistent=persistent)
        self.channels, self.act, self.canonicalizer = int(channels), act, canonicalizer
        self.slot_a, self.slot_b, self.dims = list(slot_a), list(slot_b), list(dims)
        self.chunks_in, self.chunks_out = list(chunks_in), list(chunks_out)
        self.last_fallbacks = torch.zeros((), dtype=torch.long)
        self.last_frames = torch.zeros((), dtype=torch.long)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, spatial = x.shape[0], list(x.shape[2:])
        h, ok = self.canonicalizer(x)
        self.last_fallbacks = (~ok).sum().detach()
        self.last_frames = torch.tensor(ok.numel(), dtype=torch.long)
        c = x.reshape(B, self.channels, self.A.shape[1], -1)
        mats = irrep_matrices(h, self.slot_a, self.slot_b, self.dims, self.P_all)
        rotate = not self.canonicalizer.identity  # the identity frame: the fixed layer, bit for bit
        if rotate:
            c = _rotate(c, mats, self.chunks_in, True)
        samples = self.act(torch.matmul(self.A.to(x.dtype), c))
        y = torch.matmul(self.A_pinv.to(x.dtype), samples)
        if rotate:
            y = _rotate(y, mats, self.chunks_out, False)
        return y.reshape([B, self.channels * self.A_pinv.shape[0]] + spatial)

    def extra_repr(self) -> str:
        return (f"channels={self.channels}, grid={self.A.shape[0]}, coefficients={self.A.shape[1]}->"
                f"{self.A_pinv.shape[0]}, canonicalize={self.canonicalizer.granularity}")
