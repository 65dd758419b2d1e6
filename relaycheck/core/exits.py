"""Exception types that map to documented exit codes."""

from __future__ import annotations


class UsageError(Exception):
    """Bad input from the user: configuration, flags, environment. Exit code 2."""

    exit_code = 2


class SecretLeakError(Exception):
    """An output was about to contain a known secret and was refused. Exit code 3."""

    exit_code = 3
