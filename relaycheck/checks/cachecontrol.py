"""Check usage.cache_control (Anthropic Messages, deep): a prefix marked cache_control is written to the cache on the
first request and read from it on the repeat, as the usage's cache fields report."""

from __future__ import annotations

from relaycheck.checks import INCONCLUSIVE, PASS, WARN, CheckInput, Verdict, check
from relaycheck.checks._util import describe, is_int

PROBE = "cachecontrol"
_FIELDS = ("cache_creation_input_tokens", "cache_read_input_tokens")


def _cache(usage: object) -> tuple[int, int] | None:
    """(written, read) from a Messages usage object; None when it carries neither field."""
    if not isinstance(usage, dict) or not any(f in usage for f in _FIELDS):
        return None
    written, read = (usage.get(f) for f in _FIELDS)
    return (written if is_int(written) else 0), (read if is_int(read) else 0)


@check("usage.cache_control", probes=(PROBE,), protocols=("anthropic",))
def cache_control(inp: CheckInput) -> Verdict:
    """Written then read passes; written twice and never read warns (each write costs 1.25x); no cache fields at all
    warns (caching does not reach an Anthropic backend); fields of zero are inconclusive (below the model's minimum)."""
    pair = {x.label: x for x in inp.of(PROBE)}
    first, repeat = pair.get("first"), pair.get("repeat")
    if first is None or repeat is None or not first.ok or not repeat.ok:
        broken = next((x for x in (first, repeat) if x is not None and not x.ok), None)
        return Verdict(INCONCLUSIVE, f"the cached prefix was not answered twice ({describe(broken) if broken else 'not sent'})",
                       tuple(x.id for x in (first, repeat) if x))
    ids = (first.id, repeat.id)
    if not isinstance(first.reply.usage, dict) or not isinstance(repeat.reply.usage, dict):
        return Verdict(INCONCLUSIVE, "a reply carried no usage at all (usage.present judges that): nothing says what was cached", ids)
    before, after = _cache(first.reply.usage), _cache(repeat.reply.usage)
    if before is None and after is None:
        return Verdict(WARN, "neither reply reports cache_creation_input_tokens or cache_read_input_tokens: cache_control does not "
                             "reach an Anthropic backend, so repeated prefixes are billed in full every time", ids)
    (w1, r1), (w2, r2) = before or (0, 0), after or (0, 0)
    metrics = {"first_written": w1, "first_read": r1, "repeat_written": w2, "repeat_read": r2}
    if r2 > 0:
        return Verdict(PASS, f"the first request wrote {w1} tokens to the cache, the repeat read {r2} from it", ids, metrics)
    if w1 > 0 and w2 > 0:
        # One pair can miss honestly (a relay spreading requests over several accounts, a cache evicted early): a warning.
        return Verdict(WARN, f"the prefix was written to the cache twice ({w1}, then {w2} tokens) and never read: each write is billed "
                             "at 1.25 times the input price, so caching cost more here than not caching", ids, metrics)
    return Verdict(INCONCLUSIVE, f"no cache write or read was reported (written {w1}, read {r2}): the prefix may be below the model's "
                                 "minimum cacheable length, or the cache was not ready for the repeat", ids, metrics)
