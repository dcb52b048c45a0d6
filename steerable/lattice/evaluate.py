"""Side-by-side scores of lattice reducers: mean log defect and wall-clock time per lattice, and fpylll's LLL.

A *reducer* is any callable ``B (m, n, n) -> (B @ Q, Q)``: :func:`~steerable.lattice.lll`,
:func:`~steerable.lattice.size_reduce`, a :class:`~steerable.lattice.neural.NeuralLatticeReducer`, or
:func:`fpylll_lll` (the optional extra ``steerable[lattice]``).

Example:
    >>> from steerable.lattice import lll, size_reduce
    >>> B = torch.randn(20, 4, 4, dtype=torch.float64)
    >>> rows = score_reducers(B, {"size": size_reduce, "lll": lll})
    >>> [r.name for r in rows], rows[1].mean_log_defect <= rows[0].mean_log_defect
    (['size', 'lll'], True)
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable

import numpy as np
import torch

from .defect import as_basis, log_defect
from .lll import check_delta

__all__ = ["Reducer", "ReducerScore", "score_reducers", "fpylll_lll", "have_fpylll", "default_reducers"]

Reducer = Callable[[torch.Tensor], "tuple[torch.Tensor, torch.Tensor]"]


@dataclass(frozen=True)
class ReducerScore:
    """One reducer on one set of bases: mean log defect (and its standard error) and time per lattice."""

    name: str
    mean_log_defect: float
    sem_log_defect: float
    ms_per_lattice: float
    count: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def score_reducers(B: torch.Tensor, reducers: dict[str, Reducer], repeats: int = 1) -> list[ReducerScore]:
    """Run each reducer on the batch ``B`` ``(m, n, n)`` (``repeats`` times, best time kept), in the given order.

    Timing rounds are interleaved across reducers, so a load change on the machine hits all of them alike.
    """
    B = as_basis(B).to(torch.float64)
    best = {name: math.inf for name in reducers}
    out: dict[str, torch.Tensor] = {}
    for _ in range(max(1, repeats)):
        for name, red in reducers.items():
            t0 = time.perf_counter()
            with torch.no_grad():
                reduced, _ = red(B)
            best[name] = min(best[name], time.perf_counter() - t0)
            out[name] = reduced
    rows = []
    for name in reducers:
        ld = log_defect(out[name])
        m = B.shape[0]
        sem = float(ld.std() / math.sqrt(m)) if m > 1 else 0.0
        rows.append(ReducerScore(name, float(ld.mean()), sem, 1000.0 * best[name] / m, m))
    return rows


def have_fpylll() -> bool:
    """Whether the optional ``fpylll`` package can be imported."""
    try:
        import fpylll  # noqa: F401
    except ImportError:
        return False
    return True


def fpylll_lll(B: torch.Tensor, delta: float = 0.99, bits: int = 30) -> tuple[torch.Tensor, torch.Tensor]:
    """fpylll's LLL on ``B`` ``(..., n, n)`` (columns) scaled by ``2**bits`` and rounded to integers; ``(B @ Q, Q)``.

    ``Q`` is fpylll's transformation, applied to the unrounded ``B``.  Needs the optional extra
    ``steerable[lattice]`` (``pip install fpylll``).
    """
    try:
        from fpylll import LLL, IntegerMatrix
    except ImportError:
        raise ImportError("fpylll_lll needs the optional package fpylll: pip install 'steerable[lattice]' (or pip install fpylll)") from None
    delta = check_delta(delta)
    B = as_basis(B).to(torch.float64)
    batch, n = B.shape[:-2], B.shape[-1]
    flat = B.reshape(-1, n, n)
    # fpylll's basis vectors are rows: A = round(2^bits B^T); its U acts on rows, so Q = U^T
    ints = np.rint(flat.numpy().transpose(0, 2, 1) * 2.0**bits).astype(np.int64)
    qs = []
    for a in ints:
        A = IntegerMatrix.from_matrix(a.tolist())
        U = IntegerMatrix.identity(n)
        LLL.reduction(A, U, delta=delta)
        qs.append([[U[j, i] for j in range(n)] for i in range(n)])
    Q = torch.tensor(qs, dtype=torch.int64).reshape(*batch, n, n)
    return B @ Q.to(torch.float64), Q


def default_reducers(neural: Reducer | None = None, with_fpylll: bool | None = None) -> dict[str, Reducer]:
    """The reducers a study compares: size reduction, LLL(0.75), LLL(0.99), fpylll's LLL(0.99) where installed, neural."""
    from .lll import lll, size_reduce

    reds: dict[str, Reducer] = {"size reduction": size_reduce, "LLL(0.75)": lambda B: lll(B, 0.75),
                                "LLL(0.99)": lambda B: lll(B, 0.99)}
    if with_fpylll is None:
        with_fpylll = have_fpylll()
    if with_fpylll:
        reds["fpylll LLL(0.99)"] = lambda B: fpylll_lll(B, 0.99)
    if neural is not None:
        reds["neural"] = neural
    return reds
