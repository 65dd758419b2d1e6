"""The demo relay's faults are a table: the server reads named behaviour switches, never a fault's name."""

from __future__ import annotations

import ast
import dataclasses
import io
import tokenize
from pathlib import Path

import pytest

from relaycheck.demo import behaviour as behaviour_module
from relaycheck.demo.behaviour import HONEST, Behaviour
from relaycheck.demo.faults import FAULTS

DEMO = Path(behaviour_module.__file__).parent
TABLE = {"faults.py", "behaviour.py"}  # where the table itself lives
IMPLEMENTATION = sorted(p for p in DEMO.glob("*.py") if p.name not in TABLE)
FAULT_NAMES = frozenset(FAULTS)
COMPARE_OPS = (ast.Eq, ast.NotEq, ast.In, ast.NotIn)


def _names_in(node: ast.AST) -> set[str]:
    """Fault names spelled as string literals in an expression, or in a tuple/list/set of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value} & FAULT_NAMES
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return set().union(*(_names_in(e) for e in node.elts)) if node.elts else set()
    return set()


def name_comparisons(source: str) -> list[str]:
    """Every place the source compares something with a fault's name or keys a table by one."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and any(isinstance(op, COMPARE_OPS) for op in node.ops):
            names = set().union(*(_names_in(side) for side in (node.left, *node.comparators)))
            found += [f"line {node.lineno}: compares with {n!r}" for n in sorted(names)]
        if isinstance(node, ast.Dict):  # {"litellm_billing": ...}.get(fault) is a comparison too
            names = set().union(*(_names_in(k) for k in node.keys if k is not None)) if node.keys else set()
            found += [f"line {node.lineno}: a table keyed by {n!r}" for n in sorted(names)]
    # `fault == SOMETHING` with a constant of another module's: the name `fault` compared at all (comments and
    # strings are skipped by reading tokens, so prose such as "the flaky fault in ..." is left alone).
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
              if t.type in (tokenize.NAME, tokenize.OP)]
    for tok, nxt in zip(tokens, tokens[1:]):
        if tok.type == tokenize.NAME and tok.string == "fault" and nxt.string in ("==", "!=", "in", "not"):
            found.append(f"line {tok.start[0]}: `fault {nxt.string}`")
    return found


@pytest.mark.parametrize("path", IMPLEMENTATION, ids=lambda p: p.name)
def test_the_relay_never_compares_a_fault_name(path):
    assert name_comparisons(path.read_text(encoding="utf-8")) == [], f"{path.name}: read a switch of demo/behaviour.py instead"


@pytest.mark.parametrize("snippet", [
    'if self.fault == "dup_chunks":\n    pass\n',
    'x = "no_done" != fault\n',
    'if fault in ("ignore_n", "drop_stop"):\n    pass\n',
    'mode = {"litellm_billing": "litellm"}.get(name, "oneapi")\n',
    'if self.fault == OTHER:\n    pass\n',
])
def test_the_scan_sees_each_form_of_name_comparison(snippet):
    assert name_comparisons(snippet), snippet


def test_the_scan_leaves_prose_and_switches_alone():
    source = '"""The flaky fault in words: fault == "flaky" in a docstring."""\n# if fault == "noisy": a comment\nif b.duplicate_chunks:\n    pass\n'
    assert name_comparisons(source) == []


def test_every_fault_changes_a_switch_or_is_a_condition():
    for fault in FAULTS.values():
        assert isinstance(fault.behaviour, Behaviour), fault.name
        assert fault.behaviour != HONEST or fault.is_condition, f"{fault.name} changes nothing in the relay"
    assert {f.name for f in FAULTS.values() if f.is_condition} == {"plain_http", "html_root"}


def test_no_two_faults_do_the_same():
    seen: dict[tuple, str] = {}
    for fault in FAULTS.values():
        key = (fault.behaviour, fault.addressing, fault.models)
        assert key not in seen, f"{fault.name} does what {seen.get(key)} does"
        seen[key] = fault.name


def test_every_switch_is_set_by_a_fault_and_read_by_the_relay():
    read = {node.attr for path in IMPLEMENTATION for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Attribute)}
    for f in dataclasses.fields(Behaviour):
        assert any(getattr(fault.behaviour, f.name) != f.default for fault in FAULTS.values()), f"no fault sets {f.name}"
        assert f.name in read, f"the demo relay never reads {f.name}"


def test_the_table_is_frozen():
    fault = FAULTS["dup_chunks"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        fault.behaviour.duplicate_chunks = False  # type: ignore[misc]
