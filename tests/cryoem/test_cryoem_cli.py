"""``steerable cryoem simulate`` and ``reconstruct`` end to end (tiny sizes), resume, and their errors."""
from __future__ import annotations

import json

from steerable.cli.main import main
from steerable.cryoem import read_stack


def test_simulate_reconstruct_resume(tmp_path, capsys):
    st = tmp_path / "stack"
    assert main(["cryoem", "simulate", "blobs", "--out", str(st), "--box", "16", "--count", "40", "--snr", "1",
                 "--defocus", "15000", "1000", "--shift-std", "1"]) == 0
    stack = read_stack(st)
    assert len(stack) == 40 and stack.defocus_u is not None and stack.shifts is not None
    out = tmp_path / "rec"
    common = ["cryoem", "reconstruct", str(st), "--encoder", "cnn", "--steps", "4", "--batch-size", "4",
              "--out", str(out), "--no-progress", "--checkpoint-every", "2"]
    assert main(common + ["--stop-after", "2"]) == 0
    assert "continue with --resume" in capsys.readouterr().out
    assert main(common + ["--resume"]) == 0
    assert "FSC 0.5 at" in capsys.readouterr().out
    m = json.loads((out / "metrics.json").read_text())
    assert m["history"][-1]["step"] == 4 and "median_pose_error_deg" in m
    for f in ("volume.mrc", "slices.png", "projections.png", "fsc.png", "checkpoint.pt"):
        assert (out / f).is_file(), f


def test_cli_errors(tmp_path, capsys):
    assert main(["cryoem", "simulate", "il2", "--out", str(tmp_path / "s"), "--snr", "0"]) == 2
    assert "--snr must be > 0" in capsys.readouterr().err
    assert main(["cryoem", "simulate", str(tmp_path / "none.pdb"), "--out", str(tmp_path / "s")]) == 2
    assert "no such PDB file" in capsys.readouterr().err
    assert main(["cryoem", "simulate", "il2", "--out", str(tmp_path / "s"), "--box", "16", "--count", "3"]) == 2
    assert "larger box" in capsys.readouterr().err
    assert main(["cryoem", "simulate", "blobs", "--out", str(tmp_path / "b"), "--box", "16", "--count", "3"]) == 0
    assert main(["cryoem", "reconstruct", str(tmp_path / "b"), "--reference", str(tmp_path / "b" / "missing.mrc"),
                 "--steps", "1"]) == 2
    assert "no such MRC file" in capsys.readouterr().err
    assert main(["cryoem", "reconstruct", str(tmp_path / "b"), "--resume", "--out", str(tmp_path / "r")]) == 2
    assert "checkpoint not found" in capsys.readouterr().err
    assert main(["cryoem"]) == 2
