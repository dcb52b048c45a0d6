"""``steerable study mobilenet --quick``: the pipeline runs and writes its report (needs scikit-image's slide)."""
from __future__ import annotations

import json

import pytest

from steerable.cli.main import main
from steerable.datasets import histology_available
from steerable.studies import STUDIES


def test_registered():
    assert STUDIES["mobilenet"] == "steerable.studies.mobilenet"


@pytest.mark.skipif(not histology_available(), reason="the histology proxy needs scikit-image: pip install 'steerable[histology]'")
def test_quick_study(tmp_path, capsys):
    assert main(["study", "mobilenet", "--quick", "--out", str(tmp_path)]) == 0
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert {r["model"] for r in m["runs"]} == {"trivial", "d4"}
    d4 = [q for q in m["quantised"] if q["model"] == "d4"][0]
    # 17 x 17 tiles: the D4 model's INT8 logits do not change under the 8 grid symmetries
    assert d4["d4_change_int8"] == 0.0 and d4["size_ratio"] > 1
    assert m["targets"] and (tmp_path / "report.md").read_text().count("|") > 20
    assert (tmp_path / "accuracy.png").is_file()
