"""The adaptive-fourier study: its models are invariant where they must be, and a quick run writes its report."""
from __future__ import annotations

import json

import numpy as np
import torch

from steerable.studies import STUDIES, load_study
from steerable.studies import adaptive_fourier as af


def test_registered():
    assert STUDIES["adaptive-fourier"] == "steerable.studies.adaptive_fourier" and load_study("adaptive-fourier").TITLE


def test_so3_point_net_adaptive_is_invariant_and_fixed_is_not():
    clouds = torch.from_numpy(af._clouds(16, 0)[0]).double()
    G = af.gspaces.rot3dOnR3().fibergroup
    R = torch.from_numpy(G.standard_matrix(G.sample(7)))
    errs = {}
    for sampling in ("adaptive", "fixed"):
        torch.manual_seed(0)
        net = af.SO3PointNet(12, sampling).double()
        ref = net(clouds)
        errs[sampling] = float(((net(clouds @ R.T) - ref).norm(dim=1) / ref.norm(dim=1)).max())
    assert errs["adaptive"] <= 1e-9 and errs["fixed"] >= 1e-3, errs


def test_so2_net_invariant_under_quarter_turns():
    torch.manual_seed(0)
    net = af.SO2Net(4, "adaptive", 2).double().eval()
    x = torch.randn(3, 1, 16, 16, dtype=torch.float64) * af._disc(16).double()
    torch.testing.assert_close(net(torch.rot90(x, 1, (2, 3))), net(x), atol=1e-8, rtol=1e-8)


def test_layer_errors_adaptive_exact_fixed_not():
    gs = af.gspaces.rot2dOnR2(-1)
    ad = af.layer_errors(af.FourierELU(gs, 1, 2, N=5, sampling="adaptive"), 50)
    fx = af.layer_errors(af.FourierELU(gs, 1, 2, N=5), 50)
    assert ad["max_err"] <= 1e-9 and ad["fallbacks"] == 0 and fx["mean_err"] >= 1e-2


def test_peak_bytes_counts_live_tensors():
    x = torch.zeros(1000)
    assert af.peak_bytes(lambda: x + 1) == 4000
    assert af.peak_bytes(lambda: (x + 1) * 2 + 3) >= 8000


def test_quick_run_writes_report(tmp_path):
    metrics = af.run(tmp_path, quick=True, log=lambda s: None)
    assert (tmp_path / "report.md").is_file() and (tmp_path / "error_vs_N.png").is_file()
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert {r["model"] for r in saved["digits_summary"]} == {"fixed N=16", "fixed N=4", "adaptive N=4", "torch ELU"}
    ad = [r["max_err"] for r in metrics["layer"] if r["sampling"] == "adaptive" and not np.isnan(r["max_err"])]
    assert max(ad) <= 1e-9 and len(metrics["targets"]) == 6
