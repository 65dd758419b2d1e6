"""The probe registry holds every probe, and nothing outside a probe's module and its checks spells its name."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from relaycheck.checks import registry as check_registry
from relaycheck.probes.registry import HELPERS, Phase, ProbeSpec, registry

ROOT = Path(__file__).resolve().parent.parent / "relaycheck"
PROBES_DIR = ROOT / "probes"
# Modules that read the registry instead of naming probes.
READERS = ("run/plan.py", "run/schedule.py", "run/runner.py")
CITING = ("checks/billing.py",)  # a check module: it may cite probes (probes=..., inp.of(...)), nothing else


def _probe_modules() -> list[str]:
    return sorted(p.stem for p in PROBES_DIR.glob("*.py") if p.stem != "__init__" and p.stem not in HELPERS)


def _probespec_calls(path: Path) -> int:
    tree = ast.parse(path.read_text())
    return sum(1 for node in ast.walk(tree) if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ProbeSpec")


def test_every_probe_module_registers_exactly_one_probe_under_its_own_name():
    for name in _probe_modules():
        path = PROBES_DIR / f"{name}.py"
        assert _probespec_calls(path) == 1, f"{path.name} must declare exactly one ProbeSpec"
        spec = importlib.import_module(f"relaycheck.probes.{name}").PROBE
        assert isinstance(spec, ProbeSpec) and spec.name == name, path.name
    for helper in HELPERS:  # a helper that declared a probe would never be read by the registry
        assert _probespec_calls(PROBES_DIR / f"{helper}.py") == 0, helper
    assert list(registry()) == sorted(_probe_modules(), key=lambda n: registry()[n].order)


def test_every_probe_a_check_cites_is_registered():
    known = set(registry())
    for impl in check_registry().values():
        assert set(impl.probes) <= known, impl.id  # (a check on the configuration alone, base.https, cites none)
    # The exchanges a check reads by name (inp.of("...")) come from registered probes too.
    for path in (ROOT / "checks").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "of" and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    assert arg.value in known, f"{path.name}: inp.of({arg.value!r})"


def _citations(tree: ast.AST) -> set[int]:
    """ids of string constants that cite a probe: inside a check's probes=(...) or an inp.of(...) argument."""
    cited: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        parts = [kw.value for kw in node.keywords if kw.arg == "probes"]
        if isinstance(node.func, ast.Attribute) and node.func.attr == "of":
            parts += node.args
        cited |= {id(n) for part in parts for n in ast.walk(part)}
    return cited


def spelled_probe_names(source: str, allow_citations: bool = False) -> list[str]:
    """Probe names spelled as string literals in a module's source (citations excepted when allowed)."""
    names = set(registry())
    tree = ast.parse(source)
    cited = _citations(tree) if allow_citations else set()
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value in names and id(n) not in cited]


def test_plan_schedule_runner_and_billing_spell_no_probe_name():
    for rel in READERS + CITING:
        assert spelled_probe_names((ROOT / rel).read_text(), allow_citations=rel in CITING) == [], rel


def test_plan_schedule_and_runner_import_no_probe_module():
    modules = set(_probe_modules())
    for rel in READERS:
        for node in ast.walk(ast.parse((ROOT / rel).read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "relaycheck.probes":
                assert not {a.name for a in node.names} & modules, rel
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                assert not any(n.split(".")[2] in modules for n in names if n.startswith("relaycheck.probes.")), rel


def test_the_scan_sees_a_spelled_name_and_lets_a_check_cite():
    # The scan itself: a literal in a reader is caught, a citation in a check is not.
    assert spelled_probe_names('if job.probe == "chat":\n    pass\n') == ["chat"]
    cited = '@check("x.y", probes=("balance",))\ndef f(inp):\n    return inp.of("balance")\n'
    assert spelled_probe_names(cited, allow_citations=True) == []
    assert spelled_probe_names(cited + 'NAMES = ("cache",)\n', allow_citations=True) == ["cache"]


def test_the_declarations_are_consistent():
    specs = list(registry().values())
    assert len({s.order for s in specs}) == len(specs)  # the plan's listing is a total order
    ranks = [step.rank for s in specs for step in s.steps if step.phase is Phase.CONCURRENT]
    assert len(set(ranks)) == len(ranks)  # "longest first" is a total order too
    for spec in specs:
        assert len({step.name for step in spec.steps}) == len(spec.steps), spec.name  # a job names its step
        for step in spec.steps:
            assert spec.step(step.name) is step
            if step.phase is not Phase.CONCURRENT:
                assert step.stage and step.because, spec.name  # a stage of its own says what and why


def test_billing_counts_the_same_probes_as_before_the_registry():
    # billing.delta prices exactly these replies: a probe left out would look like overcharging, one put in
    # (the cache pair, after the last reading) like undercharging.
    from relaycheck.checks.billing import AFTER_THE_BILL, BILLED_PROBES

    assert set(BILLED_PROBES) == {"chat", "stream", "tokenizer", "slope", "long", "params", "structured", "context", "reliability", "errors",
                                  "burst", "twins", "limits", "behaviour", "integrity", "triggers", "thinking", "count", "cachecontrol"}
    assert AFTER_THE_BILL == ("cache",)
