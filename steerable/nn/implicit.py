"""Implicit steerable kernels: a G-equivariant MLP on relative positions (and edge attributes).

Instead of expanding a kernel in an analytic basis, an implicit kernel (Zhdanov, Hoffmann and
Cesa, NeurIPS 2023) computes it with an equivariant network ``phi`` on ``no_base_space``:

    k(x, e) = exp(-|x|^2 / (2 s^2)) / sqrt(C_in) * reshape(phi(x, e))  in  R^(C_out x C_in),

where the output of ``phi`` is a field of type ``(+)_pairs rho_out (x) rho_in`` and ``s`` is a
learnable width.  Because ``phi(A(g) x, g e) = (rho_out (x) rho_in)(g) phi(x, e)`` and
``vec(rho_out K rho_in^T) = (rho_out (x) rho_in) vec(K)`` (row-major), the kernel is steerable,

    k(A(g) x, g e) = rho_out(g) k(x, e) rho_in(g)^T     for all g in G,

exactly (no sampling of the group is involved).  ``phi`` is built as follows: the position enters
through its norm and its ``O(d)`` harmonics ``Y_J(x / |x|)``, ``J`` up to ``L`` (exactly
equivariant encodings); the edge attributes, a :class:`GeometricTensor` of ``edge_attr_type``,
join them; hidden layers are equivariant :class:`Linear` maps with gated nonlinearities
(``ELU`` on scalar fields, ``sigmoid(gate) * field`` on the others) and optional
:class:`IIDBatchNorm1d`.  The hidden layers live on ``no_base_space(O(d))`` and are restricted to
``G`` before the last :class:`Linear` (one MLP serves every subgroup, as in the paper), unless
the edge attributes carry non-scalar fields of ``G``, in which case the whole MLP is built on
``G``.  The ``Linear`` layers use steerable's generalised He initialisation.

The kernel lives in ``steerable.nn`` (not ``steerable.kernels``) because its network is made of
``nn`` layers, and ``kernels`` sits below ``nn``.

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import FieldType, ImplicitKernel
    >>> gs = rot2dOnR2(8)
    >>> k = ImplicitKernel(gs, FieldType(gs, [gs.regular_repr]), FieldType(gs, [gs.irrep(1)]))
    >>> k(torch.randn(5, 2)).shape
    torch.Size([5, 2, 8])
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F

from ..group import Representation
from ..gspaces import GSpace, no_base_space
from ..gspaces.field_type import FieldType, GeometricTensor
from ..kernels.harmonics import RingSpec, harmonic_types, sample_harmonics
from ._fields import trivial_columns
from .linear import Linear
from .module import EquivariantModule
from .nonlinearities import FourierELU
from .normalization import IIDBatchNorm1d

__all__ = ["ImplicitKernel", "GatedBlock"]


def _is_trivial(r: Representation) -> bool:
    return r.size == 1 and trivial_columns(r).shape[1] == 1


class GatedBlock(EquivariantModule):
    """``[s, g, f] -> [ELU(s), sigmoid(g_k) f_k]``: scalars through ELU, each gated field scaled by
    the sigmoid of its own gate.  Exactly equivariant for any orthogonal field representation.

    Args:
        gspace: the gspace of the fields.
        n_scalars: number of trivial fields ``s``.
        gated: the representations of the gated fields ``f`` (one gate each).
    """

    def __init__(self, gspace: GSpace, n_scalars: int, gated: Sequence[Representation]) -> None:
        super().__init__()
        triv = gspace.trivial_repr
        self.n_scalars, self.n_gated = n_scalars, len(gated)
        self.in_type = FieldType(gspace, [triv] * (n_scalars + len(gated)) + list(gated))
        self.out_type = FieldType(gspace, [triv] * n_scalars + list(gated))
        self.register_buffer("expand", torch.repeat_interleave(torch.arange(len(gated)),
                                                               torch.tensor([r.size for r in gated])), persistent=False)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        t = self._check_input(x).tensor
        s, g, f = t[:, : self.n_scalars], t[:, self.n_scalars : self.n_scalars + self.n_gated], t[:, self.n_scalars + self.n_gated :]
        return GeometricTensor(torch.cat([F.elu(s), torch.sigmoid(g)[:, self.expand] * f], 1), self.out_type)


def _as_type(gspace: GSpace, t: FieldType | Representation, name: str) -> FieldType:
    if isinstance(t, Representation):
        if t.group != gspace.fibergroup:
            raise ValueError(f"{name} is a representation of {t.group.name}, but the kernel is for {gspace.fibergroup.name}")
        return FieldType(gspace, [t])
    if not isinstance(t, FieldType):
        raise TypeError(f"{name} must be a FieldType or a Representation of {gspace.fibergroup.name}, got {type(t).__name__}")
    if t.gspace != gspace:
        raise ValueError(f"{name} lives on {t.gspace.name}, but the kernel is for {gspace.name}")
    return t


class ImplicitKernel(torch.nn.Module):
    """A steerable kernel ``k(x, e)`` computed by a ``G``-equivariant MLP (module docstring).

    Args:
        gspace: the group acting on ``R^2`` or ``R^3`` (any subgroup of ``O(2)``/``O(3)``).
        in_type, out_type: the field types (or single representations) the kernel maps between.
        edge_attr_type: optional :class:`FieldType` of the edge attributes, on
            ``no_base_space(gspace.fibergroup)``.
        hidden_fields: multiplicity of every hidden field kind (scalars and each harmonic type).
        n_layers: number of ``Linear`` layers (``>= 2``).
        L: the highest harmonic degree/frequency of the position encoding and hidden fields.
        batch_norm: :class:`IIDBatchNorm1d` after every hidden ``Linear``.
        sigma: initial width ``s`` of the Gaussian shell (learnable, positive).
        n_radial: number of Gaussian features of ``|x|`` (centres ``0 .. 2 sigma``) fed to the MLP.
        nonlinearity: ``"gate"`` (default; exactly equivariant) or ``"fourier"``: :class:`FourierELU`
            on ``hidden_fields`` band-limited (``L``) regular fields of the MLP's group -- the
            paper's choice, equivariant up to the sampling error of its group grid
            (``fourier_samples`` points, keyword only), exact only for finite groups.

    Shape: ``forward(x, edge_attr=None)``: ``x`` ``(E, d)``, ``edge_attr`` a GeometricTensor
    ``(E, edge_attr_type.size)``; output ``(E, out_type.size, in_type.size)``.
    """

    def __init__(self, gspace: GSpace, in_type: FieldType | Representation, out_type: FieldType | Representation,
                 edge_attr_type: FieldType | None = None, hidden_fields: int = 8, n_layers: int = 3, L: int = 2,
                 batch_norm: bool = True, sigma: float = 1.0, n_radial: int = 4, *, nonlinearity: str = "gate",
                 fourier_samples: int | None = None) -> None:
        super().__init__()
        if nonlinearity not in ("gate", "fourier"):
            raise ValueError(f"nonlinearity must be 'gate' or 'fourier', got {nonlinearity!r}")
        if not isinstance(gspace, GSpace) or gspace.dimensionality not in (2, 3):
            raise TypeError(f"gspace must be a GSpace on R^2 or R^3, got {gspace!r}")
        for name, v, lo in (("hidden_fields", hidden_fields, 1), ("n_layers", n_layers, 2), ("L", L, 0), ("n_radial", n_radial, 1)):
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise ValueError(f"{name} must be an int >= {lo}, got {v!r}")
        if not (isinstance(sigma, (int, float)) and sigma > 0):
            raise ValueError(f"sigma must be a positive number, got {sigma!r}")
        self.gspace, self.d = gspace, gspace.dimensionality
        self.in_type, self.out_type = _as_type(gspace, in_type, "in_type"), _as_type(gspace, out_type, "out_type")
        G = gspace.fibergroup
        G0 = no_base_space(G)  # where the edge attributes are declared
        if edge_attr_type is not None:
            if not isinstance(edge_attr_type, FieldType):
                raise TypeError(f"edge_attr_type must be a FieldType on no_base_space({G.name}), got {type(edge_attr_type).__name__}")
            if edge_attr_type.gspace != G0:
                raise ValueError(f"edge_attr_type must live on no_base_space({G.name}), got {edge_attr_type.gspace.name}")
        self.edge_attr_type = edge_attr_type
        scalar_edges = edge_attr_type is None or all(_is_trivial(r) for r in edge_attr_type)
        # the MLP's group: O(d) restricted at the end (paper), or G itself when edges carry G-vectors
        self.ambient = scalar_edges and gspace.ambient_subgroup_id is not None
        # the layers act pointwise: Linear on a gspace over R^d uses the 1x1 kernel basis, i.e. the
        # intertwiners, exactly what it would use on no_base_space
        if self.ambient:
            H0 = GSpace(gspace.ambient, gspace.ambient.subgroup_self_id, f"{gspace.ambient.name}_pointwise")
            harm = [gspace.ambient.irrep(*J) for J in self._harmonic_ids(L)]
        else:
            H0 = gspace
            harm = [gspace.harmonic_repr(J) for J in self._harmonic_ids(L)]
        self.L, self.n_radial = L, n_radial
        self.spec = RingSpec((1.0,), (1.0,), (L,), self.d)
        n_edge = 0 if edge_attr_type is None else len(edge_attr_type)
        edge_reps = [] if edge_attr_type is None else ([H0.trivial_repr] * n_edge if self.ambient else list(edge_attr_type))
        self._edge_type = None if edge_attr_type is None else FieldType(H0, edge_reps)
        # inputs: radial features, edge attributes, harmonics Y_J (J > 0) -- the trivial J = 0 is constant
        self.in_mlp = FieldType(H0, [H0.trivial_repr] * n_radial + edge_reps + harm[1:])
        gated = [r for r in harm[1:] for _ in range(hidden_fields)]
        if not self.ambient and edge_attr_type is not None:
            gated += [r for r in edge_attr_type if not _is_trivial(r)]
        layers: list[torch.nn.Module] = []
        t = self.in_mlp
        for _ in range(n_layers - 1):
            if nonlinearity == "gate":
                block = GatedBlock(H0, hidden_fields, gated)
            else:  # the paper's choice: ELU on samples of band-limited signals over the group (approximate)
                block = FourierELU(H0, hidden_fields, L, N=fourier_samples) if fourier_samples else FourierELU(H0, hidden_fields, L)
            layers.append(Linear(t, block.in_type))
            if batch_norm:
                layers.append(IIDBatchNorm1d(block.in_type))
            layers.append(block)
            t = block.out_type
        self.hidden = torch.nn.ModuleList(layers)
        self.hidden_type = FieldType(gspace, [r.restrict(gspace.ambient_subgroup_id) for r in t]) if self.ambient else t
        # the output: per pair of kinds, n_out n_in copies of rho_out (x) rho_in
        out_reps, self.pairs = [], []
        for r_out, f_out in self.out_type.group_fields().items():
            for r_in, f_in in self.in_type.group_fields().items():
                tp = r_out.tensor(r_in)
                self.pairs.append((len(out_reps), len(f_out), len(f_in), r_out.size, r_in.size,
                                   self.out_type.channel_indices(f_out), self.in_type.channel_indices(f_in)))
                out_reps += [tp] * (len(f_out) * len(f_in))
        self.phi_type = FieldType(gspace, out_reps)
        # where each kernel entry (o, i), row-major, sits in phi: pair blocks are (n_out, n_in, d_out, d_in)
        src = torch.empty(self.out_type.size * self.in_type.size, dtype=torch.long)
        col = 0
        for _, no, ni, do, di, oi, ii in self.pairs:
            n = no * ni * do * di
            grid = torch.arange(col, col + n).reshape(no, ni, do, di).permute(0, 2, 1, 3).reshape(no * do, ni * di)
            src[(oi[:, None] * self.in_type.size + ii[None, :]).reshape(-1)] = grid.reshape(-1)
            col += n
        self.register_buffer("phi_to_kernel", src, persistent=False)
        try:
            self.head = Linear(self.hidden_type, self.phi_type, bias=True)
        except ValueError as e:
            raise ValueError(f"the kernel MLP cannot produce {self.out_type} <- {self.in_type} from harmonics up to L={L} "
                             f"({e}); raise L") from e
        self.log_sigma = torch.nn.Parameter(torch.tensor(math.log(sigma)))
        self.register_buffer("radial_centres", torch.linspace(0.0, 2.0 * sigma, n_radial), persistent=False)

    def _harmonic_ids(self, L: int) -> list[tuple]:
        return [J for (_, _, _, J, _) in harmonic_types(RingSpec((1.0,), (1.0,), (L,), self.gspace.dimensionality))]

    @property
    def sigma(self) -> torch.Tensor:
        """The learnable width ``s`` of the Gaussian shell."""
        return self.log_sigma.exp()

    def features(self, x: torch.Tensor, edge_attr: GeometricTensor | None = None) -> torch.Tensor:
        """The MLP's input field ``(E, in_mlp.size)``: radial features, edge attributes, harmonics."""
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] != self.d:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"ImplicitKernel: positions must have shape (E, {self.d}), got {got}")
        if (edge_attr is None) != (self.edge_attr_type is None):
            want = "None" if self.edge_attr_type is None else f"a GeometricTensor of {self.edge_attr_type}"
            raise ValueError(f"ImplicitKernel: edge_attr must be {want}, got {type(edge_attr).__name__}")
        r2 = (x * x).sum(1)
        r = torch.sqrt(r2.clamp(min=1e-24)) * (r2 > 1e-24)
        unit = x / torch.where(r2 > 1e-24, r, torch.ones_like(r))[:, None]
        w = self.radial_centres[1] if self.n_radial > 1 else self.sigma.detach()
        rad = torch.exp(-0.5 * ((r[:, None] - self.radial_centres.to(x)) / w.to(x)) ** 2)
        Y = sample_harmonics(self.spec, unit).T[:, 1:]  # unit vectors: the shell profile is exactly 1
        parts = [rad]
        if edge_attr is not None:
            if not isinstance(edge_attr, GeometricTensor) or edge_attr.type != self.edge_attr_type:
                got = edge_attr.type if isinstance(edge_attr, GeometricTensor) else type(edge_attr).__name__
                raise ValueError(f"ImplicitKernel: edge_attr must be a GeometricTensor of type {self.edge_attr_type}, got {got}")
            if edge_attr.tensor.shape != (x.shape[0], self.edge_attr_type.size):
                raise ValueError(f"ImplicitKernel: edge_attr must have shape ({x.shape[0]}, {self.edge_attr_type.size}), "
                                 f"got {tuple(edge_attr.tensor.shape)}")
            parts.append(edge_attr.tensor.to(x.dtype))
        parts.append(Y)
        return torch.cat(parts, 1)

    def forward(self, x: torch.Tensor, edge_attr: GeometricTensor | None = None) -> torch.Tensor:
        h = GeometricTensor(self.features(x, edge_attr), self.in_mlp)
        for layer in self.hidden:
            h = layer(h)
        phi = self.head(GeometricTensor(h.tensor, self.hidden_type)).tensor  # (E, phi.size)
        shell = torch.exp(-0.5 * (x * x).sum(1) / self.sigma.to(x.dtype) ** 2) / math.sqrt(self.in_type.size)
        k = phi[:, self.phi_to_kernel].reshape(x.shape[0], self.out_type.size, self.in_type.size)
        return k * shell[:, None, None]

    def extra_repr(self) -> str:
        return (f"{self.gspace.name}: {self.in_type} -> {self.out_type}, mlp on "
                f"{'O(d) restricted' if self.ambient else self.gspace.fibergroup.name}, L={self.L}")
