"""Allow `python -m relaycheck`."""

from relaycheck.cli import main

main()
