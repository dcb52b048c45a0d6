"""The study framework: the report writer, the registry, ``steerable study`` and a tiny run of the lattice study."""
from __future__ import annotations

import json

import pytest

from steerable.cli.main import main
from steerable.studies import STUDIES, load_study
from steerable.studies.lattice import LatticeStudyConfig, run
from steerable.studies.report import Report, format_value


def test_report_writer(tmp_path):
    rep = Report(tmp_path / "r", "T")
    rep.section("S")
    rep.table([{"a": 1.0 / 3, "b": float("nan")}], ["a", "b"])
    rep.metrics["x"] = {"y": float("inf"), "z": [1, 2.5]}
    path = rep.write()
    text = path.read_text()
    assert text.startswith("# T") and "| 0.3333 | – |" in text
    assert json.loads((tmp_path / "r" / "metrics.json").read_text()) == {"x": {"y": None, "z": [1, 2.5]}}
    assert format_value(12345.678) == "1.235e+04"


def test_registry():
    assert "lattice" in STUDIES and load_study("lattice").TITLE
    with pytest.raises(ValueError, match="known studies"):
        load_study("nope")


def test_cli_study_list_and_unknown(capsys):
    assert main(["study", "--list"]) == 0
    assert "lattice" in capsys.readouterr().out
    assert main(["study", "nope"]) == 2
    assert "unknown study" in capsys.readouterr().err


def test_tiny_lattice_study_writes_report(tmp_path):
    cfg = LatticeStudyConfig(dims=(4,), iterations={4: 2}, batch_size=8, test_count={4: 20}, repeats=1, mimo_t=(2,),
                             mimo_channels=20, mimo_vectors=4, snr_db=(10.0, 30.0, 50.0))
    metrics = run(tmp_path, seeds=[0], log=lambda s: None, config=cfg)
    for f in ("report.md", "metrics.json", "defect_time.png", "mimo_ser.png", "training.png"):
        assert (tmp_path / f).is_file(), f
    d = metrics["defect"]["4"]
    assert d["LLL(0.99)"]["mean log-defect"] < d["size reduction"]["mean log-defect"] < d["unreduced"]["mean log-defect"]
    assert "neural (mean over seeds)" in d and metrics["targets"]
    assert json.loads((tmp_path / "metrics.json").read_text())["defect"]["4"]["LLL(0.99)"]["mean log-defect"] > 0


@pytest.mark.slow
def test_quick_study_cli(tmp_path):
    assert main(["study", "lattice", "--quick", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "report.md").is_file()
