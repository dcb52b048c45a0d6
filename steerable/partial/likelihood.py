"""A learnable likelihood over a compact group, parametrised by band-limited Fourier coefficients.

Let ``G`` be a compact group with normalised Haar measure ``dg`` and real irreps ``psi``.  A
:class:`GroupLikelihood` holds coefficients ``theta_psi`` (``d_psi x d_psi`` matrices) for the
irreps of frequency ``<= L`` (the band limit) of an unnormalised log-density

    f(g) = sum_{psi <= L} tr(theta_psi^T psi(g)),

and the likelihood is its normalised exponential, a density with respect to ``dg``:

    lambda(g) = exp f(g) / Z,       Z = int_G exp f(g) dg,       int_G lambda(g) dg = 1.

The integral is a quadrature ``sum_i w_i h(g_i)`` on a grid of elements whose weights are exact
for every band-limited function of frequency ``<= B`` (``B >= L_out``): all elements with
weight ``1/|G|`` for a finite group, the uniform grid on ``SO(2)``/``O(2)``, and a near-uniform
grid with weights corrected by least squares on ``SO(3)``/``O(3)`` and other continuous groups.
``log Z`` is taken with max-subtraction.  ``theta_trivial = 1`` and every other coefficient ``0``
at initialisation, so ``lambda = 1`` (uniform) and a layer that uses it starts fully equivariant.

The Fourier coefficients of ``lambda`` are ``hat lambda(psi) = int_G lambda(g) psi(g) dg``
(``psi`` of frequency ``<= L_out``, the output band limit); uniform ``lambda`` gives
``hat lambda(trivial) = 1`` and ``0`` elsewhere, ``lambda = delta_e`` gives ``I`` for every
``psi``.  Entropy and KL follow from Parseval, ``int p f_q = sum_psi <hat p(psi), theta_q,psi>``:

    KL(p || q) = <hat p, theta_p - theta_q> - log Z_p + log Z_q,      H(p) = log Z_p - <hat p, theta_p>,

``H <= 0`` with equality only for uniform ``lambda`` (entropy relative to the Haar measure).

Example:
    >>> from steerable.group import so2_group
    >>> lam = GroupLikelihood(so2_group(), band_limit=2)
    >>> g = so2_group().element(0.3)
    >>> float(lam(g))  # uniform at initialisation
    1.0
"""
from __future__ import annotations

from typing import Any, Hashable, Sequence

import numpy as np
import torch

from ..group import Group, GroupElement, IrreducibleRepresentation
from ..gspaces import GSpace

__all__ = ["GroupLikelihood", "LikelihoodSet", "quadrature", "band_limited_irreps", "max_frequency"]


def max_frequency(G: Group) -> int | None:
    """The largest irrep frequency of a finite group (``None``: unbounded, a continuous group)."""
    if G.continuous:
        return None
    return max(int(psi.attributes.get("frequency", 0)) for psi in G.irreps())


def band_limited_irreps(G: Group, L: int, name: str = "band_limit") -> list[IrreducibleRepresentation]:
    """The irreps of ``G`` of frequency ``<= L``, trivial first; ``ValueError`` above the group's maximum."""
    if isinstance(L, bool) or not isinstance(L, (int, np.integer)) or L < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {L!r}")
    top = max_frequency(G)
    if top is not None and L > top:
        raise ValueError(f"{name}={L} is above the maximum frequency {top} of {G.name}")
    irreps = G.irreps_up_to(int(L))
    triv = G.trivial_representation
    return [triv] + [psi for psi in irreps if psi.id != triv.id]


def _default_grid(G: Group, B: int) -> tuple[list[GroupElement], np.ndarray | None]:
    """The default grid and its prior weights (``None``: uniform)."""
    if not G.continuous:
        return list(G.elements), None
    kinds = G.grid_kinds
    if "regular" in kinds:
        # a uniform circle grid integrates frequencies < N exactly; O(2)'s grid has N rotations per coset
        return G.grid("regular", max(64, 2 * B + 2)), None
    euler = _euler_grid(G, max(8, B + 4))
    if euler is not None:
        return euler
    n_constraints = sum(psi.size ** 2 for psi in band_limited_irreps(G, B))
    kind = next(k for k in ("hopf", "fibonacci", "thomson", "rand") if k in kinds)
    return G.grid(kind, max(2048, 4 * n_constraints)), None


def _euler_grid(G: Group, n: int) -> tuple[list[GroupElement], np.ndarray] | None:
    """SO(3) (and both cosets of O(3)): ``2n x n x 2n`` ZYZ Euler angles, Gauss-Legendre in ``cos beta``.

    With the Gauss weights (returned) it integrates ``D^l`` exactly for ``l < n``; ``None`` for
    groups without a ZYZ parametrisation.
    """
    if "ZYZ" in G.parametrisations:
        param, cosets = "ZYZ", [None]
    elif "(int, ZYZ)" in G.parametrisations:
        param, cosets = "(int, ZYZ)", [0, 1]
    else:
        return None
    key = ("partial-euler-grid", n)  # the group's own cache: built once per group instance
    if key not in G._cache:
        G._cache[key] = _build_euler_grid(G, n, param, cosets)
    return G._cache[key]


def _build_euler_grid(G: Group, n: int, param: str, cosets: list) -> tuple[list[GroupElement], np.ndarray]:
    x, wx = np.polynomial.legendre.leggauss(n)
    ang = 2 * np.pi * np.arange(2 * n) / (2 * n)
    out, weights = [], []
    for c in cosets:
        for a in ang:
            for b, wb in zip(np.arccos(x), wx):
                for g in ang:
                    v = np.array([a, b, g])
                    out.append(G.element(v if c is None else (c, v), param))
                    weights.append(wb)
    w = np.asarray(weights)
    return out, w / w.sum()


def quadrature(G: Group, B: int, grid: Sequence[GroupElement] | int | None = None) -> tuple[list[GroupElement], np.ndarray]:
    """``(elements, weights)`` with ``sum_i w_i psi(g_i) = int_G psi dg`` for every irrep of frequency ``<= B``.

    The weights are the uniform ones (or the default grid's own quadrature weights) plus their least-norm correction onto these constraints;
    ``ValueError`` if the grid is too small to meet them (residual above ``1e-10``).
    """
    irreps = band_limited_irreps(G, B, "quadrature band")
    prior = None
    if grid is None:
        elements, prior = _default_grid(G, B)
    elif isinstance(grid, (int, np.integer)) and not isinstance(grid, bool):
        if not G.continuous:
            raise ValueError(f"{G.name} is finite: its grid is all its elements, got grid={grid}")
        kind = "regular" if "regular" in G.grid_kinds else next(k for k in ("hopf", "fibonacci", "thomson", "rand") if k in G.grid_kinds)
        elements = G.grid(kind, int(grid))
    else:
        elements = list(grid)
        for g in elements:
            G._check_element(g)
    if not elements:
        raise ValueError("the quadrature grid is empty")
    n = len(elements)
    A = _irrep_rows(G, irreps, elements)  # (sum d^2, n)
    target = np.zeros(A.shape[0])
    target[0] = 1.0  # int psi dg = 0 for non-trivial irreps, 1 for the trivial one
    w = np.full(n, 1.0 / n) if prior is None else prior
    w = w + np.linalg.lstsq(A, target - A @ w, rcond=None)[0]
    err = np.abs(A @ w - target).max()
    if err > 1e-10:
        raise ValueError(f"a grid of {n} elements of {G.name} cannot integrate frequencies <= {B} exactly "
                         f"(residual {err:.2g}); pass a larger grid")
    return elements, w


def _irrep_rows(G: Group, irreps: Sequence[IrreducibleRepresentation], elements: Sequence[GroupElement]) -> np.ndarray:
    """``(sum_psi d_psi^2, n)``: the flattened matrices ``psi(g_i)`` of each irrep, stacked."""
    values = [g.value for g in elements]
    return np.concatenate([G._irrep_matrices(psi.id, values).reshape(len(values), -1).T for psi in irreps], 0)


class GroupLikelihood(torch.nn.Module):
    """A learnable density ``lambda = exp f / Z`` on a compact group (see the module docstring).

    Args:
        group: the group ``G`` (or a gspace, whose fibre group is taken).
        band_limit: ``L``, the highest frequency of the coefficients ``theta`` of ``f``.
        grid: the quadrature grid: ``None`` (the group's default), a number of elements (continuous
            groups) or a list of elements.
        layer_id: a label, the key under which :class:`LikelihoodSet` shares one likelihood
            between layers, and the order of :func:`~steerable.partial.regularization`'s chain.
        output_band_limit: ``L_out``, the highest frequency of the coefficients ``hat lambda``
            that the relaxed layers use (default ``band_limit``).

    Calling it on an element or a list of ``n`` elements gives ``lambda`` there: a scalar tensor
    or shape ``(n,)``.

    Example:
        >>> from steerable.group import o2_group
        >>> lam = GroupLikelihood(o2_group(), band_limit=2)
        >>> sorted(lam.fourier())[:2]
        [(0, 0), (1, 0)]
    """

    def __init__(self, group: Group | GSpace, band_limit: int = 2, grid: Sequence[GroupElement] | int | None = None,
                 layer_id: Hashable | None = None, output_band_limit: int | None = None) -> None:
        super().__init__()
        G = group.fibergroup if isinstance(group, GSpace) else group
        if not isinstance(G, Group):
            raise TypeError(f"group must be a steerable Group or GSpace, got {type(group).__name__}")
        self.group, self.layer_id = G, layer_id
        self.band_limit = int(band_limit) if not isinstance(band_limit, bool) and isinstance(band_limit, (int, np.integer)) else band_limit
        self.irreps = band_limited_irreps(G, band_limit, "band_limit")
        L_out = self.band_limit if output_band_limit is None else output_band_limit
        self.output_irreps = band_limited_irreps(G, L_out, "output_band_limit")
        self.output_band_limit = int(L_out)
        top = max_frequency(G)
        B = max(self.band_limit, self.output_band_limit)
        B = B if top is None else min(2 * B, top)
        if top is None:
            B = 2 * B
        self.elements, w = quadrature(G, B, grid)
        self._sizes = [psi.size for psi in self.irreps]
        self._out_sizes = [psi.size for psi in self.output_irreps]
        theta = torch.zeros(sum(d * d for d in self._sizes), dtype=torch.float64)
        theta[0] = 1.0
        self.theta = torch.nn.Parameter(theta.float())
        # the quadrature weights and the irreps on the grid: f = theta @ Psi, hat lambda = Phi @ (w lambda)
        self._f64 = {"weights": torch.from_numpy(w),
                     "psi_grid": torch.from_numpy(_irrep_rows(G, self.irreps, self.elements)),
                     "phi_grid": torch.from_numpy(_irrep_rows(G, self.output_irreps, self.elements))}
        for name, value in self._f64.items():
            self.register_buffer(name, value.float(), persistent=False)
        self._identity = torch.from_numpy(_irrep_rows(G, self.irreps, [G.identity])[:, 0])

    def _apply(self, fn, recurse: bool = True):
        # derived buffers in float64 come from the float64 originals, not from widened float32 ones
        super()._apply(fn, recurse)
        for name, value in self._f64.items():
            buf = getattr(self, name)
            if buf.dtype == torch.float64:
                setattr(self, name, value.to(buf.device))
        return self

    # ------------------------------------------------------------------ the density
    def logits(self, elements: GroupElement | Sequence[GroupElement] | None = None) -> torch.Tensor:
        """``f`` on ``elements`` (``None``: the quadrature grid), shape ``(n,)``."""
        if elements is None:
            return self.theta @ self.psi_grid
        els = [elements] if isinstance(elements, GroupElement) else list(elements)
        for g in els:
            if not isinstance(g, GroupElement) or g.group != self.group:
                got = g.group.name if isinstance(g, GroupElement) else type(g).__name__
                raise ValueError(f"expected elements of {self.group.name}, got {got}")
        rows = torch.from_numpy(_irrep_rows(self.group, self.irreps, els)).to(self.theta)
        return self.theta @ rows

    def log_partition(self) -> torch.Tensor:
        """``log Z = log sum_i w_i exp f(g_i)``, with max-subtraction."""
        f = self.logits()
        m = f.max().detach()
        return m + torch.log((self.weights.to(f) * torch.exp(f - m)).sum())

    def density_on_grid(self) -> torch.Tensor:
        """``lambda`` on the quadrature grid, shape ``(n,)`` (``sum_i w_i lambda_i = 1``)."""
        return torch.exp(self.logits() - self.log_partition())

    def forward(self, elements: GroupElement | Sequence[GroupElement]) -> torch.Tensor:
        lam = torch.exp(self.logits(elements) - self.log_partition())
        return lam[0] if isinstance(elements, GroupElement) else lam

    # ------------------------------------------------------------------ Fourier domain
    def fourier_flat(self) -> torch.Tensor:
        """``hat lambda(psi)`` for the output irreps, flattened and concatenated (row-major)."""
        lam = self.density_on_grid()
        return self.phi_grid.to(lam) @ (self.weights.to(lam) * lam)

    def fourier(self) -> dict[tuple, torch.Tensor]:
        """``{irrep id: hat lambda(psi)}`` (``d_psi x d_psi``) for the irreps of frequency ``<= L_out``."""
        flat, out, p = self.fourier_flat(), {}, 0
        for psi, d in zip(self.output_irreps, self._out_sizes):
            out[psi.id] = flat[p : p + d * d].reshape(d, d)
            p += d * d
        return out

    def _coefficients(self, irreps: Sequence[IrreducibleRepresentation]) -> torch.Tensor:
        """``hat lambda`` flattened for ``irreps`` (the band of ``theta`` or a wider one)."""
        lam = self.density_on_grid()
        rows = self.psi_grid if irreps is self.irreps else torch.from_numpy(_irrep_rows(self.group, irreps, self.elements))
        return rows.to(lam) @ (self.weights.to(lam) * lam)

    def entropy(self) -> torch.Tensor:
        """``H = -int lambda log lambda dg = log Z - <hat lambda, theta>`` (``<= 0``, ``0`` iff uniform)."""
        return self.log_partition() - self._coefficients(self.irreps) @ self.theta

    def kl(self, other: "GroupLikelihood | None" = None) -> torch.Tensor:
        """``KL(self || other)`` in the Fourier domain; ``other=None``: the uniform density (``= -H``)."""
        if other is None:
            return -self.entropy()
        if not isinstance(other, GroupLikelihood):
            raise TypeError(f"other must be a GroupLikelihood or None, got {type(other).__name__}")
        if other.group != self.group:
            raise ValueError(f"KL between likelihoods on different groups: {self.group.name} and {other.group.name}")
        wide = self.irreps if len(self.irreps) >= len(other.irreps) else other.irreps
        dp, dq = (_pad(t.theta, t._sizes, [psi.size for psi in wide]) for t in (self, other))
        return self._coefficients(wide) @ (dp - dq.to(dp)) - self.log_partition() + other.log_partition().to(dp)

    def alignment(self) -> torch.Tensor:
        """``max_g f(g) - f(e) >= 0`` over the grid (``0`` when the identity is the mode)."""
        return self.logits().max() - self.theta @ self._identity.to(self.theta)

    def extra_repr(self) -> str:
        return (f"{self.group.name}, band_limit={self.band_limit}, output_band_limit={self.output_band_limit}, "
                f"grid={len(self.elements)}, layer_id={self.layer_id!r}")


def _pad(theta: torch.Tensor, sizes: Sequence[int], wide: Sequence[int]) -> torch.Tensor:
    """``theta`` on the first irreps of a wider band (the band-limited irreps are nested, trivial first)."""
    n = sum(d * d for d in wide)
    return torch.cat([theta, theta.new_zeros(n - theta.numel())]) if n > theta.numel() else theta


class LikelihoodSet(torch.nn.ModuleDict):
    """One :class:`GroupLikelihood` per ``layer_id``: layers that ask for the same id share it.

    Args:
        group: the group (or gspace) of every likelihood in the set.
        band_limit, output_band_limit, grid: as :class:`GroupLikelihood`.

    Example:
        >>> from steerable.group import so2_group
        >>> bank = LikelihoodSet(so2_group())
        >>> bank.get(0) is bank.get(0), bank.get(0) is bank.get(1)
        (True, False)
    """

    def __init__(self, group: Group | GSpace, band_limit: int = 2, output_band_limit: int | None = None,
                 grid: Sequence[GroupElement] | int | None = None) -> None:
        super().__init__()
        self._args: dict[str, Any] = dict(group=group, band_limit=band_limit, output_band_limit=output_band_limit, grid=grid)
        GroupLikelihood(**self._args)  # validate the arguments now, not at the first get()

    def get(self, layer_id: Hashable) -> GroupLikelihood:  # type: ignore[override]
        """The likelihood of ``layer_id`` (created on first use)."""
        key = str(layer_id)
        if key not in self:
            self[key] = GroupLikelihood(layer_id=layer_id, **self._args)
        return self[key]
