"""``steerable lattice train|reduce|bench``: round trip, resume, file formats, one-line errors with exit 2."""
from __future__ import annotations

import json

import numpy as np
import pytest

from steerable.cli.main import main


def test_train_resume_reduce_bench(tmp_path, capsys):
    out = tmp_path / "run"
    base = ["lattice", "train", "--n", "4", "--iterations", "6", "--batch-size", "8", "--checkpoint-every", "2",
            "--test-count", "20", "--out", str(out)]
    assert main(base + ["--stop-after", "3"]) == 0
    assert "--resume" in capsys.readouterr().out
    assert main(base + ["--resume"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["neural"] < m["size reduction"] < m["unreduced"]
    rng = np.random.default_rng(0)
    np.save(tmp_path / "b.npy", rng.standard_normal((3, 4, 4)))
    np.savetxt(tmp_path / "b.txt", rng.standard_normal((8, 4)))   # two stacked 4 x 4 bases
    assert main(["lattice", "reduce", str(tmp_path / "b.npy"), "--model", str(out), "--out", str(tmp_path / "r.npz")]) == 0
    z = np.load(tmp_path / "r.npz")
    B = np.load(tmp_path / "b.npy")
    assert np.allclose(z["reduced"], B @ z["Q"])
    assert main(["lattice", "reduce", str(tmp_path / "b.txt"), "--method", "size"]) == 0
    assert "2 basis(es)" in capsys.readouterr().out
    assert main(["lattice", "bench", "--n", "4", "--count", "20", "--repeats", "1", "--model", str(out)]) == 0
    assert "LLL(0.99)" in capsys.readouterr().out
    # a trained n=4 model on n=5 bases: dimension mismatch
    np.save(tmp_path / "b5.npy", rng.standard_normal((5, 5)))
    assert main(["lattice", "reduce", str(tmp_path / "b5.npy"), "--model", str(out)]) == 2
    assert "built for n = 4" in capsys.readouterr().err


@pytest.mark.parametrize("args, msg", [
    (["reduce", "/nonexistent.npy"], "no such file"),
    (["reduce", "SINGULAR"], "singular"),
    (["reduce", "RAGGED"], "whole"),
    (["reduce", "SINGULAR", "--method", "neural"], "needs --model"),
    (["reduce", "SINGULAR", "--delta", "1.5"], r"(0.25, 1]"),
    (["train", "--n", "1", "--iterations", "1"], "n must be"),
    ([], "an action is needed"),
])
def test_errors(tmp_path, capsys, args, msg):
    np.save(tmp_path / "s.npy", np.ones((3, 3)))
    np.savetxt(tmp_path / "r.txt", np.ones((5, 3)))
    args = [a.replace("SINGULAR", str(tmp_path / "s.npy")).replace("RAGGED", str(tmp_path / "r.txt")) for a in args]
    if "--delta" in args or "neural" in args:
        np.save(tmp_path / "s.npy", np.eye(3))
    assert main(["lattice"] + args) == 2
    err = capsys.readouterr().err
    assert err.startswith("steerable lattice: error:") and msg in err and err.count("\n") == 1
