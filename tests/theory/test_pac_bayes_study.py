"""The pac-bayes study: equal parameter counts, and a tiny run that writes its report."""
from __future__ import annotations

import dataclasses
import json

import pytest

from steerable.studies import STUDIES, load_study
from steerable.studies import pac_bayes as pb


def test_registered() -> None:
    assert STUDIES["pac-bayes"] == "steerable.studies.pac_bayes" and load_study("pac-bayes").TITLE


@pytest.mark.parametrize("N", [1, 2, 4, 8, 16])
def test_models_have_about_equal_parameter_counts(N: int) -> None:
    f = pb._fields_for(N, pb.FULL.params)
    assert abs(pb._count(N, f) - pb.FULL.params) <= 0.25 * pb.FULL.params


def test_models_are_rotation_invariant() -> None:
    import torch

    torch.manual_seed(0)
    model = pb.CNModel(4, 2).eval()
    x = torch.randn(3, 1, 17, 17)
    assert torch.allclose(model(x), model(torch.rot90(x, 1, (2, 3))), atol=1e-5)


def test_tiny_run_writes_report(tmp_path, monkeypatch) -> None:
    tiny = dataclasses.replace(pb.QUICK, groups=(1, 2, 4), params=400, n_train=40, n_test=40, max_epochs=2, margin_quantile=0.9)
    monkeypatch.setattr(pb, "QUICK", tiny)
    metrics = pb.run(tmp_path, quick=True, seeds=[0], log=lambda s: None)
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert set(saved["spearman_vs_N"]) == {"log10_equivariant", "gap", "log10_nbs18"}
    assert [r["N"] for r in metrics["mean"]] == [1, 2, 4]
    assert (tmp_path / "bounds_vs_N.png").is_file() and "Targets" in (tmp_path / "report.md").read_text()
    for r in metrics["runs"]:
        assert r["log10_equivariant"] <= r["log10_nbs18"] + 1e-9
