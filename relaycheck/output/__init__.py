"""Writing a sealed Report out: stdout or files, and evidence bundles."""
