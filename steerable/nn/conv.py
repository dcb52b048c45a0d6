"""Steerable convolutions on R^2 and R^3 (and their transposes).

The filter is ``sum_b w_b B_b`` over a steerable kernel basis (``steerable.kernels``), so

    conv(g . x) = g . conv(x)

for every ``g`` that maps the grid onto itself, exactly, and approximately otherwise.  In
training mode the filter is expanded from the coefficients at every call; in eval mode under
``torch.no_grad()`` / ``torch.inference_mode()`` it is cached until the coefficients change, so
inference costs exactly one ``conv2d``/``conv3d``; in eval mode with autograd on, the filter is
expanded with its graph, so gradients still reach the coefficients (and the input).
Changes are detected through the parameters' version counters (in-place ops,
``load_state_dict``, ``.to()``), and any expansion with autograd on drops the cache: gradients
(hence optimizer steps, including fused ones that do not bump version counters) reach the
coefficients only through such an expansion.  Writes through ``.data`` bypass both -- call
``.eval()`` again after such a write.  No process-wide state is involved.

The filter basis is a :class:`~steerable.kernels.ConvBasis` (``basis=``), which owns the
sampling grid, the radial profile and the coefficient layout; escnn's keyword arguments
(``sigma``, ``rings``, ``frequencies_cutoff``, ``maximum_offset``, ``basis_filter``, ...) build
the default :class:`~steerable.kernels.SteerableConvBasis`.
The cache is not part of the ``state_dict``: a model saved in one mode loads in the other.

Example:
    >>> import torch
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.nn import FieldType, GeometricTensor, R2Conv
    >>> gs = rot2dOnR2(4)
    >>> t = FieldType(gs, 2 * [gs.regular_repr])
    >>> conv = R2Conv(t, t, kernel_size=3, padding=1)
    >>> conv(GeometricTensor(torch.randn(1, 8, 9, 9), t)).shape
    torch.Size([1, 8, 9, 9])
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F

from ..kernels import ConvBasis, SteerableConvBasis
from .basis_expansion import BlocksBasisExpansion
from ..gspaces.field_type import FieldType
from ._fields import check_type_pair, trivial_block_columns
from ..gspaces.field_type import GeometricTensor
from .module import EquivariantModule

__all__ = ["R2Conv", "R3Conv", "R2ConvTransposed", "R3ConvTransposed"]


class _RdConv(EquivariantModule):
    _dim = 2
    _transposed = False

    def __init__(
        self,
        in_type: FieldType,
        out_type: FieldType,
        kernel_size: int,
        padding: int = 0,
        stride: int = 1,
        dilation: int = 1,
        padding_mode: str = "zeros",
        groups: int = 1,
        bias: bool = True,
        sigma: float | Sequence[float] | None = None,
        frequencies_cutoff: float | Callable[[float], float] | None = None,
        rings: Sequence[float] | None = None,
        maximum_offset: int | None = None,
        recompute: bool = False,
        basis_filter: Callable[[dict], bool] | None = None,
        initialize: bool = True,
        *,
        maximum_frequency: int | None = None,
        basis: ConvBasis | None = None,
        output_padding: int = 0,
    ) -> None:
        super().__init__()
        check_type_pair(in_type, out_type, self._dim, type(self).__name__)
        if not isinstance(kernel_size, int) or kernel_size < 1:
            raise ValueError(f"kernel_size must be a positive int, got {kernel_size!r}")
        if groups < 1 or len(in_type) % groups or len(out_type) % groups:
            raise ValueError(f"groups={groups} must divide the number of input ({len(in_type)}) and output ({len(out_type)}) fields")
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(f"padding_mode must be 'zeros', 'reflect', 'replicate' or 'circular', got {padding_mode!r}")
        # torch's transposed convolutions only zero-pad; silently ignoring the mode would change results
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f"{type(self).__name__} only supports padding_mode='zeros', got {padding_mode!r}")
        if not self._transposed and output_padding:
            raise ValueError(f"output_padding is only meaningful for transposed convolutions, got {output_padding!r}")
        self.in_type, self.out_type = in_type, out_type
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.groups, self.padding_mode, self.output_padding = groups, padding_mode, output_padding
        if groups > 1:
            gi = in_type.index_select(range(len(in_type) // groups))
            go = out_type.index_select(range(len(out_type) // groups))
            if any(in_type.index_select(range(k * len(gi), (k + 1) * len(gi))) != gi for k in range(groups)):
                raise ValueError("with groups > 1 every group of input fields must have the same field type")
            if any(out_type.index_select(range(k * len(go), (k + 1) * len(go))) != go for k in range(groups)):
                raise ValueError("with groups > 1 every group of output fields must have the same field type")
        else:
            gi, go = in_type, out_type
        if basis is None:
            basis = SteerableConvBasis(in_type.gspace, kernel_size, rings=rings, sigma=sigma, maximum_frequency=maximum_frequency,
                                       frequencies_cutoff=frequencies_cutoff, filter=basis_filter, maximum_offset=maximum_offset)
        else:
            given = {k: v for k, v in dict(sigma=sigma, rings=rings, maximum_frequency=maximum_frequency,
                                           frequencies_cutoff=frequencies_cutoff, basis_filter=basis_filter,
                                           maximum_offset=maximum_offset).items() if v is not None}
            if given:
                raise ValueError(f"pass either basis= or the arguments that build the default basis, not both (got {sorted(given)})")
            if not isinstance(basis, ConvBasis):
                raise TypeError(f"basis must be a steerable.kernels.ConvBasis, got {type(basis).__name__}")
            if basis.kernel_shape != (kernel_size,) * self._dim:
                raise ValueError(f"kernel_size={kernel_size} but the basis samples a {basis.kernel_shape} grid")
        self.basisexpansion = BlocksBasisExpansion(gi, go, basis)
        self.weights = torch.nn.Parameter(torch.zeros(groups * self.basisexpansion.dimension))
        self._bias_expansion64 = torch.from_numpy(trivial_block_columns(go))
        self.register_buffer("bias_expansion", self._bias_expansion64.float(), persistent=False)
        if bias and self.bias_expansion.shape[1] > 0:
            self.bias = torch.nn.Parameter(torch.zeros(groups * self.bias_expansion.shape[1]))
        else:
            self.register_parameter("bias", None)
        self._cache: tuple | None = None
        # escnn's flag: expand the filter at every call in eval mode too (no cache)
        self.recompute = bool(recompute)
        if initialize:
            self.reset_parameters()

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        d = self.basisexpansion.dimension
        for k in range(self.groups):
            self.basisexpansion.initialize(self.weights.data[k * d : (k + 1) * d], generator)
        if self.bias is not None:
            with torch.no_grad():
                self.bias.zero_()
        self._cache = None

    # ------------------------------------------------------------------ filter
    @property
    def basis(self) -> ConvBasis:
        """The convolution basis the filter is expanded in."""
        return self.basisexpansion.basis

    def expand_parameters(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(filter, bias)`` as a plain ``conv`` would take them."""
        if torch.is_grad_enabled():
            # gradients reach the coefficients only through an expansion with autograd on; an
            # optimizer step (fused ones bump no version counter) may follow, so the cache goes
            self._cache = None
        d = self.basisexpansion.dimension
        if self.groups == 1:
            filt = self.basisexpansion(self.weights)
        else:  # all groups at once (depthwise-per-field convolutions have hundreds)
            filt = self.basisexpansion(self.weights.view(self.groups, d)).flatten(0, 1)
        if self._transposed:
            # conv_transpose takes (in, out / groups, ...): transpose each group's block
            o, i = filt.shape[0] // self.groups, filt.shape[1]
            filt = filt.reshape(self.groups, o, i, *filt.shape[2:]).transpose(1, 2).reshape(self.groups * i, o, *filt.shape[2:])
        bias = None
        if self.bias is not None:
            nb = self.bias_expansion.shape[1]
            E = self.bias_expansion.to(self.bias.dtype)
            bias = torch.cat([E @ self.bias[k * nb : (k + 1) * nb] for k in range(self.groups)])
        return filt, bias

    def _filter(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self.training:
            self._cache = None
            return self.expand_parameters()
        if torch.is_grad_enabled() or self.recompute:
            # eval mode with autograd on (fine-tuning with frozen normalisation, input
            # gradients...): the cached filter is detached, and may be an inference tensor that
            # autograd refuses to save, so expand (with the graph) instead of using the cache
            return self.expand_parameters()
        # keyed on the parameters' version counters; an optimizer step that bumps none (fused kernels)
        # between a no_grad eval forward and the next one is the one ordering this cannot see: call
        # .train() or .eval() again after such a step (either drops the cache)
        key = (self.weights._version, self.weights.data_ptr(), self.weights.dtype, self.weights.device,
               None if self.bias is None else (self.bias._version, self.bias.data_ptr()))
        if self._cache is None or self._cache[0] != key:
            with torch.no_grad():
                self._cache = (key, *self.expand_parameters())
        return self._cache[1], self._cache[2]

    @property
    def filter(self) -> torch.Tensor:
        """The expanded filter a plain ``conv`` would take (escnn's attribute); in eval mode
        under ``no_grad`` it is the cached one."""
        return self._filter()[0]

    def train(self, mode: bool = True) -> "_RdConv":
        self._cache = None
        return super().train(mode)

    def _apply(self, fn, recurse: bool = True):  # .to(), .cuda(), .double() invalidate the cache
        self._cache = None
        super()._apply(fn, recurse)
        if self.bias_expansion.dtype == torch.float64:
            self.bias_expansion = self._bias_expansion64.to(self.bias_expansion.device)
        return self

    # ------------------------------------------------------------------ forward
    def forward(self, x: GeometricTensor) -> GeometricTensor:
        x = self._check_input(x)
        t = x.tensor
        if t.dim() != 2 + self._dim:
            # torch would read a 3-dim tensor as an unbatched image and fail on the channels
            raise ValueError(
                f"{type(self).__name__} expects a tensor of shape (batch, {self.in_type.size}, {self._dim} spatial axes), "
                f"got {tuple(t.shape)}"
            )
        filt, bias = self._filter()
        if filt.dtype != t.dtype:
            filt = filt.to(t.dtype)
            bias = None if bias is None else bias.to(t.dtype)
        return GeometricTensor(self._conv(t, filt, bias), self.out_type)

    def _conv(self, t: torch.Tensor, filt: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        if self._transposed:
            fn = F.conv_transpose2d if self._dim == 2 else F.conv_transpose3d
            return fn(t, filt, bias, self.stride, self.padding, self.output_padding, self.groups, self.dilation)
        fn = F.conv2d if self._dim == 2 else F.conv3d
        if self.padding_mode != "zeros" and self.padding:
            t = F.pad(t, [self.padding] * (2 * self._dim), mode=self.padding_mode)
            return fn(t, filt, bias, self.stride, 0, self.dilation, self.groups)
        return fn(t, filt, bias, self.stride, self.padding, self.dilation, self.groups)

    def evaluate_output_shape(self, input_shape: Sequence[int]) -> tuple[int, ...]:
        super().evaluate_output_shape(input_shape)
        k = self.dilation * (self.kernel_size - 1) + 1
        if self._transposed:
            sp = [(n - 1) * self.stride - 2 * self.padding + k + self.output_padding for n in input_shape[2:]]
        else:
            sp = [(n + 2 * self.padding - k) // self.stride + 1 for n in input_shape[2:]]
        return (input_shape[0], self.out_type.size, *sp)

    def export(self) -> torch.nn.Module:
        """The equivalent ``torch.nn.Conv{2,3}d`` / ``ConvTranspose{2,3}d`` with the expanded filter."""
        filt, bias = self.expand_parameters()
        cls = {(2, False): torch.nn.Conv2d, (3, False): torch.nn.Conv3d,
               (2, True): torch.nn.ConvTranspose2d, (3, True): torch.nn.ConvTranspose3d}[(self._dim, self._transposed)]
        kw: dict[str, Any] = dict(stride=self.stride, padding=self.padding, dilation=self.dilation, groups=self.groups,
                                  bias=bias is not None, device=filt.device, dtype=filt.dtype)
        if self._transposed:
            kw["output_padding"] = self.output_padding
        else:
            kw["padding_mode"] = self.padding_mode
        conv = cls(self.in_type.size, self.out_type.size, self.kernel_size, **kw)
        with torch.no_grad():
            conv.weight.copy_(filt)
            if bias is not None:
                conv.bias.copy_(bias)
        return conv

    def extra_repr(self) -> str:
        s = f"{self.in_type} -> {self.out_type}, kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        if self.dilation != 1:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        return s + f", bias={self.bias is not None}, coefficients={self.weights.numel()}"


_ARGS_DOC = """
    Args:
        in_type, out_type: the input and output field types (same gspace on R^{d}).
        kernel_size: the filter's side (odd sizes keep the grid symmetric about the centre).
        padding, stride, dilation, padding_mode, groups, bias: as in ``torch.nn.Conv{d}d``
            (``bias`` only on the trivial components of the output, the only ones that can carry one).
        sigma, frequencies_cutoff, rings, maximum_offset, basis_filter: build the default basis
            :class:`~steerable.kernels.SteerableConvBasis` (ring widths, highest frequency per
            ring radius, ring radii, aliasing offset bound, element predicate); ``None``: defaults.
        recompute: expand the filter at every call in eval mode too (no cache).
        initialize: He-like initialisation of the coefficients (else zeros).
        maximum_frequency: cap on the angular frequency of the default basis (keyword only).
        basis: a :class:`~steerable.kernels.ConvBasis` that owns grid, radial profile and
            coefficient layout, instead of the arguments that build the default one (keyword only).

    Shape:
        input ``(B, in_type.size, *S)``, output ``(B, out_type.size, *S')`` with
        ``S' = floor((S + 2 padding - dilation (kernel_size - 1) - 1) / stride) + 1``
        (transposed: ``S' = (S - 1) stride - 2 padding + dilation (kernel_size - 1) + output_padding + 1``).
"""


class R2Conv(_RdConv):
    __doc__ = ("""Steerable 2D convolution: ``y = k * x`` with ``k = sum_b w_b K_b`` over a steerable basis, so
    that ``R2Conv(g x) = g R2Conv(x)`` for every grid-exact ``g`` (approximately for others).
    """ + _ARGS_DOC.format(d=2) + """
    Example:
        >>> import torch
        >>> from steerable.gspaces import rot2dOnR2
        >>> from steerable.nn import FieldType, GeometricTensor, R2Conv
        >>> gs = rot2dOnR2(8)
        >>> t = FieldType(gs, [gs.regular_repr])
        >>> R2Conv(t, t, 5, padding=2)(GeometricTensor(torch.randn(1, 8, 9, 9), t)).shape
        torch.Size([1, 8, 9, 9])
    """)

    _dim = 2


class R3Conv(_RdConv):
    __doc__ = ("""Steerable 3D convolution between field types on a gspace over R^3 (see :class:`R2Conv`).
    """ + _ARGS_DOC.format(d=3))

    _dim = 3

    def __init__(
        self,
        in_type: FieldType,
        out_type: FieldType,
        kernel_size: int,
        padding: int = 0,
        stride: int = 1,
        dilation: int = 1,
        padding_mode: str = "zeros",
        groups: int = 1,
        bias: bool = True,
        sigma: float | Sequence[float] | None = None,
        frequencies_cutoff: float | Callable[[float], float] | None = None,
        rings: Sequence[float] | None = None,
        recompute: bool = False,
        basis_filter: Callable[[dict], bool] | None = None,
        initialize: bool = True,
        *,
        maximum_offset: int | None = None,
        maximum_frequency: int | None = None,
        basis: ConvBasis | None = None,
    ) -> None:
        # escnn's positional order on R^3 has no maximum_offset (keyword only here)
        super().__init__(in_type, out_type, kernel_size, padding=padding, stride=stride, dilation=dilation,
                         padding_mode=padding_mode, groups=groups, bias=bias, sigma=sigma,
                         frequencies_cutoff=frequencies_cutoff, rings=rings, maximum_offset=maximum_offset,
                         recompute=recompute, basis_filter=basis_filter, initialize=initialize,
                         maximum_frequency=maximum_frequency, basis=basis)


class _RdConvTransposed(_RdConv):
    _transposed = True

    def __init__(
        self,
        in_type: FieldType,
        out_type: FieldType,
        kernel_size: int,
        padding: int = 0,
        output_padding: int = 0,
        stride: int = 1,
        dilation: int = 1,
        groups: int = 1,
        bias: bool = True,
        sigma: float | Sequence[float] | None = None,
        frequencies_cutoff: float | Callable[[float], float] | None = None,
        rings: Sequence[float] | None = None,
        maximum_offset: int | None = None,
        recompute: bool = False,
        basis_filter: Callable[[dict], bool] | None = None,
        initialize: bool = True,
        *,
        maximum_frequency: int | None = None,
        basis: ConvBasis | None = None,
        padding_mode: str = "zeros",
    ) -> None:
        # padding_mode is accepted so that a mode torch's transposed convolutions cannot honour
        # gets a clear error rather than a TypeError
        super().__init__(in_type, out_type, kernel_size, padding=padding, stride=stride, dilation=dilation, groups=groups,
                         padding_mode=padding_mode,
                         bias=bias, sigma=sigma, frequencies_cutoff=frequencies_cutoff, rings=rings,
                         maximum_offset=maximum_offset, recompute=recompute, basis_filter=basis_filter,
                         initialize=initialize, maximum_frequency=maximum_frequency, basis=basis,
                         output_padding=output_padding)


class R2ConvTransposed(_RdConvTransposed):
    __doc__ = ("""Steerable transposed 2D convolution (upsampling), in escnn's argument order.
    """ + _ARGS_DOC.format(d=2))

    _dim = 2


class R3ConvTransposed(_RdConvTransposed):
    __doc__ = ("""Steerable transposed 3D convolution, in escnn's argument order.
    """ + _ARGS_DOC.format(d=3))

    _dim = 3
