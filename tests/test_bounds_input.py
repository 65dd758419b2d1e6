"""Bounds the user set too low are refused up front, never blamed on the relay (issue 15, case 6)."""

from __future__ import annotations

import pytest

from test_bad_input import _cli, _one_line
from conftest import make_canary


@pytest.mark.parametrize("value", ["100", "65535", "17000000"])
def test_a_body_cap_outside_its_bounds_is_one_line_and_exit_2(tmp_path, value):
    env = {"PATH": "/usr/bin:/bin", "RELAY_KEY": make_canary()}
    # Port 9 on loopback: were anything sent, the run would report connection errors instead of exiting 2.
    result = _cli(["probe", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--api-key-env", "RELAY_KEY", "--body-cap", value],
                  env, tmp_path)
    _one_line(result, "--body-cap must be from 65536 to 16777216 bytes")
