"""The house's rules, read from the source: one-way layers, no private names across modules, renderers never judge.

Layers, lowest first (a module may import its own layer and the ones below, never one above); each is a package:
  base       core/ (exit codes, loopback, checklist, words), wire/ (exchanges, SSE, error classes), protocol/ (how
             each wire format's requests are built and replies read), text/ (tokens, excerpts, sanitising),
             redaction/ (the one redaction step)
  config     config/: targets and balance adapters
  transport  transport/: the recording client and what bounds it
  probes     probes/: the requests relaycheck sends, and the budget that prices them
  checks     checks/: pure functions over recorded exchanges (and the fingerprint)
  run        run/: plan, schedule, cost cap, runner
  report     report/: the judge step and redaction into the Report, the Report type, reading a saved one back
  render     render/: renderers take only the Report and return strings
  output     output/: writing reports and bundles
  demo       demo/: the embedded demo relay (only the CLI layer may start it)
  cli        app.py, cli.py: the probe command's logic and the typer layer
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "relaycheck"

LAYERS: dict[str, tuple[str, ...]] = {
    # Each layer is a package (or a few): the folders are the architecture.
    "base": ("relaycheck", "core", "wire", "protocol", "text", "redaction"),
    "config": ("config",),
    "transport": ("transport",),
    "probes": ("probes",),  # probes.budget prices a request by the probes' own prompt ceilings
    "checks": ("checks",),  # checks.fingerprint: what a relay runs on (information, not a verdict)
    "run": ("run",),
    "report": ("report",),
    "history": ("history",),  # run history: written from sealed reports, read by its renderers
    "render": ("render",),
    "output": ("output",),
    "watch": ("watch",),  # relaycheck watch: runs, seals, records and exports cycles
    "demo": ("demo",),
    "cli": ("app", "monitor", "cli", "__main__"),
}
ORDER = list(LAYERS)


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    """The layer of a relaycheck module: its first name below the package decides."""
    rest = module.split(".")[1:]
    top = rest[0] if rest else "relaycheck"
    found = [layer for layer, names in LAYERS.items() if top in names]
    assert len(found) == 1, f"{module} is in no layer (or in two): add it to LAYERS"
    return found[0]


def _imports(tree: ast.AST, module: str) -> list[tuple[int, str, tuple[str, ...]]]:
    """(line, imported module, names) for every relaycheck import, lazy ones in functions included; not TYPE_CHECKING."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:  # relative import
                base = ".".join(module.split(".")[: -node.level] + [node.module])
            if base.split(".")[0] == "relaycheck":
                found.append((node.lineno, base, tuple(a.name for a in node.names)))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name, ()) for a in node.names if a.name.split(".")[0] == "relaycheck"]
    return found


def _sources() -> list[tuple[str, Path, ast.AST]]:
    return [(_name(p), p, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(PACKAGE.rglob("*.py"))]


def backward_imports(sources=None) -> list[str]:
    """Imports of a higher layer, as 'file:line module -> imported'."""
    bad = []
    for module, path, tree in sources or _sources():
        mine = ORDER.index(layer_of(module))
        for line, target, names in _imports(tree, module):
            # `from relaycheck import catalog` imports a module: judge by the module it names.
            targets = [f"{target}.{n}" if not n.startswith("__") else target for n in names] if target == "relaycheck" and names else [target]
            for t in targets:
                if ORDER.index(layer_of(t)) > mine:
                    bad.append(f"{path.name}:{line} {module} ({layer_of(module)}) -> {t} ({layer_of(t)})")
    return bad


def private_imports(sources=None) -> list[str]:
    """`from x import _name` anywhere, and a private module imported from outside its own package."""
    bad = []
    for module, path, tree in sources or _sources():
        package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module
        for line, target, names in _imports(tree, module):
            bad += [f"{path.name}:{line} imports {n} from {target}" for n in names if n.startswith("_") and n != "__version__"]
            parts = target.split(".")
            for i, part in enumerate(parts):
                owner = ".".join(parts[:i])
                if part.startswith("_") and part != "__main__" and not (package == owner or package.startswith(owner + ".")):
                    bad.append(f"{path.name}:{line} imports the private module {target} from outside {owner}")
    return bad


# Judgement (classification, fingerprints, check verdicts) happens before sealing; what renders only reads.
JUDGES = ("relaycheck.wire.errorclass", "relaycheck.checks", "relaycheck.checks.fingerprint", "relaycheck.run.runner")


def judging_renderers(sources=None) -> list[str]:
    """Renderers and the JSON serialisation (report.py) that import a judging module."""
    bad = []
    for module, path, tree in sources or _sources():
        if not (module.startswith("relaycheck.render") or module == "relaycheck.report.model"):
            continue
        for line, target, _ in _imports(tree, module):
            if any(target == j or target.startswith(j + ".") for j in JUDGES) and target != "relaycheck.checks":
                bad.append(f"{path.name}:{line} {module} imports {target}")
    return bad


def test_layers_only_import_downwards():
    assert backward_imports() == []


def test_no_private_name_is_imported_across_modules():
    assert private_imports() == []


def test_renderers_and_serialisation_never_judge():
    assert judging_renderers() == []


@pytest.mark.parametrize("rule,source,expected", [
    (backward_imports, ("relaycheck.transport.client", "from relaycheck.checks import registry\n"), 1),
    (backward_imports, ("relaycheck.checks.chat", "def f():\n    from relaycheck.render import render\n"), 1),
    (backward_imports, ("relaycheck.transport.recorder", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from relaycheck.run.runner import x\n"), 0),
    (private_imports, ("relaycheck.checks.billing", "from relaycheck.checks.models import _reply_models\n"), 1),
    (private_imports, ("relaycheck.render.markdown", "from relaycheck.checks._util import excerpt\n"), 1),
    (private_imports, ("relaycheck.checks.chat", "from relaycheck.checks._util import excerpt\n"), 0),
    (judging_renderers, ("relaycheck.render.markdown", "from relaycheck.wire.errorclass import classify\n"), 1),
])
def test_each_rule_fails_when_broken(rule, source, expected, tmp_path):
    # The rules are only worth their silence if they speak up: each is shown one violation (and one allowed case).
    module, text = source
    path = tmp_path / (module.rsplit(".", 1)[-1] + ".py")
    path.write_text(text)
    assert len(rule([(module, path, ast.parse(text))])) == expected
