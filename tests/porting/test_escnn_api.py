"""Every public name of escnn 1.0.11's ``group``, ``gspaces``, ``kernels``, ``nn`` and ``nn.init`` exists in
steerable under the same name, and every callable has a call-compatible signature.

The expected parameter lists are escnn's, read once with ``inspect`` and stored as data in
``tests/porting/escnn_api.json`` (per subpackage: escnn's ``__all__`` and
``name -> [[parameter, kind, repr(default) or null], ...]``; the dunder ``__cache_path__``, escnn's
on-disk cache location, is left out: steerable keeps no caches on disk);
escnn is not imported here.  A steerable signature is compatible when every call that is valid
for escnn means the same thing:

* escnn's positional-or-keyword parameters come first, in the same order, with the same
  names, kinds and defaults (a parameter escnn requires may have a default in steerable);
* escnn's keyword-only parameters exist with the same defaults (their order is free);
* escnn's ``*args`` is a ``*args`` at the same place (its name is free);
* steerable may add parameters only with defaults and after escnn's positional ones; an escnn
  ``**kwargs`` may be replaced by such named parameters (escnn forwards them to internals).

Deliberate differences are listed in ``DIFFERENCES`` with the reason; each listed name must still
differ (a fixed difference has to leave the list).
"""
from __future__ import annotations

import importlib
import inspect
import json
import re
from pathlib import Path

import pytest

import steerable.nn as snn

API = json.loads((Path(__file__).resolve().parent / "escnn_api.json").read_text())

#: (subpackage, name) -> why steerable's signature differs from escnn's on purpose
DIFFERENCES: dict[tuple[str, str], str] = {
    ("nn", "MaxPoolChannels"): "typed: takes in_type (and checks that the channel blocks are permuted among "
                               "themselves) so the output field type is known; escnn's is an untyped torch module",
    ("kernels", "IrrepBasis"): "escnn's abstract (basis, in_irrep, out_irrep, dim, harmonics); steerable's is built "
                               "from the Wigner-Eckart pieces and computes dim and harmonics itself",
}

#: (subpackage, name) of escnn's that steerable does not have yet, each listed so the gap is explicit
#: (the name test fails for them too, and both tests fail once a listed name appears)
NOT_YET: dict[tuple[str, str], str] = {
}

#: constructors escnn documents as internal (built by factories, whose signatures are checked instead)
INTERNAL_CONSTRUCTORS = {
    "group": {"Group", "GroupElement", "CyclicGroup", "DihedralGroup", "SO2", "O2", "SO3", "O3", "Icosahedral",
              "Octahedral", "DirectProductGroup", "DoubleGroup", "Representation", "IrreducibleRepresentation", "HomSpace"},
    "gspaces": {"GSpace", "GSpace0D", "GSpace2D", "GSpace3D"},
}

_POSITIONAL = ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD")


def _default(value: object) -> str | None:
    if value is inspect.Parameter.empty:
        return None
    # built-in functions print their address: compare them by name only
    return _norm(repr(value))


def _norm(d: str | None) -> str | None:
    return None if d is None else re.sub(r" at 0x[0-9a-f]+", "", d)


def _same(expected: tuple[str, str, str | None], got: tuple[str, str, str | None]) -> bool:
    """Equal name, kind and default; the data writes ``'<obj>'`` for a default without a literal repr
    (e.g. ``torch.sigmoid``), which any non-literal default of steerable's matches."""
    if expected[2] is None:  # required in escnn: a default in steerable breaks no escnn call
        return expected[:2] == got[:2]
    if expected[2] == "<obj>":
        return expected[:2] == got[:2] and got[2] is not None and got[2].startswith("<")
    return expected == got


def _signature(obj: object) -> list[tuple[str, str, str | None]]:
    fn = obj.__init__ if inspect.isclass(obj) else obj
    params = list(inspect.signature(fn).parameters.values())
    if inspect.isclass(obj) and params and params[0].name == "self":
        params = params[1:]
    return [(p.name, p.kind.name, _default(p.default)) for p in params]


def incompatibilities(expected: list[list], got: list[tuple[str, str, str | None]]) -> list[str]:
    """What an escnn call could not do with ``got`` (empty when compatible; rules in the module docs)."""
    problems: list[str] = []
    exp = [(n, k, _norm(d)) for n, k, d in expected]
    exp_pos = [p for p in exp if p[1] in _POSITIONAL or p[1] == "VAR_POSITIONAL"]
    got_pos = [p for p in got if p[1] in _POSITIONAL or p[1] == "VAR_POSITIONAL"]
    for i, e in enumerate(exp_pos):
        if i >= len(got_pos):
            problems.append(f"missing positional {e[0]!r}")
            continue
        g = got_pos[i]
        if e[1] == "VAR_POSITIONAL":
            if g[1] != "VAR_POSITIONAL":
                problems.append(f"position {i}: escnn has *{e[0]}, steerable has {g[0]!r}")
        elif not _same(e, g):
            problems.append(f"position {i}: escnn {e}, steerable {g}")
    for g in got_pos[len(exp_pos):]:
        if g[1] in _POSITIONAL and g[2] is None:
            problems.append(f"extra positional {g[0]!r} without a default")
        if g[1] == "VAR_POSITIONAL" and not any(e[1] == "VAR_POSITIONAL" for e in exp):
            pass  # an extra *args swallows nothing escnn would pass positionally beyond its own list
    got_kw = {n: (k, d) for n, k, d in got if k == "KEYWORD_ONLY"}
    for n, k, d in exp:
        if k == "KEYWORD_ONLY":
            if n not in got_kw:
                problems.append(f"missing keyword-only {n!r}")
            elif not _same((n, k, d), (n, k, got_kw[n][1])):
                problems.append(f"keyword-only {n!r}: escnn default {d}, steerable {got_kw[n][1]}")
    exp_names = {n for n, _, _ in exp}
    for n, k, d in got:
        if k == "KEYWORD_ONLY" and n not in exp_names and d is None:
            problems.append(f"extra keyword-only {n!r} without a default")
    return problems


def test_the_rules_catch_what_breaks_an_escnn_call():
    escnn = [["in_type", "POSITIONAL_OR_KEYWORD", None], ["padding", "POSITIONAL_OR_KEYWORD", "0"],
             ["stride", "POSITIONAL_OR_KEYWORD", "1"], ["kwargs", "VAR_KEYWORD", None]]
    ok = [("in_type", "POSITIONAL_OR_KEYWORD", None), ("padding", "POSITIONAL_OR_KEYWORD", "0"),
          ("stride", "POSITIONAL_OR_KEYWORD", "1"), ("bias", "POSITIONAL_OR_KEYWORD", "True")]
    assert incompatibilities(escnn, ok) == []
    swapped = [ok[0], ok[2], ok[1]]
    assert incompatibilities(escnn, swapped)  # R2Conv(t, t, 3, 1) would mean stride=1
    assert incompatibilities(escnn, [ok[0], ("padding", "POSITIONAL_OR_KEYWORD", "1"), ok[2]])  # another default
    assert incompatibilities(escnn, ok[:2])  # stride missing
    assert incompatibilities(escnn, ok + [("extra", "POSITIONAL_OR_KEYWORD", None)])  # required extra
    star = [["g", "POSITIONAL_OR_KEYWORD", None], ["grid_args", "VAR_POSITIONAL", None], ["f", "KEYWORD_ONLY", "'p_relu'"]]
    assert incompatibilities(star, [("g", "POSITIONAL_OR_KEYWORD", None), ("f", "POSITIONAL_OR_KEYWORD", "'p_relu'")])
    assert incompatibilities(star, [("g", "POSITIONAL_OR_KEYWORD", None), ("a", "VAR_POSITIONAL", None),
                                    ("f", "KEYWORD_ONLY", "'p_elu'")])
    assert not incompatibilities(star, [("g", "POSITIONAL_OR_KEYWORD", None), ("a", "VAR_POSITIONAL", None),
                                        ("n", "KEYWORD_ONLY", "None"), ("f", "KEYWORD_ONLY", "'p_relu'")])


@pytest.mark.parametrize("sub,name", [(sub, n) for sub, spec in API.items() for n in spec["names"] if not n.startswith("__")])
def test_escnn_public_name_exists(sub: str, name: str) -> None:
    module = importlib.import_module(f"steerable.{sub}")
    if (sub, name) in NOT_YET:
        assert not hasattr(module, name), f"steerable.{sub}.{name} exists now: remove it from NOT_YET"
        return
    assert hasattr(module, name), f"steerable.{sub} lacks escnn's public name {name!r}"


def _cases() -> list[tuple[str, str]]:
    return [(sub, name) for sub, spec in API.items() for name in spec["signatures"]
            if name not in INTERNAL_CONSTRUCTORS.get(sub, ())]


@pytest.mark.parametrize("sub,name", _cases())
def test_escnn_signature_is_call_compatible(sub: str, name: str) -> None:
    obj = getattr(importlib.import_module(f"steerable.{sub}"), name, None)
    if (sub, name) in NOT_YET:
        assert obj is None, f"{sub}.{name} exists now: remove it from NOT_YET"
        return
    if obj is None:
        pytest.fail(f"steerable.{sub} lacks {name!r}")
    if isinstance(obj, type) and issubclass(obj, BaseException):
        return  # exceptions take Python's constructor arguments
    problems = incompatibilities(API[sub]["signatures"][name], _signature(obj))
    if (sub, name) in DIFFERENCES:
        assert problems, f"{sub}.{name} is listed in DIFFERENCES ({DIFFERENCES[sub, name]!r}) but is now compatible"
        return
    assert not problems, f"{sub}.{name}: {problems}"


def test_nn_all_lists_every_escnn_name_steerable_has():
    exported = set(snn.__all__)
    missing = [n for n in API["nn"]["names"] if hasattr(snn, n) and n not in exported]
    assert not missing
