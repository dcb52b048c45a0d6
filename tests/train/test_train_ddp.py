"""Data-parallel training (2 CPU processes, gloo) agrees with single-process training on the same global batch."""
from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from steerable.models import build_model
from steerable.train import TrainConfig, load_checkpoint, train
from steerable.train.distributed import local_slice


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cfg(out: str) -> TrainConfig:
    # no batch norm: its batch statistics are per process under DDP (as in any DDP run); SGD keeps the
    # comparison linear in the gradients
    return TrainConfig(model="c4", model_kwargs={"width": 0.2, "bn": False}, dataset="synthetic", n_train=40,
                       n_test=16, epochs=1, batch_size=20, optimizer="sgd", lr=0.05, seed=3, out=out, device="cpu")


def _worker(rank: int, world: int, ports: tuple[int, int], out: str, grad_file: str) -> None:
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world), MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(ports[0]))
    torch.set_num_threads(1)
    # (1) one DDP step by hand: gradients after all-reduce
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.manual_seed(0)
    model = build_model("c4", width=0.2, bn=False)
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    g = torch.Generator().manual_seed(1)
    x, y = torch.rand(7, 1, 29, 29, generator=g), torch.randint(0, 10, (7,), generator=g)
    sl = local_slice(7, rank, world)
    losses = torch.nn.functional.cross_entropy(ddp(x[sl]), y[sl], reduction="none")
    (losses.sum() * world / 7).backward()
    if rank == 0:
        torch.save({k: p.grad for k, p in model.named_parameters()}, grad_file)
    dist.destroy_process_group()
    # (2) the trainer under DDP (it joins the process group from the environment, like under torchrun);
    # a fresh port: the first group's store may still hold the old one
    os.environ["MASTER_PORT"] = str(ports[1])
    train(_cfg(out), progress=False, log=lambda s: None)


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed unavailable")
def test_ddp_matches_single_process(tmp_path):
    ddp_out, single_out, grad_file = tmp_path / "ddp", tmp_path / "single", tmp_path / "grads.pt"
    ctx = mp.start_processes(_worker, args=(2, (_free_port(), _free_port()), str(ddp_out), str(grad_file)), nprocs=2,
                             join=False, start_method="spawn")
    deadline = time.monotonic() + 240
    while not ctx.join(timeout=1):
        if time.monotonic() > deadline:
            for p in ctx.processes:
                p.kill()
            pytest.fail("DDP workers did not finish within 240 s")
    # gradients of one step
    torch.manual_seed(0)
    model = build_model("c4", width=0.2, bn=False)
    g = torch.Generator().manual_seed(1)
    x, y = torch.rand(7, 1, 29, 29, generator=g), torch.randint(0, 10, (7,), generator=g)
    torch.nn.functional.cross_entropy(model(x), y).backward()
    ddp_grads = torch.load(grad_file)
    for k, p in model.named_parameters():  # equal up to float32 summation order
        assert (p.grad - ddp_grads[k]).abs().max() <= 1e-5 * p.grad.abs().max() + 1e-8, k
    # parameters after a full (2-step) epoch of the trainer
    single = train(_cfg(str(single_out)), progress=False, log=lambda s: None)
    a, b = load_checkpoint(single_out / "checkpoint.pt"), load_checkpoint(ddp_out / "checkpoint.pt")
    assert b["world_size"] == 2 and len(b["rng"]) == 2
    for k in a["model_state"]:
        assert torch.allclose(a["model_state"][k], b["model_state"][k], atol=1e-5, rtol=1e-5), k
    ha, hb = single["history"][0], b["history"][0]
    for key in ("train_loss", "train_acc", "test_loss", "test_acc"):
        assert ha[key] == pytest.approx(hb[key], rel=1e-5, abs=1e-6), key


# default suite: ~8 s on 2 cores (two gloo processes)
def test_torchrun_cli_matches_single_process(tmp_path):
    """``torchrun --standalone --nproc_per_node 2 -m steerable train`` (the documented launch) on CPU/gloo."""
    import subprocess

    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(repo) + os.pathsep + os.environ.get("PYTHONPATH", ""), "OMP_NUM_THREADS": "1"}
    common = ["-m", "steerable", "train", "--model", "cnn", "--width", "0.25", "--model-arg", "bn=false",
              "--optimizer", "sgd", "--lr", "0.05", "--dataset", "synthetic", "--n-train", "60", "--n-test", "20",
              "--batch-size", "30", "--epochs", "2", "--device", "cpu", "--no-progress"]
    def launch(out: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
                              + common + ["--out", str(tmp_path / out)], cwd=repo, env=env, capture_output=True,
                              text=True, timeout=300)

    r = launch("ddp")
    if r.returncode != 0 and "Signal 6 (SIGABRT)" in r.stderr:
        # a worker killed by the gloo transport on a loaded machine (seen about once in five full
        # runs, never twice in a row): one fresh launch into a new directory; a real failure repeats
        r = launch("ddp-again")
    assert r.returncode == 0, r.stderr[:3000] + "\n...\n" + r.stderr[-2000:]
    r = subprocess.run([sys.executable] + common + ["--out", str(tmp_path / "single")], cwd=repo, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    ddp_out = "ddp-again" if (tmp_path / "ddp-again").exists() else "ddp"
    a, b = load_checkpoint(tmp_path / "single" / "checkpoint.pt"), load_checkpoint(tmp_path / ddp_out / "checkpoint.pt")
    assert b["world_size"] == 2
    for k in a["model_state"]:
        assert torch.allclose(a["model_state"][k], b["model_state"][k], atol=1e-5, rtol=1e-4), k
