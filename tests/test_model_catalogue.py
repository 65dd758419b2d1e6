"""Meta-tests of the model catalogue (checks/catalogue/models.yaml): well formed, resolvable, shipped, printed."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from relaycheck.checks._util import same_model
from relaycheck.cli import app
from relaycheck.core import checklist
from relaycheck.core.models import (
    CATALOGUE_FILE, MODALITIES, TOKENIZERS, VENDORS, ListPrice, ModelFacts, catalogue, ceilings, lookup,
    parse_catalogue, same_base, siblings_with_ceiling,
)
from relaycheck.text.tokens import encoding_for

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "checks" / "catalogue" / "models.yaml"

REQUIRED_MODELS = (
    "gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-5", "gpt-5-mini", "gpt-5-nano", "o1", "o3",
    "o3-mini", "o4-mini", "gpt-4-turbo", "gpt-4", "gpt-3.5-turbo", "claude-opus-4", "claude-sonnet-4",
    "claude-3-7-sonnet", "claude-3-5-haiku", "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.0-flash", "deepseek-chat",
    "deepseek-reasoner",
)


def _positive_or_none(value) -> bool:
    return value is None or (type(value) is int and value > 0)


def _price_ok(price: ListPrice) -> bool:
    return all(v is None or (isinstance(v, float) and v >= 0 and math.isfinite(v)) for v in (price.input, price.cached_input, price.output))


def test_the_catalogue_holds_the_models_relays_sell_most():
    assert set(REQUIRED_MODELS) <= set(catalogue())


def test_every_entry_is_well_formed():
    names: list[str] = []
    for name, m in catalogue().items():
        assert isinstance(m, ModelFacts) and m.name == name
        assert m.vendor in VENDORS and isinstance(m.family, str) and m.family
        assert m.tokenizer is None or m.tokenizer in TOKENIZERS
        assert _positive_or_none(m.context_window) and _positive_or_none(m.max_output_tokens), name
        assert isinstance(m.reasoning, bool)
        assert m.refuses is None or all(isinstance(p, str) and p for p in m.refuses)
        assert m.modalities is None or (m.modalities and set(m.modalities) <= set(MODALITIES))
        assert _price_ok(m.price), name
        assert re.fullmatch(r"https://[a-z0-9.-]+\.[a-z]+/\S*", m.source), (name, m.source)
        for s in m.snapshots:
            assert _positive_or_none(s.context_window) and _positive_or_none(s.max_output_tokens) and _price_ok(s.price)
            assert (s.context_window, s.max_output_tokens, s.price) != (m.context_window, m.max_output_tokens, m.price)
        names += [m.name, *(s.name for s in m.snapshots), *m.aliases]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_every_entry_carries_its_source_in_a_comment():
    text = DATA.read_text(encoding="utf-8")
    for m in catalogue().values():
        # The comment just above the entry names the page its facts come from.
        block = text.split(f"  - name: {m.name}\n")[0].rsplit("\n\n", 1)[-1]
        assert "# source: https://" in block, m.name


def test_known_facts_are_recorded_as_published():
    # A few of the facts relaycheck's checks will lean on, spelled out so a careless edit shows.
    gpt4o = catalogue()["gpt-4o"]
    assert (gpt4o.context_window, gpt4o.max_output_tokens, gpt4o.price) == (128000, 16384, ListPrice(2.50, 1.25, 10.00))
    assert gpt4o.snapshot("gpt-4o-2024-05-13").max_output_tokens == 4096
    assert catalogue()["gpt-5"].price == ListPrice(1.25, 0.125, 10.00) and catalogue()["gpt-5"].reasoning
    assert catalogue()["o1"].price == ListPrice(15.00, 7.50, 60.00)
    assert catalogue()["gpt-4.1"].context_window == 1047576


def test_openai_tokenizers_match_the_offline_encoder():
    openai = [m for m in catalogue().values() if m.vendor == "openai"]
    assert openai
    for m in openai:
        assert m.tokenizer == encoding_for(m.name), m.name
    assert all(m.tokenizer is None for m in catalogue().values() if m.vendor != "openai")


def test_reasoning_models_refuse_what_the_vendor_refuses():
    for m in catalogue().values():
        if m.vendor != "openai":
            continue
        if m.reasoning:
            assert {"temperature", "top_p", "logprobs", "max_tokens"} <= set(m.refuses), m.name
            assert "reasoning_effort" not in m.refuses
        else:
            assert "reasoning_effort" in m.refuses and "max_tokens" not in m.refuses, m.name


def test_snapshots_and_aliases_resolve_to_their_parent():
    for m in catalogue().values():
        for name in (*(s.name for s in m.snapshots), *m.aliases):
            assert lookup(name) is m, name
        for s in m.snapshots:
            assert same_base(s.name, m.name) and same_model(m.name, s.name)


@pytest.mark.parametrize("name,expected", [
    ("gpt-4o", "gpt-4o"),
    ("openai/gpt-4o", "gpt-4o"),
    ("GPT-4o", "gpt-4o"),
    ("gpt-4o-2024-08-06", "gpt-4o"),
    ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
    ("o1-preview-2024-09-12", "o1"),
    ("o3-mini-2025-01-31", "o3-mini"),
    ("gpt-4-turbo-2024-04-09", "gpt-4-turbo"),
    ("gpt-4-0613", "gpt-4"),
    ("anthropic/claude-sonnet-4-20250514", "claude-sonnet-4"),
    ("claude-3-7-sonnet-latest", "claude-3-7-sonnet"),
    ("claude-opus-4-0", "claude-opus-4"),
    ("models/gemini-2.5-pro", "gemini-2.5-pro"),
    ("gemini-2.5-flash-preview-05-20", "gemini-2.5-flash"),
    ("deepseek/deepseek-reasoner", "deepseek-reasoner"),
    # Different models that only look alike resolve to nothing (or to themselves), never to a neighbour.
    ("gpt-5-chat-latest", None),
    ("claude-opus-4-1", None),
    ("gpt-4-32k", None),
    ("o1-mini", None),
    ("gpt-5.4", None),
    ("not-a-model", None),
    ("", None),
])
def test_lookup(name, expected):
    found = lookup(name)
    assert (found.name if found else None) == expected


def test_the_snapshot_rule_is_the_checks_rule():
    # core/ cannot import checks._util (layers), so the rule is restated: the two must agree.
    pairs = [(a, b) for m in catalogue().values() for a in (m.name, *(s.name for s in m.snapshots)) for b in (
        f"{m.name}-2024-08-06", f"{m.name}-20250514", f"{m.name}-0613", f"{m.name}-latest", f"{m.name}-preview",
        f"{m.name}-preview-05-06", f"{m.name}-exp-03-25", f"{m.name}-v1:0", f"{m.name}-mini", f"{m.name}-1", f"{m.name}x",
        f"vendor/{m.name}", m.name.upper())]
    assert pairs
    for a, b in pairs:
        assert same_base(a, b) == same_model(a, b), (a, b)


def test_ceilings():
    assert ceilings("gpt-4o") == {16384, 4096}  # a relay may serve the alias from its first snapshot
    assert ceilings("openai/gpt-4o-2024-05-13") == {4096}  # a listed snapshot's own limit
    assert ceilings("o1-preview-2024-09-12") == {32768}
    assert ceilings("gpt-4.1-mini") == {32768}
    assert ceilings("deepseek-reasoner") == set()  # not known: nothing to judge by
    assert ceilings("no-such-model") == set()


def test_siblings_with_ceiling():
    assert siblings_with_ceiling(4096, "openai") == ["gpt-4o", "gpt-4-turbo", "gpt-3.5-turbo"]
    assert siblings_with_ceiling(8192, "google") == ["gemini-2.0-flash"]
    assert siblings_with_ceiling(8192, "nobody") == []
    assert siblings_with_ceiling(12345, "openai") == []


def test_the_catalogue_sits_in_the_checklist_data_and_the_checklist_ignores_it():
    assert (checklist.data_dir() / CATALOGUE_FILE).is_file()
    assert parse_catalogue(DATA.read_text(encoding="utf-8")) == catalogue()
    assert not any(spec.id.startswith("catalogue.") for spec in checklist.load().specs)


def test_the_wheel_ships_the_catalogue_and_finds_it_installed(built_wheel, tmp_path):
    site = tmp_path / "site"
    with zipfile.ZipFile(built_wheel) as zf:
        assert "relaycheck/checklist/catalogue/models.yaml" in zf.namelist()
        zf.extractall(site)
    # Imported from the unpacked wheel (no checkout beside it), the loader finds the packaged copy.
    probe = ("import relaycheck, relaycheck.core.models as m; "
             "print(relaycheck.__file__); print(len(m.catalogue()), m.lookup('gpt-4o-2024-08-06').name)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                         env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr[-2000:]
    where, counts = out.stdout.splitlines()
    assert where.startswith(str(site)) and counts == f"{len(catalogue())} gpt-4o"


def _good_entry() -> dict:
    return yaml.safe_load(DATA.read_text(encoding="utf-8"))["models"][0]  # gpt-4o, with a snapshot


def _without(key: str):
    def edit(entry: dict) -> None:
        del entry[key]
    return edit


def _set(key: str, value):
    def edit(entry: dict) -> None:
        entry[key] = value
    return edit


def _price(key: str, value):
    def edit(entry: dict) -> None:
        entry["price"][key] = value
    return edit


def _snap(**fields):
    def edit(entry: dict) -> None:
        entry["snapshots"] = [fields]
    return edit


MALFORMED = {
    "no source": (_without("source"), "lacks source"),
    "http source": (_set("source", "http://platform.openai.com/docs/models/gpt-4o"), "https URL"),
    "unknown vendor": (_set("vendor", "openia"), "vendor must be one of"),
    "unknown tokenizer": (_set("tokenizer", "p50k"), "tokenizer must be"),
    "zero context": (_set("context_window", 0), "positive integer"),
    "string max output": (_set("max_output_tokens", "16k"), "positive integer"),
    "bool as int": (_set("max_output_tokens", True), "positive integer"),
    "output above context": (_set("max_output_tokens", 200000), "exceeds its context_window"),
    "reasoning not bool": (_set("reasoning", "no"), "reasoning must be true or false"),
    "refuses not a list": (_set("refuses", "temperature"), "refuses must be a list"),
    "unknown modality": (_set("modalities", ["text", "smell"]), "unknown value"),
    "negative price": (_price("output", -1), "non-negative"),
    "price missing a key": (lambda e: e["price"].pop("cached_input"), "price must be a mapping"),
    "prefixed name": (_set("name", "openai/gpt-4o"), "without a provider prefix"),
    "upper-case name": (_set("name", "GPT-4o"), "lower-case"),
    "unknown field": (_set("contxt_window", 1), "unknown field"),
    "snapshot of another model": (_snap(name="gpt-4o-mini-2024-07-18", max_output_tokens=4096), "not a snapshot name of gpt-4o"),
    "snapshot that differs in nothing": (_snap(name="gpt-4o-2024-08-06", max_output_tokens=16384), "differs"),
    "snapshot unknown field": (_snap(name="gpt-4o-2024-08-06", max_output=1), "unknown field"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_entry_raises_a_clear_value_error(case, tmp_path):
    edit, message = MALFORMED[case]
    entry = _good_entry()
    edit(entry)
    path = tmp_path / "models.yaml"
    path.write_text(yaml.safe_dump({"models": [entry]}), encoding="utf-8")
    parse_catalogue(yaml.safe_dump({"models": [_good_entry()]}), str(path))  # the unedited entry is fine
    with pytest.raises(ValueError, match=re.escape(message)) as raised:
        parse_catalogue(path.read_text(encoding="utf-8"), str(path))
    assert str(path) in str(raised.value)


@pytest.mark.parametrize("text,message", [
    ("models: [\n", "malformed YAML"),
    ("- name: gpt-4o\n", "top-level key"),
    ("models: [gpt-4o]\n", "must be a mapping"),
])
def test_a_malformed_file_raises_a_clear_value_error(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_catalogue(text, "x.yaml")


def test_a_name_used_twice_is_refused():
    entry = _good_entry()
    twin = {**_good_entry(), "name": "gpt-4o-2024-05-13", "snapshots": []}
    with pytest.raises(ValueError, match="gpt-4o-2024-05-13 appears twice"):
        parse_catalogue(yaml.safe_dump({"models": [entry, twin]}), "x.yaml")


def test_models_command_prints_the_table():
    result = CliRunner().invoke(app, ["models", "--no-color"])
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line for line in result.output.splitlines() if line.count("│") > 5}
    assert set(catalogue()) <= set(rows)
    assert "16,384" in rows["gpt-4o"] and "o200k_base" in rows["gpt-4o"] and "2.50" in rows["gpt-4o"]
    assert "4,096" in rows["gpt-4o-2024-05-13"]
    assert "cl100k_base" in rows["gpt-4"] and "yes" in rows["o3"]


def test_models_command_prints_json():
    result = CliRunner().invoke(app, ["models", "--format", "json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [m["name"] for m in listed] == list(catalogue())
    gpt4o = listed[0]
    assert gpt4o["name"] == "gpt-4o" and gpt4o["max_output_tokens"] == 16384 and gpt4o["price"]["cached_input"] == 1.25
    assert gpt4o["source"].startswith("https://") and gpt4o["snapshots"][0]["max_output_tokens"] == 4096
    assert next(m for m in listed if m["name"] == "deepseek-reasoner")["max_output_tokens"] is None


def test_models_command_refuses_an_unknown_format():
    result = CliRunner().invoke(app, ["models", "--format", "pdf"])
    assert result.exit_code == 2 and "unknown format 'pdf'" in result.output
