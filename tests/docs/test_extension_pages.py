"""Every registered study has an extension page that shows its recorded run and runs an example;
checked without building Sphinx, through the functions the ``study-results`` directive calls."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from steerable.studies import STUDIES

DOCS = Path(__file__).resolve().parents[2] / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

import studypage  # noqa: E402


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_study_has_a_page_with_its_recorded_run(name: str) -> None:
    page = DOCS / "extensions" / f"{name}.rst"
    assert page.is_file(), f"study {name!r} has no page {page}"
    text = page.read_text()
    assert f".. study-results:: {name}" in text
    assert ".. run-example::" in text, f"{page} has no example run at build time"
    assert f"   {name}\n" in (DOCS / "extensions" / "index.rst").read_text(), f"{name} is missing from the extensions toctree"
    lines = studypage.study_results_rst(name)
    targets = json.loads((DOCS / "studies" / name / "metrics.json").read_text())["targets"]
    table = "\n".join(lines)
    for t in targets:  # every recorded target is on the page with its measured value
        value = f"{t['value']:.4g}" if isinstance(t["value"], float) else str(t["value"])
        assert f"   * - {t['target']}" in table and f"     - {value}" in table


def test_missing_run_and_missing_targets_stop_the_build(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="steerable study nothing"):
        studypage.study_results_rst("nothing", studies_dir=tmp_path)
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "metrics.json").write_text(json.dumps({"quick": True}))
    with pytest.raises(ValueError, match="no 'targets'"):
        studypage.study_results_rst("empty", studies_dir=tmp_path)


def test_unmet_targets_are_marked_and_figures_listed(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "metrics.json").write_text(json.dumps(
        {"quick": False, "seconds": 12.0, "targets": [{"target": "a", "value": "1", "met": True},
                                                      {"target": "b", "value": 0.123456789, "met": False}]}))
    (tmp_path / "s" / "fig.png").write_bytes(b"")
    text = "\n".join(studypage.study_results_rst("s", studies_dir=tmp_path))
    assert "     - yes" in text and "     - **no**" in text and "12 s" in text and "     - 0.1235" in text
    assert ".. figure:: ../studies/s/fig.png" in text


def test_run_example_returns_output_and_raises() -> None:
    assert studypage.run_example("print(1 + 1)") == "2\n"
    with pytest.raises(ZeroDivisionError):
        studypage.run_example("1 / 0")
