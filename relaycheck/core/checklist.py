"""Load the checklist (checks/*.yaml) and its profiles from the package data."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import yaml

from relaycheck.core.exits import UsageError

SEVERITIES = ("info", "low", "medium", "high", "critical")
FAIL_ON = (*SEVERITIES, "none")  # --fail-on's choices: a severity, or never fail
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_REQUIRED = ("id", "severity", "per_model", "title", "rationale", "remediation")
_LANGS = ("en", "zh")


@dataclass(frozen=True)
class CheckSpec:
    """One checklist entry: stable id, severity and bilingual texts."""

    id: str
    severity: str
    per_model: bool
    title: dict[str, str]
    rationale: dict[str, str]
    remediation: dict[str, str]
    expected: dict[str, str] | None = None  # what a correct relay answers; printed in support tickets
    deep: bool = False  # only in the `deep` profile (costlier checks); `standard` selections leave it out

    def text(self, field: str, lang: str = "en") -> str:
        """Return a bilingual field in `lang`, falling back to English."""
        values: dict[str, str] = getattr(self, field)
        return values.get(lang) or values["en"]


@dataclass(frozen=True)
class Profile:
    """A named selection of checks."""

    name: str
    description: dict[str, str]
    check_ids: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    """The whole checklist: specs in file order plus profiles."""

    specs: tuple[CheckSpec, ...]
    profiles: dict[str, Profile]
    default_profile: str

    def get(self, check_id: str) -> CheckSpec:
        """Return the spec for `check_id` or raise UsageError naming close ids."""
        for spec in self.specs:
            if spec.id == check_id:
                return spec
        raise UsageError(f"unknown check id {check_id!r}; run `relaycheck checks` for the list")

    @property
    def ids(self) -> tuple[str, ...]:
        """All check ids in catalogue order."""
        return tuple(s.id for s in self.specs)

    def select(self, profile: str | None, only: tuple[str, ...] = (), skip: tuple[str, ...] = ()) -> tuple[str, ...]:
        """Resolve a profile plus --check/--skip-check into ordered check ids."""
        name = profile or self.default_profile
        if name not in self.profiles:
            raise UsageError(f"unknown profile {name!r}; valid profiles: {', '.join(sorted(self.profiles))}")
        for check_id in (*only, *skip):
            self.get(check_id)
        chosen = set(only) if only else set(self.profiles[name].check_ids)
        chosen -= set(skip)
        return tuple(i for i in self.ids if i in chosen)


def data_dir() -> Traversable:
    """The checklist directory: packaged data in a wheel, the top-level checks/ in a source checkout."""
    packaged = resources.files("relaycheck").joinpath("checklist")
    if packaged.is_dir():
        return packaged
    # An editable install or a plain checkout: the data sits beside the package, not inside it.
    return Path(__file__).resolve().parents[2] / "checks"


def _parse_spec(raw: dict, source: str) -> CheckSpec:
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise ValueError(f"{source}: check {raw.get('id')!r} lacks {', '.join(missing)}")
    if not ID_PATTERN.match(str(raw["id"])):
        raise ValueError(f"{source}: check id {raw['id']!r} is not of the form area.name")
    if raw["severity"] not in SEVERITIES:
        raise ValueError(f"{source}: {raw['id']}: severity must be one of {SEVERITIES}")
    texts = {}
    for field in ("title", "rationale", "remediation"):
        value = raw[field]
        if not isinstance(value, dict) or any(not value.get(lang) for lang in _LANGS):
            raise ValueError(f"{source}: {raw['id']}: {field} needs non-empty en and zh")
        texts[field] = {lang: str(value[lang]) for lang in _LANGS}
    expected = raw.get("expected")
    if expected is not None:
        if not isinstance(expected, dict) or any(not expected.get(lang) for lang in _LANGS):
            raise ValueError(f"{source}: {raw['id']}: expected needs non-empty en and zh")
        texts["expected"] = {lang: str(expected[lang]) for lang in _LANGS}
    if "deep" in raw and not isinstance(raw["deep"], bool):
        raise ValueError(f"{source}: {raw['id']}: deep must be true or false")
    unknown = set(raw) - {*_REQUIRED, "expected", "deep"}
    if unknown:
        raise ValueError(f"{source}: {raw['id']}: unknown field(s) {sorted(unknown)}")
    return CheckSpec(id=raw["id"], severity=raw["severity"], per_model=bool(raw["per_model"]), deep=bool(raw.get("deep", False)), **texts)


# libyaml's loader where PyYAML was built with it: the same safe constructors, several times faster (every run, and
# every one of the suite's hundreds of processes, reads the whole checklist first).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> object:
    """Parse YAML safely (no arbitrary objects), with libyaml when available; raises yaml.YAMLError."""
    return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506  (a safe loader)


@functools.lru_cache(maxsize=1)
def load() -> Catalog:
    """Load and validate the packaged checklist once per process."""
    root = data_dir()
    specs: list[CheckSpec] = []
    profiles_raw: dict = {}
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        data = load_yaml(entry.read_text(encoding="utf-8"))
        if entry.name == "profiles.yaml":
            profiles_raw = data
            continue
        specs.extend(_parse_spec(raw, entry.name) for raw in data["checks"])
    ids = [s.id for s in specs]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ValueError(f"duplicate check ids: {sorted(dupes)}")
    profiles = {}
    for name, raw in profiles_raw["profiles"].items():
        # "standard": every check but the deep ones; "all": every check in the catalogue.
        standard = tuple(s.id for s in specs if not s.deep)
        # A list may name "standard" among its ids: the standard checks plus the others it names.
        selected = tuple(ids) if raw["checks"] == "all" else standard if raw["checks"] == "standard" else \
            tuple(dict.fromkeys(i for entry in raw["checks"] for i in (standard if entry == "standard" else (entry,))))
        unknown = [i for i in selected if i not in ids]
        if unknown:
            raise ValueError(f"profile {name} names unknown checks {unknown}")
        profiles[name] = Profile(name=name, description=dict(raw["description"]), check_ids=selected)
    return Catalog(specs=tuple(specs), profiles=profiles, default_profile=profiles_raw["default"])
