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
from .field_type import FieldType
from .field_type import GeometricTensor

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
        spatial: int = 9,
        raise_on_fail: bool = True,
    ) -> list[tuple[GroupElement, float]]:
        """Compare ``layer(g.x)`` with ``g.layer(x)``; returns ``[(g, max_abs_error)]``.

        By default uses random input of spatial size ``spatial`` and the grid-exact
        ``testing_elements``; raises :class:`EquivarianceError` unless every error is within
        ``atol + rtol * max|layer(x)|``.
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
                raise EquivarianceError(
                    f"{type(self).__name__} is not equivariant within atol={atol}, rtol={rtol} "
                    f"(output scale {scale:.3g}): worst {max(e for _, e in bad):.3g} at {bad[0][0]}"
                )
            return errors
        finally:
            self.train(was_training)

    def export(self) -> torch.nn.Module:
        """A plain ``torch.nn`` module computing the same function on raw tensors."""
        raise NotImplementedError(f"{type(self).__name__} has no export to plain PyTorch")
