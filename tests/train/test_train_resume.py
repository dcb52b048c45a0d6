"""Determinism, checkpoints, interruption and exact resumption of the training loop."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from steerable.train import (
    METRIC_FIELDS, TIMING_FIELDS, CheckpointError, GracefulInterrupt, TrainConfig, TrainingInterrupted,
    epoch_order, load_checkpoint, load_data, save_checkpoint, train,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def data():
    return load_data("synthetic", n_train=96, n_test=32, seed=0)


def _cfg(out: Path, **kw) -> TrainConfig:
    base = dict(model="c4", model_kwargs={"width": 0.2}, dataset="synthetic", n_train=96, n_test=32, epochs=2,
                batch_size=32, lr=3e-3, seed=0, out=str(out))
    base.update(kw)
    return TrainConfig(**base)


def _strip(history):
    return [{k: v for k, v in row.items() if k not in TIMING_FIELDS} for row in history]


def _state(out: Path):
    return load_checkpoint(out / "checkpoint.pt")["model_state"]


def _same_state(a, b) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.fixture(scope="module")
def reference(tmp_path_factory, data):
    """An uninterrupted 2-epoch run."""
    out = tmp_path_factory.mktemp("ref")
    res = train(_cfg(out), data=data, log=lambda s: None)
    return out, res


def test_metrics_files(reference):
    out, res = reference
    assert len(res["history"]) == 2
    lines = (out / "metrics.csv").read_text().splitlines()
    assert lines[0].split(",") == list(METRIC_FIELDS) and len(lines) == 3
    doc = json.loads((out / "metrics.json").read_text())
    assert doc["status"] == "complete" and doc["history"] == res["history"] and doc["model"]["params"] == res["params"]
    assert doc["config"]["model"] == "c4"
    assert not list(out.glob("*.tmp"))  # atomic writes leave nothing behind
    st = load_checkpoint(out / "checkpoint.pt")
    assert st["epoch"] == 2 and st["step"] == 0 and st["complete"]
    assert set(st["rng"][0]) >= {"python", "numpy", "torch"}


def test_same_seed_same_run(tmp_path, reference, data):
    out, res = reference
    again = train(_cfg(tmp_path), data=data, log=lambda s: None)
    assert _strip(again["history"]) == _strip(res["history"])
    assert _same_state(_state(tmp_path), _state(out))


def test_resume_after_one_epoch_matches_uninterrupted_run(tmp_path, reference, data):
    out, res = reference
    first = train(_cfg(tmp_path, epochs=1), data=data, log=lambda s: None)
    assert len(first["history"]) == 1
    resumed = train(_cfg(tmp_path, epochs=2), resume=True, data=data, log=lambda s: None)
    assert _strip(resumed["history"]) == _strip(res["history"])
    assert _same_state(_state(tmp_path), _state(out))


def test_resume_mid_epoch_matches_uninterrupted_run(tmp_path, reference, data):
    out, res = reference
    with pytest.raises(TrainingInterrupted) as info:
        train(_cfg(tmp_path), data=data, stop_after=4, log=lambda s: None)  # 3 steps per epoch: stops in epoch 2
    assert info.value.epoch == 1 and info.value.step == 1
    st = load_checkpoint(tmp_path / "checkpoint.pt")
    assert (st["epoch"], st["step"], st["complete"]) == (1, 1, False)
    assert json.loads((tmp_path / "metrics.json").read_text())["status"] == "interrupted"
    resumed = train(_cfg(tmp_path), resume=True, data=data, log=lambda s: None)
    assert _strip(resumed["history"]) == _strip(res["history"])
    assert _same_state(_state(tmp_path), _state(out))


def test_resume_without_checkpoint_is_a_checkpoint_error(tmp_path, data):
    with pytest.raises(CheckpointError, match="not found"):
        train(_cfg(tmp_path), resume=True, data=data)


def test_epoch_order_depends_only_on_seed_and_epoch():
    a = epoch_order(0, 1, 50)
    assert torch.equal(a, epoch_order(0, 1, 50))
    assert not torch.equal(a, epoch_order(0, 2, 50)) and not torch.equal(a, epoch_order(1, 1, 50))


def test_checkpoint_errors(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x00garbage" * 10)
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(bad)
    torch.save({"weights": torch.zeros(2)}, tmp_path / "foreign.pt")
    with pytest.raises(CheckpointError, match="not a steerable training checkpoint"):
        load_checkpoint(tmp_path / "foreign.pt")
    save_checkpoint(tmp_path / "ok.pt", {"model": "cnn", "model_kwargs": {}, "model_state": {}})
    assert load_checkpoint(tmp_path / "ok.pt")["model"] == "cnn"
    trunc = tmp_path / "trunc.pt"
    trunc.write_bytes((tmp_path / "ok.pt").read_bytes()[:40])
    with pytest.raises(CheckpointError):
        load_checkpoint(trunc)


def test_graceful_interrupt_only_sets_a_flag():
    with GracefulInterrupt() as g:
        signal.raise_signal(signal.SIGTERM)
        assert g.requested == "SIGTERM"
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_ctrl_c_saves_a_resumable_checkpoint(tmp_path):
    """A real SIGINT to ``steerable train``: exit 130, a checkpoint, and --resume finishes the run."""
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    args = [sys.executable, "-m", "steerable", "train", "--model", "cnn", "--width", "0.25", "--dataset", "synthetic",
            "--n-train", "64", "--n-test", "16", "--batch-size", "16", "--out", str(tmp_path), "--no-progress"]
    proc = subprocess.Popen(args + ["--epochs", "1000"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while not (tmp_path / "metrics.csv").exists() and time.time() < deadline:
            time.sleep(0.1)
        assert (tmp_path / "metrics.csv").exists(), proc.communicate()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "continue with --resume" in err and "Traceback" not in err
    st = load_checkpoint(tmp_path / "checkpoint.pt")
    done = st["epoch"] + (1 if st["step"] else 0)
    r = subprocess.run(args + ["--epochs", str(done + 1), "--resume"], cwd=REPO, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert len(load_checkpoint(tmp_path / "checkpoint.pt")["history"]) == done + 1
