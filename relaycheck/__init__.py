"""relaycheck: verify an OpenAI-compatible API relay and produce a redacted evidence report."""

__version__ = "0.1.0"
