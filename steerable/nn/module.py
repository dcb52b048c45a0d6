"""Base class of equivariant layers.

An :class:`EquivariantModule` maps ``GeometricTensor`` s of ``in_type`` to ``out_type`` with

    layer(g . x) = g . layer(x)      for every g in the fibre group,

which :meth:`check_equivariance` verifies on the gspace's grid-exact elements.
"""
from __future__ import annotations

from abc import abstractmethod
from typing import Sequence

import torch

from ..group import GroupElement
from ._fields import field_slices
from ..gspaces.field_type import FieldType, GeometricTensor

__all__ = ["EquivariantModule", "EquivarianceError"]


class EquivarianceError(AssertionError):
    """Raised by :meth:`EquivariantModule.check_equivariance` when a check fails."""


class EquivariantModule(torch.nn.Module):
    """A ``torch.nn.Module`` on ``GeometricTensor`` s with ``in_type`` and ``out_type``."""

    in_type: FieldType
    out_type: FieldType

    @abstractmethod
    def forward(self, x: GeometricTensor) -> GeometricTensor: ...

    def _check_input(self, x: object) -> GeometricTensor:
        if not isinstance(x, GeometricTensor):
            raise TypeError(
                f"{type(self).__name__} expects a GeometricTensor of type {self.in_type}, got {type(x).__name__}; "
                "wrap tensors with GeometricTensor(tensor, field_type)"
            )
        if x.type != self.in_type:
            raise ValueError(f"{type(self).__name__} expects input type {self.in_type}, got {x.type}")
        return x

    def evaluate_output_shape(self, input_shape: Sequence[int]) -> tuple[int, ...]:
        """Output shape for an input of ``input_shape`` (default: channels change, rest kept)."""
        if len(input_shape) < 2 or input_shape[1] != self.in_type.size:
            raise ValueError(f"expected input shape (batch, {self.in_type.size}, ...), got {tuple(input_shape)}")
        return (input_shape[0], self.out_type.size, *input_shape[2:])

    @torch.no_grad()
    def check_equivariance(
        self,
        x: torch.Tensor | None = None,
        elements: Sequence[GroupElement] | None = None,
        atol: float = 1e-5,
        rtol: float = 1e-5,
        spatial: int | None = None,
        raise_on_fail: bool = True,
    ) -> list[tuple[GroupElement, float]]:
        """Compare ``layer(g.x)`` with ``g.layer(x)``; returns ``[(g, max_abs_error)]``.

        By default uses random input and the grid-exact ``testing_elements``; raises
        :class:`EquivarianceError` unless every error is within ``atol + rtol * max|layer(x)|``.

        A strided layer (convolution or pooling with stride ``s``, kernel ``k``, padding ``p``,
        dilation ``d``) commutes with rotations and flips of the grid only when it samples
        positions symmetric about the centre: ``(L + 2p - d(k - 1) - 1)`` divisible by ``s`` for
        its input length ``L``.  With ``spatial=None`` the smallest input size ``>= 9`` that
        satisfies this rule at every strided layer (followed through ``evaluate_output_shape``)
        is used; an explicit ``spatial`` is taken as given, and a failure message says when it
        breaks the rule.
        """
        was_training = self.training
        self.eval()
        try:
            # the module's device and (for generated input) dtype: parameters first, else buffers
            p = next(iter(self.parameters()), None)
            if p is None:
                p = next((b for b in self.buffers() if b.is_floating_point()), None)
            if x is None:
                d = self.in_type.gspace.dimensionality
                if spatial is None:
                    spatial = self._exact_input_size()
                x = torch.randn(2, self.in_type.size, *([spatial] * d), generator=torch.Generator().manual_seed(0))
                if p is not None:
                    x = x.to(dtype=p.dtype)
            if p is not None:
                x = x.to(device=p.device)
            gx = GeometricTensor(x, self.in_type)
            y = self(gx)
            elements = list(elements) if elements is not None else self.in_type.testing_elements
            errors = []
            for g in elements:
                y1 = self(gx.transform(g)).tensor
                y2 = y.transform(g).tensor
                errors.append((g, float((y1 - y2).abs().max())))
            scale = float(y.tensor.abs().max())
            bad = [(g, e) for g, e in errors if e > atol + rtol * scale]
            if bad and raise_on_fail:
                g_worst, e_worst = max(bad, key=lambda b: b[1])
                diff = (self(gx.transform(g_worst)).tensor - y.transform(g_worst).tensor).abs()
                per_field = [float(diff[:, sl].max()) for sl in field_slices(self.out_type)]
                worst_fields = sorted(range(len(per_field)), key=lambda i: -per_field[i])[:3]
                fields = ", ".join(f"{i} ({self.out_type.representations[i].name}: {per_field[i]:.3g})" for i in worst_fields)
                msg = (
                    f"{type(self).__name__} is not equivariant within atol={atol}, rtol={rtol} "
                    f"(output scale {scale:.3g}): worst error {e_worst:.3g} at {g_worst} "
                    f"({len(bad)} of {len(errors)} elements fail); worst output fields {fields}"
                )
                broken = self._stride_rule_violations(tuple(x.shape))
                if broken:
                    msg += (
                        f". The input size {tuple(x.shape[2:])} breaks the exact-stride rule at {'; '.join(broken)}: "
                        f"strided layers only commute with the grid symmetries for suitable sizes "
                        f"(try spatial={self._exact_input_size()} or leave spatial=None)"
                    )
                raise EquivarianceError(msg)
            return errors
        finally:
            self.train(was_training)

    def _stride_rule_violations(self, input_shape: tuple[int, ...]) -> list[str] | None:
        """Strided layers whose input length breaks the exact-stride rule, following the
        spatial size through the submodules in registration order; ``None`` when the modules'
        order cannot be followed (shapes do not chain)."""
        shape = tuple(input_shape)
        broken: list[str] = []
        for name, m in self.named_modules():
            if m is self or not isinstance(m, EquivariantModule) or any(isinstance(c, EquivariantModule) for c in m.children()):
                continue
            if len(shape) < 2 or shape[1] != m.in_type.size:
                return None
            stride = getattr(m, "stride", 1)
            stride = stride[0] if isinstance(stride, (tuple, list)) else stride
            if isinstance(stride, int) and stride > 1 and not getattr(m, "output_padding", 0) and hasattr(m, "kernel_size"):
                k, p, dil = (getattr(m, a, default) for a, default in (("kernel_size", 1), ("padding", 0), ("dilation", 1)))
                k, p, dil = (v[0] if isinstance(v, (tuple, list)) else v for v in (k, p, dil))
                for L in shape[2:]:
                    if (L + 2 * p - dil * (k - 1) - 1) % stride != 0:
                        broken.append(f"{name or type(m).__name__} (input length {L}, stride {stride}, kernel {k}, padding {p})")
                        break
            try:
                shape = m.evaluate_output_shape(shape)
            except (ValueError, NotImplementedError, TypeError):
                return None
        return broken

    def _exact_input_size(self, start: int = 9, tries: int = 64) -> int:
        """The smallest spatial size ``>= start`` for which no strided layer breaks the
        exact-stride rule (``start`` when the layers cannot be followed)."""
        d = self.in_type.gspace.dimensionality
        for n in range(start, start + tries):
            broken = self._stride_rule_violations((2, self.in_type.size, *([n] * d)))
            if broken is None:
                return start
            if not broken:
                return n
        return start

    def export(self) -> torch.nn.Module:
        """A plain ``torch.nn`` module computing the same function on raw tensors."""
        raise NotImplementedError(f"{type(self).__name__} has no export to plain PyTorch")
