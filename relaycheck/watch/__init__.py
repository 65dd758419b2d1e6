"""`relaycheck watch`: probe targets on a schedule, record every cycle, judge drift, export metrics, call alerts."""
