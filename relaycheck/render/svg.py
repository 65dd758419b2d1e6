"""Inline SVG pictures for the HTML report: stream timelines, latency bars, billing delta (no scripts, no assets)."""

from __future__ import annotations

from html import escape

from relaycheck.protocol import chunks
from relaycheck.wire.exchange import Exchange
from relaycheck.core.i18n import label

WIDTH = 760
_MAX_TICKS = 2000  # thousands of tiny events would make a huge picture: beyond this, ticks are sampled


def _svg(height: int, body: list[str], title: str, css_class: str) -> str:
    return (f'<svg class="{css_class}" role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" '
            f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}"><title>{escape(title)}</title>' + "".join(body) + "</svg>")


def _content_times(exchange: Exchange) -> list[float]:
    """Arrival times of events that carried reply text (the first is the first token)."""
    return [chunk.t_ms for chunk in chunks(exchange) if chunk.carries_text]


def timeline(exchange: Exchange, stall_ms: float | None, lang: str) -> str:
    """When each SSE event arrived, where the first token came, the longest gap and any gap over `stall_ms`."""
    times = [e.t_ms for e in exchange.events]
    end = max([exchange.timings.end_ms or 0.0, *times, 1.0])
    left, right = 10, WIDTH - 10
    scale = (right - left) / end

    def x(t: float) -> float:
        return round(left + t * scale, 2)

    body = [f'<line x1="{left}" y1="40" x2="{right}" y2="40" class="axis"/>']
    step = max(1, len(times) // _MAX_TICKS)
    body += [f'<line x1="{x(t)}" y1="28" x2="{x(t)}" y2="40" class="tick"/>' for t in times[::step]]
    gaps = sorted(((b - a, a, b) for a, b in zip(times, times[1:])), reverse=True)
    for gap, a, b in gaps:
        if stall_ms is None or gap <= stall_ms:
            break
        body.append(f'<rect x="{x(a)}" y="22" width="{max(x(b) - x(a), 1)}" height="18" class="stall"/>')
    if gaps:
        gap, a, b = gaps[0]
        word = label("stall", lang) if stall_ms is not None and gap > stall_ms else label("max_gap", lang)
        body.append(f'<text x="{x((a + b) / 2)}" y="16" class="note" text-anchor="middle">{escape(word)} {gap:.0f} ms</text>')
    first = _content_times(exchange)
    if first:
        body.append(f'<line x1="{x(first[0])}" y1="18" x2="{x(first[0])}" y2="46" class="first"/>')
        body.append(f'<text x="{x(first[0]) + 3}" y="58" class="note first-label">{escape(label("first_token", lang))} {first[0]:.0f} ms</text>')
    sep = label("list_sep", lang)
    summary = f"{exchange.events_total} {label('chunks', lang)}{sep}{end:.0f} ms" + (f"{sep}{exchange.error_kind}" if exchange.error_kind else "")
    body.append(f'<text x="{right}" y="58" class="note" text-anchor="end">{escape(summary)}</text>')
    return _svg(64, body, f"{exchange.id} {label('stream_timeline', lang)}", "timeline")


def latency(exchanges: list[Exchange], lang: str) -> str:
    """One bar per exchange: time to headers (dark) and to the end (light), labelled with probe and status."""
    rows = [x for x in exchanges if x.timings.end_ms is not None][:80]
    if not rows:
        return ""
    longest = max(x.timings.end_ms or 0.0 for x in rows) or 1.0
    left, right, height = 230, WIDTH - 110, 14
    scale = (right - left) / longest
    body = []
    for i, x in enumerate(rows):
        y = 6 + i * (height + 4)
        end = x.timings.end_ms or 0.0
        head = x.timings.headers_ms
        status = x.status if x.status is not None else (x.error_kind or "error")
        # A label that already names its probe ("burst #1", "stream") is not preceded by the probe again.
        name = x.label if not x.label or x.label.split(" ")[0] == x.probe else f"{x.probe} {x.label}"
        body.append(f'<text x="{left - 6}" y="{y + 11}" class="note" text-anchor="end">{escape(f"{x.id} {name}"[:40])}</text>')
        body.append(f'<rect x="{left}" y="{y}" width="{max(end * scale, 1):.1f}" height="{height}" class="bar-total"/>')
        if head is not None:
            body.append(f'<rect x="{left}" y="{y}" width="{max(head * scale, 1):.1f}" height="{height}" class="bar-head"/>')
        body.append(f'<text x="{left + end * scale + 4:.1f}" y="{y + 11}" class="note">{end:.0f} ms · {escape(str(status))}</text>')
    return _svg(12 + len(rows) * (height + 4), body, label("latency", lang), "latency")


def billing(metrics: dict, lang: str) -> str:
    """Expected spend (with its tolerance band) against the observed balance change."""
    expected, observed, tolerance = (metrics.get(k) for k in ("expected", "observed", "tolerance"))
    if not all(isinstance(v, (int, float)) for v in (expected, observed, tolerance)):
        return ""
    currency = escape(str(metrics.get("currency") or ""))
    top = max(expected + tolerance, observed, 1e-12)
    left, right = 120, WIDTH - 160
    scale = (right - left) / top
    body = [
        f'<rect x="{left + (expected - tolerance) * scale:.1f}" y="4" width="{2 * tolerance * scale:.1f}" height="58" class="band"/>',
        f'<text x="{left - 6}" y="22" class="note" text-anchor="end">{escape(label("expected_cost", lang))}</text>',
        f'<rect x="{left}" y="10" width="{max(expected * scale, 1):.1f}" height="18" class="bar-expected"/>',
        f'<text x="{left + expected * scale + 4:.1f}" y="23" class="note">{expected:.6f} {currency} ± {tolerance:.6f}</text>',
        f'<text x="{left - 6}" y="50" class="note" text-anchor="end">{escape(label("observed_cost", lang))}</text>',
        f'<rect x="{left}" y="38" width="{max(observed * scale, 1):.1f}" height="18" class="bar-observed"/>',
        f'<text x="{left + observed * scale + 4:.1f}" y="51" class="note">{observed:.6f} {currency}</text>',
    ]
    return _svg(66, body, label("billing_delta", lang), "billing")
