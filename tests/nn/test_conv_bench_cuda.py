"""The CUDA benchmark's CPU-checkable parts: its layers build and match their Conv2d shapes,
and without CUDA it exits with a clear message instead of measuring nothing silently."""
from __future__ import annotations

import importlib.util
import pathlib

import pytest
import torch

_PATH = pathlib.Path(__file__).resolve().parents[2] / "bench" / "bench_cuda.py"


def _load():
    spec = importlib.util.spec_from_file_location("bench_cuda", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_bench_cuda_cases_have_matching_plain_convolutions() -> None:
    for label, layer, plain, t in _load().cases():
        assert layer.filter.shape == plain.weight.shape, label


@pytest.mark.skipif(torch.cuda.is_available(), reason="the no-CUDA message is only printed without CUDA")
def test_bench_cuda_without_cuda_says_so(capsys) -> None:
    assert _load().main() == 2
    assert "needs a CUDA device" in capsys.readouterr().out
