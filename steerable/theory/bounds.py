"""PAC-Bayes margin bounds: NBS18's and its equivariant (Fourier-domain) form.

**Provenance.**  The structure follows Neyshabur, Bhojanapalli & Srebro, "A PAC-Bayesian
approach to spectrally-normalized margin bounds for neural networks" (ICLR 2018, "NBS18"),
Lemma 1, Lemma 2 and the proof of Theorem 1.  The theorem of Behboodi, Cesa & Cohen (NeurIPS
2022, arXiv:2210.13150) could not be read here, so :func:`equivariant_bound` is **derived** below
from NBS18 with a perturbation restricted to the equivariant subspace; it is not a transcription
of that paper's statement or constants.  All constants are those of this derivation.

**Derivation.**  Network of ``L`` linear layers with operator norms ``beta_l``, 1-Lipschitz
positively homogeneous nonlinearities (ReLU; ELU and poolings are treated as such), batch
norms of Lipschitz product ``c_bn``, inputs ``||x||_2 <= B``, ``m`` samples, margin ``gamma > 0``.

1. (NBS18 Lemma 1) For any prior ``P`` and weights ``w``, if the perturbation ``u`` satisfies
   ``Pr_u[max_x |f_{w+u}(x) - f_w(x)|_inf < gamma/4] >= 1/2`` then with probability ``>= 1 - delta``
   ``L_0(f_w) <= L_gamma(f_w) + 4 sqrt((KL(w + u || P) + ln(6m/delta)) / (m - 1))``.
2. (NBS18 Lemma 2) If ``||U_l||_2 <= beta_l / L`` then
   ``|f_{w+u}(x) - f_w(x)|_2 <= e B c_bn prod_l beta_l sum_l ||U_l||_2 / beta_l``.
3. Rescale every layer to ``beta = (prod beta_l)^{1/L}`` (homogeneity; ``f`` unchanged).  Take
   ``u_l ~ N(0, sigma^2 I)`` on the layer's parameters ``theta_l`` (dense: every filter entry;
   equivariant: the steerable coefficients, so ``U_l`` is an intertwiner).  Tropp's Gaussian
   series bound ``P(||U_l|| >= t) <= D_l exp(-t^2/(2 sigma^2 v_l))`` with a union over layers gives,
   with probability ``>= 1/2``, ``||U_l|| <= sigma s_l`` for all ``l``, ``s_l = sqrt(2 v_l ln(2 L D_l))``
   (``v_l, D_l`` from :mod:`~steerable.theory.layers`; for a dense ``h x h`` layer this is NBS18's
   ``sqrt(2 h ln(4 L h))``).
4. ``sigma = gamma / (4 e B c_bn beta^{L-1} S)``, ``S = sum_l s_l``, makes the perturbation ``< gamma/4``; then
   ``KL = sum_l ||theta_l||^2 (beta/beta_l)^2 / (2 sigma^2) = 8 e^2 B^2 c_bn^2 S^2 prod_l beta_l^2 sum_l ||theta_l||^2/beta_l^2 / gamma^2``.
5. ``sigma`` may not depend on ``beta``: as in NBS18, take ``beta~`` from a grid of
   ``N = ceil(L m^{1/(2L)})`` values with ``|beta - beta~| <= beta/L`` (this costs a factor ``e^2`` in KL)
   and a union bound over the grid (``delta -> delta/N``).

Result (both functions)::

    L_0 <= L_gamma + 4 sqrt( (8 e^4 B^2 c_bn^2 S^2 prod_l beta_l^2 sum_l ||theta_l||^2/beta_l^2 / gamma^2
                              + ln(6 m N / delta)) / (m - 1) )

:func:`nbs18_bound` uses the dense ``theta_l`` (``||W_l||_F^2``) and dense ``v_l = K max(h_out, h_in K)``;
:func:`equivariant_bound` uses the steerable coefficients and ``v_l`` of the equivariant Gaussian, which
in the Fourier domain is ``K max_psi c_psi max(m_in,psi, m_out,psi)/d_psi`` for an orthonormal basis:
the multiplicities ``m_psi`` replace the width ``h = sum_psi m_psi d_psi``, which is why larger groups
(at fixed width, more of ``h`` sits in ``d_psi``) get a smaller term.  Biases are not covered (as in NBS18).

Example:
    >>> import torch
    >>> torch.manual_seed(0) and None
    >>> net = torch.nn.Sequential(torch.nn.Linear(4, 8, bias=False), torch.nn.ReLU(), torch.nn.Linear(8, 3, bias=False))
    >>> x, y = torch.randn(64, 4), torch.randint(0, 3, (64,))
    >>> b = nbs18_bound(net, (x, y), gamma=0.1, delta=0.05)
    >>> b.total > b.margin_loss and b.sample_size == 64
    True
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from .layers import LayerMeasure, measure_layers
from .margins import Data, iter_batches, margin_loss, margins

__all__ = ["BoundTerms", "nbs18_bound", "equivariant_bound", "margin_quantile", "bounds_from_layers"]


@dataclass(frozen=True)
class BoundTerms:
    """Every term of one bound (see the module docstring for the formula).

    Attributes:
        kind: ``'nbs18'`` or ``'equivariant'``.
        total: ``margin_loss + complexity``.
        margin_loss: ``L_gamma`` on the data; ``gamma``, ``delta``, ``sample_size`` (``m``), ``input_norm`` (``B``).
        complexity: ``4 sqrt((kl + log_term) / (m - 1))``: the bound on the generalisation gap.
        kl, log_term: ``KL`` and ``ln(6 m N / delta)``.
        norm_product: ``c_bn^2 prod_l beta_l^2``; ``sum_term``: ``sum_l ||theta_l||^2 / beta_l^2``;
        tail_term: ``S^2 = (sum_l s_l)^2``; ``depth``: ``L``; ``grid_size``: ``N``.
        lemma2_holds: whether ``gamma`` is small enough for NBS18's Lemma 2 condition (else the bound is not proven).
        non_equivariant_layers: layers measured with the dense terms.
        per_layer: ``(name, beta_l, ||theta_l||^2, s_l)`` rows.
    """

    kind: str
    total: float
    margin_loss: float
    complexity: float
    kl: float
    log_term: float
    norm_product: float
    sum_term: float
    tail_term: float
    gamma: float
    delta: float
    sample_size: int
    input_norm: float
    depth: int
    grid_size: int
    lemma2_holds: bool
    non_equivariant_layers: tuple[str, ...] = ()
    per_layer: tuple[tuple[str, float, float, float], ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check_prob(name: str, value: float) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0.0 < float(value) < 1.0:
        raise ValueError(f"{name} must be a number in (0, 1), got {value!r}")
    return float(value)


def margin_quantile(m: torch.Tensor, q: float) -> float:
    """``gamma`` = the ``q``-quantile of the margins ``m`` (``q`` in (0, 1)); must be positive."""
    q = _check_prob("margin quantile", q)
    if m.numel() == 0:
        raise ValueError("no margins: the data set is empty")
    gamma = float(torch.quantile(m.double(), q))
    if not gamma > 0:
        raise ValueError(f"the {q:g}-quantile of the margins is {gamma:.4g} <= 0 (too many misclassified points); "
                         "use a larger quantile or a better-trained model")
    return gamma


def bounds_from_layers(kind: str, layers: list[LayerMeasure], bn_lipschitz: float, input_norm: float, m: int,
                       gamma: float, delta: float, loss: float) -> BoundTerms:
    """The bound of the module docstring from measured layers (``kind`` ``'nbs18'`` or ``'equivariant'``)."""
    if kind not in ("nbs18", "equivariant"):
        raise ValueError(f"kind must be 'nbs18' or 'equivariant', got {kind!r}")
    delta = _check_prob("delta", delta)
    if not gamma > 0:
        raise ValueError(f"gamma must be > 0, got {gamma}")
    if m < 2:
        raise ValueError(f"the bound needs at least 2 samples, got {m}")
    if not layers:
        raise ValueError("no layers to bound")
    L = len(layers)
    rows = []
    S = 0.0
    for lay in layers:
        v, D = (lay.v_equiv, lay.D_equiv) if kind == "equivariant" else (lay.v_dense, lay.D_dense)
        theta = lay.param_sq if kind == "equivariant" else lay.dense_sq
        s = math.sqrt(2.0 * v * math.log(2.0 * L * D))
        S += s
        rows.append((lay.name, lay.spectral, theta, s))
    if any(r[1] <= 0 for r in rows):
        raise ValueError(f"layer {next(r[0] for r in rows if r[1] <= 0)!r} has zero operator norm: the network is constant")
    log_prod = 2 * math.log(bn_lipschitz) + sum(2 * math.log(r[1]) for r in rows)
    sum_term = sum(r[2] / r[1] ** 2 for r in rows)
    kl = math.exp(math.log(8 * math.e**4 * input_norm**2 * S**2 * sum_term / gamma**2) + log_prod)
    grid = math.ceil(L * m ** (1.0 / (2 * L)))
    log_term = math.log(6.0 * m * grid / delta)
    complexity = 4.0 * math.sqrt((kl + log_term) / (m - 1))
    beta = math.exp(log_prod / (2 * L))
    lemma2 = gamma <= 4 * math.e * input_norm * beta**L * S / (L * max(r[3] for r in rows))
    non_eq = tuple(lay.name for lay in layers if not lay.equivariant) if kind == "equivariant" else ()
    return BoundTerms(kind, loss + complexity, loss, complexity, kl, log_term, math.exp(log_prod), sum_term, S**2, gamma, delta,
                      m, input_norm, L, grid, bool(lemma2), non_eq, tuple(rows))


def _prepare(model: torch.nn.Module, data: Data, gamma: float, delta: float) -> tuple[list[LayerMeasure], float, float, int, float]:
    _check_prob("delta", delta)
    if not isinstance(gamma, (int, float)) or not gamma > 0:
        raise ValueError(f"gamma must be a positive number, got {gamma!r}")
    batches = [(x, y) for x, y in iter_batches(data) if len(y) > 0]
    if not batches:
        raise ValueError("the data set is empty: the bound needs at least two (input, label) pairs")
    B = max(float(x.double().flatten(1).norm(dim=1).max()) for x, _ in batches)
    m = margins(model, batches)
    layers, lip = measure_layers(model, batches[0][0][:8].float())
    return layers, lip, B, len(m), margin_loss(m, gamma)


def nbs18_bound(model: torch.nn.Module, data: Data, gamma: float, delta: float = 0.05) -> BoundTerms:
    """NBS18's spectrally-normalised margin bound with the constants of the module docstring.

    Args:
        model: any classifier; its linear layers are found by :func:`~steerable.theory.layers.measure_layers`.
        data: the training set, ``(x, y)`` tensors or an iterable of batches.
        gamma: the margin (> 0); delta: the confidence (in (0, 1)).

    Returns:
        :class:`BoundTerms` with every term.
    """
    layers, lip, B, m, loss = _prepare(model, data, gamma, delta)
    return bounds_from_layers("nbs18", layers, lip, B, m, gamma, delta, loss)


def equivariant_bound(model: torch.nn.Module, data: Data, gamma: float, delta: float = 0.05) -> BoundTerms:
    """The Fourier-domain (equivariant-perturbation) bound derived in the module docstring.

    Same arguments and return as :func:`nbs18_bound`; layers that are not steerable get the dense
    terms and are listed in ``non_equivariant_layers``.
    """
    layers, lip, B, m, loss = _prepare(model, data, gamma, delta)
    return bounds_from_layers("equivariant", layers, lip, B, m, gamma, delta, loss)
