"""The paper's regulariser over a model's likelihoods, and the likelihood profiles per layer.

For the distinct likelihoods ``lambda_0, ..., lambda_{n-1}`` of a model (in the order of the
layers that first use them, or of their ``layer_id`` when all have one):

    R = w_align sum_l (max_g f_l(g) - f_l(e))
        + w_kl sum_{l > 0} KL(lambda_l || sg[lambda_{l-1}])
        + w_uniform KL(lambda_0 || U),

``sg`` the stop-gradient (the previous layer is a fixed target): the alignment term makes the
identity the mode of every ``lambda``, the chain lets equivariance decrease smoothly with depth,
and the last term keeps the first layer near invariance.

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import FieldType
    >>> from steerable.partial import R2Conv, regularization
    >>> gs = rot2dOnR2(-1, maximum_frequency=2)
    >>> t = FieldType(gs, [gs.trivial_repr, gs.irrep(1)])
    >>> model = torch.nn.Sequential(R2Conv(t, t, 3), R2Conv(t, t, 3))
    >>> float(regularization(model))  # uniform likelihoods: nothing to pay
    0.0
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
import torch

from ..group import GroupElement
from .likelihood import GroupLikelihood, _pad

__all__ = ["likelihoods", "regularization", "LikelihoodProfile", "likelihood_profiles", "plot_likelihood_profiles"]


def likelihoods(model: torch.nn.Module) -> list[GroupLikelihood]:
    """The distinct :class:`GroupLikelihood` s of ``model``, first use first (by ``layer_id`` if all have one)."""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    seen: dict[int, GroupLikelihood] = {}
    for m in model.modules():
        if isinstance(m, GroupLikelihood) and id(m) not in seen:
            seen[id(m)] = m
    out = list(seen.values())
    ids = [lam.layer_id for lam in out]
    if out and all(i is not None for i in ids):
        try:
            out = sorted(out, key=lambda lam: lam.layer_id)
        except TypeError:  # ids of mixed types keep the order of use
            pass
    return out


def regularization(model: torch.nn.Module, w_align: float = 5.0, w_kl: float = 3.0, w_uniform: float = 3.0) -> torch.Tensor:
    """The regulariser ``R`` above (defaults: the paper's DDMNIST weights); a scalar tensor, ``0`` without likelihoods."""
    for name, w in (("w_align", w_align), ("w_kl", w_kl), ("w_uniform", w_uniform)):
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) or w < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {w!r}")
    lams = likelihoods(model)
    if not lams:
        return torch.zeros(())
    total = lams[0].theta.new_zeros(())
    if w_align:
        total = total + w_align * sum(lam.alignment() for lam in lams)
    if w_kl and len(lams) > 1:
        total = total + w_kl * sum(_kl_to_detached(lams[i], lams[i - 1]) for i in range(1, len(lams)))
    if w_uniform:
        total = total + w_uniform * lams[0].kl()
    return total


def _kl_to_detached(p: GroupLikelihood, q: GroupLikelihood) -> torch.Tensor:
    """``KL(p || sg[q])``: gradients reach ``p`` only."""
    wide = p.irreps if len(p.irreps) >= len(q.irreps) else q.irreps
    dp = _pad(p.theta, p._sizes, [psi.size for psi in wide])
    dq = _pad(q.theta.detach(), q._sizes, [psi.size for psi in wide])
    return p._coefficients(wide) @ (dp - dq.to(dp)) - p.log_partition() + q.log_partition().detach().to(dp)


class LikelihoodProfile(NamedTuple):
    """``lambda`` of one likelihood along rotation angles.

    ``angles`` (``(n,)``, radians in ``[0, 2 pi)``; for 3D groups the rotation angle of each grid
    element), ``values``: ``{coset: (n,) array}`` -- ``'rotation'`` and, for groups with
    reflections (O(2), D_N, O(3)), ``'reflection'`` (the same angles composed with the reflection).
    """

    name: str
    layer_id: Any
    group: str
    angles: np.ndarray
    values: dict[str, np.ndarray]
    entropy: float


def _planar_elements(lam: GroupLikelihood, n: int) -> tuple[np.ndarray, dict[str, list[GroupElement]]]:
    G = lam.group
    if not G.continuous:
        els = list(G.elements)
        if "(int, radians)" in G.parametrisations:
            vals = [g.to("(int, radians)") for g in els]
            cosets = {"rotation": [g for g, v in zip(els, vals) if v[0] == 0], "reflection": [g for g, v in zip(els, vals) if v[0] == 1]}
            angles = np.array([v[1] for v in vals if v[0] == 0]) % (2 * math.pi)
            order = np.argsort(angles)
            rot = [cosets["rotation"][i] for i in order]
            refl_by = {round(float(v[1]) % (2 * math.pi), 9): g for g, v in zip(els, vals) if v[0] == 1}
            refl = [refl_by[round(float(a), 9)] for a in angles[order]]
            return angles[order], {"rotation": rot, "reflection": refl}
        angles = np.array([float(g.to("radians")) for g in els]) % (2 * math.pi)
        order = np.argsort(angles)
        return angles[order], {"rotation": [els[i] for i in order]}
    angles = 2 * math.pi * np.arange(n) / n
    if "(int, radians)" in G.parametrisations:
        return angles, {"rotation": [G.element((0, a), "(int, radians)") for a in angles],
                        "reflection": [G.element((1, a), "(int, radians)") for a in angles]}
    return angles, {"rotation": [G.element(a, "radians") for a in angles]}


def _profile(lam: GroupLikelihood, name: str, n: int) -> LikelihoodProfile:
    G = lam.group
    with torch.no_grad():
        if "radians" in G.parametrisations or "(int, radians)" in G.parametrisations:
            angles, cosets = _planar_elements(lam, n)
            values = {k: lam(v).double().cpu().numpy() for k, v in cosets.items()}
        else:  # 3D: lambda on the grid against each element's rotation angle (angle-axis)
            mats = np.stack([np.asarray(g.to("MAT")) if "MAT" in G.parametrisations else np.eye(3) for g in lam.elements])
            det = np.linalg.det(mats)
            rot = mats * det[:, None, None]
            angles = np.arccos(np.clip((np.trace(rot, axis1=1, axis2=2) - 1) / 2, -1, 1))
            lamv = lam.density_on_grid().double().cpu().numpy()
            values = {"rotation": lamv[det > 0]}
            if (det < 0).any():
                values["reflection"] = lamv[det < 0]
            angles = angles[det > 0]
        return LikelihoodProfile(name, lam.layer_id, G.name, np.asarray(angles, dtype=np.float64), values,
                                 float(lam.entropy()))


def likelihood_profiles(model: torch.nn.Module | GroupLikelihood, n: int = 181) -> list[LikelihoodProfile]:
    """One :class:`LikelihoodProfile` per distinct likelihood of ``model`` (``n`` angles for continuous planar groups)."""
    if isinstance(model, GroupLikelihood):
        return [_profile(model, "likelihood", n)]
    names = {id(m): name for name, m in model.named_modules() if isinstance(m, GroupLikelihood)}
    return [_profile(lam, names.get(id(lam), f"likelihood{i}"), n) for i, lam in enumerate(likelihoods(model))]


def plot_likelihood_profiles(profiles: list[LikelihoodProfile], title: str = "") -> Any:
    """A matplotlib figure: ``lambda`` against the angle, one panel per likelihood (rotations solid,
    reflections dashed; 3D groups as a scatter against the rotation angle)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not profiles:
        raise ValueError("no likelihood profiles to plot (the model has no GroupLikelihood)")
    fig, axes = plt.subplots(1, len(profiles), figsize=(2.6 * len(profiles), 2.4), squeeze=False, sharey=True)
    for ax, p in zip(axes[0], profiles):
        for coset, style in (("rotation", "-"), ("reflection", "--")):
            if coset not in p.values:
                continue
            v = p.values[coset]
            if not p.group.startswith(("SO(3)", "O(3)")):
                ax.plot(np.degrees(p.angles), v, style, marker="." if len(v) < 40 else None, label=coset)
            else:
                ax.scatter(np.degrees(p.angles[: len(v)]), v, s=2, label=coset)
        ax.axhline(1.0, color="grey", lw=0.5)
        ax.set_title(f"{p.name}\nH={p.entropy:.2f}", fontsize=8)
        ax.set_xlabel("angle (deg)")
    axes[0][0].set_ylabel("lambda (Haar density)")
    if any("reflection" in p.values for p in profiles):
        axes[0][0].legend(fontsize=6)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig
