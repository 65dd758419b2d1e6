"""Time bounds that hold on a loaded machine: a wall-clock bound is stretched by how oversubscribed the CPUs are."""

from __future__ import annotations

import os


def load_factor() -> float:
    """Runnable processes per CPU over the last minute, at least 1.

    A CPU-bound child (parsing 20,000 events, redacting, rendering) takes about this many times its unloaded wall time
    when the CPUs are shared; a hang still runs past any stretched bound, so the bound keeps its meaning.
    """
    return max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))
