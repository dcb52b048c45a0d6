"""Shared settings for the tests of ``steerable.partial``."""
from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _single_torch_thread():
    """One intra-op thread per test.

    The tensors here are tiny; on a small, shared CPU box torch's thread pool only adds
    contention (a 9x9 conv2d measured ~200x slower with 2 threads under load than with 1).
    """
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)
