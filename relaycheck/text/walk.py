"""One walk over recorded records: every string inside dataclasses, tuples, lists and dicts rewritten.

Sanitising (lone surrogates) and redaction (keys) both rewrite every string of a run before it is sealed; they
share this walk so that neither can miss a container the other reaches. Unchanged records are kept, not copied:
a stream of 20,000 clean events must not exist twice.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

# A field hook's answer for "walk this field as usual".
AS_USUAL = object()
_LEAVES = frozenset({int, float, bool, type(None), bytes})
_UNKNOWN = object()
# Each type's dataclass field names (None: not a dataclass), looked up once: a report has tens of thousands of nodes
# of a dozen types, and dataclasses.fields() builds its answer anew at every call.
_FIELDS: dict[type, tuple[str, ...] | None] = {}


def _dataclass_fields(cls: type) -> tuple[str, ...] | None:
    return tuple(f.name for f in dataclasses.fields(cls)) if dataclasses.is_dataclass(cls) else None


def unchanged(new: Any, old: Any) -> bool:
    """Whether a rewrite changed nothing (identity first; strings and tuples by value)."""
    return new is old or (type(new) is type(old) and isinstance(new, (str, tuple)) and new == old)


def rebuild(obj: Any, text: Callable[[str], str], field: Callable[[str, Any], Any] | None = None,
            record: Callable[[Any, dict[str, Any]], dict[str, Any]] | None = None) -> Any:
    """`obj` with `text` applied to every string inside it.

    `field(name, value)` may rewrite a dataclass field itself (or answer AS_USUAL); `record(obj, changes)` may
    add to a dataclass's changes once its fields are walked (the stream-wide redaction of split keys).
    """

    def walk(node: Any) -> Any:
        cls = type(node)
        if cls is str:
            return text(node)
        if cls in _LEAVES:  # most nodes of a report: numbers, flags, None
            return node
        names = _FIELDS.get(cls, _UNKNOWN)
        if names is _UNKNOWN:
            names = _FIELDS[cls] = _dataclass_fields(cls)
        if names is not None:
            changes: dict[str, Any] = {}
            for name in names:
                value = getattr(node, name)
                new = field(name, value) if field is not None else AS_USUAL
                new = walk(value) if new is AS_USUAL else new
                if not unchanged(new, value):
                    changes[name] = new
            if record is not None:
                changes = record(node, changes)
            return dataclasses.replace(node, **changes) if changes else node
        if isinstance(node, str):  # a str subclass (an enum's value): rewritten like any text
            return text(node)
        if isinstance(node, (tuple, list)):
            items = [walk(v) for v in node]
            if all(unchanged(a, b) for a, b in zip(items, node)):
                return node
            return tuple(items) if isinstance(node, tuple) else items
        if isinstance(node, dict):
            pairs = [(walk(k), walk(v)) for k, v in node.items()]
            if all(unchanged(k, k0) and unchanged(v, v0) for (k, v), (k0, v0) in zip(pairs, node.items())):
                return node
            return dict(pairs)
        return node

    return walk(obj)
