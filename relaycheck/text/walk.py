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
        if isinstance(node, str):
            return text(node)
        if dataclasses.is_dataclass(node) and not isinstance(node, type):
            changes: dict[str, Any] = {}
            for f in dataclasses.fields(node):
                value = getattr(node, f.name)
                new = field(f.name, value) if field is not None else AS_USUAL
                new = walk(value) if new is AS_USUAL else new
                if not unchanged(new, value):
                    changes[f.name] = new
            if record is not None:
                changes = record(node, changes)
            return dataclasses.replace(node, **changes) if changes else node
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
