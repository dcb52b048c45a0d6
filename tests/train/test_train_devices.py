"""Device/dtype options: float64, bfloat16 autocast on CPU, torch.compile (slow), CUDA AMP when available."""
from __future__ import annotations

import pytest
import torch

from steerable.train import TrainConfig, load_data, resolve_device, train


@pytest.fixture(scope="module")
def data():
    return load_data("synthetic", n_train=32, n_test=16, seed=0)


def _cfg(out, **kw):
    base = dict(model="cnn", model_kwargs={"width": 0.25}, dataset="synthetic", n_train=32, n_test=16, epochs=1,
                batch_size=16, out=str(out))
    base.update(kw)
    return TrainConfig(**base)


def test_resolve_device():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")
    with pytest.raises(ValueError, match="unknown device"):
        resolve_device("gpu0")


def test_float64_and_cpu_autocast(tmp_path, data):
    r = train(_cfg(tmp_path / "f64", dtype="float64"), data=data, log=lambda s: None)
    assert next(r["model"].parameters()).dtype == torch.float64
    r = train(_cfg(tmp_path / "amp", model="c4", model_kwargs={"width": 0.2}, amp=True), data=data, log=lambda s: None)
    assert r["final"]["train_loss"] == r["final"]["train_loss"]  # finite, not NaN


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_amp(tmp_path, data):
    r = train(_cfg(tmp_path, model="c4", model_kwargs={"width": 0.2}, device="cuda", amp=True), data=data,
              log=lambda s: None)
    assert next(r["model"].parameters()).is_cuda


@pytest.mark.slow
def test_compile(tmp_path, data):
    r = train(_cfg(tmp_path, model="c4", model_kwargs={"width": 0.2}, compile=True), data=data, log=lambda s: None)
    assert r["final"] is not None
