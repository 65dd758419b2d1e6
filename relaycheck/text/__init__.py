"""Text relaycheck reasons about: offline token counts, excerpts, and relay text made safe to write."""
