"""Two directives for the extension pages: a study's measured results, and an example run at build time.

``.. study-results:: NAME`` renders ``docs/studies/NAME/``: the table of targets that the study's
``metrics.json`` records (target, measured value, met), the run's size and time, and every PNG the
run wrote. The numbers are never typed into a page: they are read from the run's own output, so a
page cannot claim what the run did not print.

``.. run-example::`` executes its content as Python when the documentation is built and shows the
code followed by what it printed. An exception stops the build, so the example on a page is known
to run against the code being documented.
"""
from __future__ import annotations

import contextlib
import io
import json
import textwrap
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList

STUDIES_DIR = Path(__file__).resolve().parents[1] / "studies"


def study_results_rst(name: str, studies_dir: Path = STUDIES_DIR, image_prefix: str = "../studies") -> list[str]:
    """The reStructuredText lines that show the recorded run of study ``name``.

    Raises ``FileNotFoundError`` when ``studies_dir/name/metrics.json`` is missing and ``ValueError``
    when it records no targets, so a page for a study that was never run stops the build.
    """
    folder = studies_dir / name
    path = folder / "metrics.json"
    if not path.is_file():
        raise FileNotFoundError(f"study {name!r}: expected the recorded run at {path}; run "
                                f"`steerable study {name} --out {folder}` and commit its output")
    metrics: dict[str, Any] = json.loads(path.read_text())
    targets = metrics.get("targets")
    if not targets:
        raise ValueError(f"study {name!r}: {path} records no 'targets' (written by Report.finish)")
    size = "quick mode (tiny sizes, a smoke run)" if metrics.get("quick") else "the size described above"
    seconds = metrics.get("seconds")
    lines = [f"Recorded run: {size}" + (f", {seconds:.0f} s." if isinstance(seconds, (int, float)) else "."), "",
             ".. list-table:: Targets, as measured by the recorded run", "   :header-rows: 1",
             "   :widths: 60 30 10", "", "   * - target", "     - measured", "     - met"]
    for t in targets:
        value = t.get("value", "")
        value = f"{value:.4g}" if isinstance(value, float) else str(value)  # a run's raw float: 4 significant digits
        cells = [str(t.get("target", "")), value, "yes" if t.get("met") else "**no**"]
        lines += [f"   * - {cells[0]}"] + [f"     - {c}" for c in cells[1:]]
    lines.append("")
    for png in sorted(folder.glob("*.png")):
        lines += [f".. figure:: {image_prefix}/{name}/{png.name}", "   :width: 90%", "",
                  f"   ``{png.name}`` from the recorded run.", ""]
    return lines


class StudyResults(Directive):
    """``.. study-results:: NAME`` (see the module docstring)."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        try:
            lines = study_results_rst(self.arguments[0])
        except (FileNotFoundError, ValueError) as exc:
            raise self.error(str(exc)) from None
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source="study-results"), self.content_offset, container)
        return container.children


def run_example(code: str) -> str:
    """Execute ``code`` in a fresh namespace and return what it printed (exceptions propagate)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<run-example>", "exec"), {"__name__": "__run_example__"})  # noqa: S102 - docs' own code
    return out.getvalue()


class RunExample(Directive):
    """``.. run-example::`` (see the module docstring)."""

    has_content = True

    def run(self) -> list[nodes.Node]:
        code = textwrap.dedent("\n".join(self.content))
        try:
            printed = run_example(code)
        except Exception as exc:  # the build must stop on a broken example, naming it
            raise self.error(f"the example failed to run: {type(exc).__name__}: {exc}") from None
        result = [nodes.literal_block(code, code, language="python")]
        if printed.strip():
            result.append(nodes.literal_block(printed, printed, language="text"))
        return result


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("study-results", StudyResults)
    app.add_directive("run-example", RunExample)
    return {"parallel_read_safe": True}
