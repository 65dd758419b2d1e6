"""The embedded demo relay: a real loopback HTTP server with a deterministic stand-in model and fault modes."""
