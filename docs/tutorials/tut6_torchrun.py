"""
Data-parallel training with torchrun
====================================

``steerable train`` runs under ``torchrun`` unchanged: every process joins the process group from
the environment ``torchrun`` sets (``gloo`` on CPU, ``nccl`` on GPUs), takes a contiguous slice of
each global batch, and ``DistributedDataParallel`` averages the gradients, so the run takes the
same steps as one process on the whole batch. Here two CPU processes train a small :math:`C_4`
model for one epoch; a single process then trains the same configuration, and the two
checkpoints agree to float32 summation order. The same launch on a GPU node is
``torchrun --standalone --nproc_per_node 8 -m steerable train --device cuda ...``.
"""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import steerable
from steerable.train import load_checkpoint

out = Path(tempfile.mkdtemp())
# batch norm off: its statistics are per process under DDP, which is the usual behaviour but
# would make the two runs differ; SGD keeps the update linear in the averaged gradient
args = ["-m", "steerable", "train", "--model", "c4", "--width", "0.25", "--model-arg", "bn=false",
        "--dataset", "synthetic", "--n-train", "64", "--n-test", "32", "--batch-size", "32", "--epochs", "1",
        "--optimizer", "sgd", "--lr", "0.05", "--device", "cpu", "--no-progress"]
# the launched processes import this checkout's steerable, installed or not
root = str(Path(steerable.__file__).resolve().parents[1])
env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
launch = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
ddp = subprocess.run(launch + args + ["--out", str(out / "ddp")], env=env, capture_output=True, text=True)
print(ddp.stdout.strip().splitlines()[-1] if ddp.stdout.strip() else ddp.stderr[-400:])
single = subprocess.run([sys.executable] + args + ["--out", str(out / "single")], env=env, capture_output=True, text=True)
assert ddp.returncode == 0 and single.returncode == 0, (ddp.stderr[-1000:], single.stderr[-1000:])

# %%
# The checkpoint records the world size; the weights match the single-process run.
a, b = load_checkpoint(out / "single" / "checkpoint.pt"), load_checkpoint(out / "ddp" / "checkpoint.pt")
worst = max(float((a["model_state"][k] - b["model_state"][k]).abs().max()) for k in a["model_state"])
print("world size", b["world_size"], "| largest weight difference", f"{worst:.1e}")
assert b["world_size"] == 2 and worst < 1e-4
