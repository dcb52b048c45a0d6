"""Generate the API reference from each steerable package's ``__all__``.

The reference is never a hand-written list of module paths: :func:`public_packages` walks the
``steerable`` package for subpackages that declare ``__all__`` (``studies``, extension packages
and new subpackages appear on their own), and :func:`api_pages` writes one page per package
with a directive for every name in its ``__all__``. ``tests/docs/test_api_reference.py`` calls the
same functions, so the reference cannot drift from the code without a failing test.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path
from types import ModuleType

# packages without a Python API worth documenting (the command line has its own --help)
SKIP = {"steerable.cli"}


def public_packages(root: str = "steerable") -> list[str]:
    """Dotted names of the subpackages of ``root`` that declare ``__all__`` (sorted, ``root`` first
    when it declares one), except those in :data:`SKIP`."""
    top = importlib.import_module(root)
    found = []
    for info in pkgutil.iter_modules(top.__path__, prefix=root + "."):
        if not info.ispkg or info.name in SKIP:
            continue
        mod = importlib.import_module(info.name)
        if hasattr(mod, "__all__"):
            found.append(info.name)
    return sorted(found)


def _kind(obj: object) -> str:
    """The autodoc directive that documents ``obj``."""
    if isinstance(obj, ModuleType):
        return "automodule"
    if inspect.isclass(obj):
        return "autoexception" if issubclass(obj, BaseException) else "autoclass"
    if callable(obj):
        return "autofunction"
    return "autodata"


def documented_names(package: str) -> list[str]:
    """The names the reference page of ``package`` documents: its ``__all__``, in order."""
    mod = importlib.import_module(package)
    names = list(mod.__all__)
    missing = [n for n in names if not hasattr(mod, n)]
    if missing:
        raise ValueError(f"{package}.__all__ lists names the package does not define: {missing}")
    return names


def page(package: str, seen: dict[int, str]) -> str:
    """reST of the reference page of ``package``.

    ``seen`` maps ``id(obj)`` to the first package that documented it; an object re-exported by
    a later package gets ``:no-index:`` there, so cross-references resolve to one place and
    Sphinx sees no duplicate descriptions.
    """
    mod = importlib.import_module(package)
    title = f"``{package}``"
    lines = [title, "=" * len(title), "", f".. automodule:: {package}", "   :no-members:", "",
             ".. currentmodule:: " + package, "", ".. autosummary::", "   :nosignatures:", ""]
    names = documented_names(package)
    lines += [f"   {n}" for n in names]
    lines.append("")
    for n in names:
        obj = getattr(mod, n)
        kind = _kind(obj)
        target = f"{package}.{n}"
        sub = "-" * (len(n) + 4)
        lines += [f"``{n}``", sub, ""]
        if kind == "automodule":
            lines += [f".. automodule:: {obj.__name__}", "   :members:", "   :no-index:" if id(obj) in seen else "", ""]
        else:
            opts = []
            if kind == "autoclass":
                opts += ["   :members:", "   :show-inheritance:"]
            if id(obj) in seen and kind != "autodata":
                opts.append("   :no-index:")
            lines += [f".. {kind}:: {target}", *opts, ""]
        if kind != "autodata":
            seen.setdefault(id(obj), package)
    return "\n".join(lines) + "\n"


def api_pages(root: str = "steerable") -> dict[str, str]:
    """``{package: reST}`` for every package of :func:`public_packages` (in that order)."""
    seen: dict[int, str] = {}
    return {p: page(p, seen) for p in public_packages(root)}


def write_api(outdir: Path, root: str = "steerable") -> list[str]:
    """Write ``outdir/<package>.rst`` and ``outdir/index.rst``; only files whose text changed are
    rewritten, so incremental builds stay incremental. Returns the packages."""
    outdir.mkdir(parents=True, exist_ok=True)
    pages = api_pages(root)
    index = ["API reference", "=============", "",
             "One page per package, generated from the package's ``__all__``.", "",
             ".. toctree::", "   :maxdepth: 1", ""] + [f"   {p}" for p in pages]
    files = {f"{p}.rst": text for p, text in pages.items()}
    files["index.rst"] = "\n".join(index) + "\n"
    for name, text in files.items():
        path = outdir / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    for stale in outdir.glob("*.rst"):
        if stale.name not in files:
            stale.unlink()
    return list(pages)
