"""What the user configures: targets (keys only by environment variable name) and balance adapters."""
