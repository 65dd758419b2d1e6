"""Start a real LiteLLM proxy on 127.0.0.1 (from its own virtual environment) in front of demo relays."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import yaml

MASTER_KEY = "sk-litellm-master-key-relaycheck-tests"
UPSTREAM_KEY = "sk-demo-relay"  # what the demo relays accept; LiteLLM presents it upstream
COLD_START_S = 90.0  # about 10 s on an idle machine; generous for a loaded CI runner


def executable() -> str | None:
    """The litellm command: $RELAYCHECK_LITELLM (set by .ci/run), else .ci-litellm/bin/litellm in the checkout."""
    named = os.environ.get("RELAYCHECK_LITELLM")
    if named:
        return named if Path(named).is_file() else None
    local = Path(__file__).resolve().parents[2] / ".ci-litellm" / "bin" / "litellm"
    return str(local) if local.is_file() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(upstream: str, slow_upstream: str, sibling_upstream: str | None = None) -> dict:
    """A mock model, a model forwarded to the demo relay, one with an rpm limit, one with a short timeout (and
    gpt-4.1-mini forwarded to an upstream that serves a cheaper sibling under that name)."""
    forwarded = {"model": "openai/gpt-4o-mini", "api_base": upstream, "api_key": UPSTREAM_KEY}
    sibling = [{"model_name": "gpt-4.1-mini", "litellm_params": {"model": "openai/gpt-4.1-mini", "api_base": sibling_upstream,
                                                                  "api_key": UPSTREAM_KEY}}] if sibling_upstream else []
    return {
        "model_list": [*sibling,
            {"model_name": "mock-gpt", "litellm_params": {"model": "openai/gpt-4o-mini", "mock_response": "Hello from the mock"}},
            {"model_name": "gpt-4o-mini", "litellm_params": forwarded},
            {"model_name": "limited", "litellm_params": {**forwarded, "rpm": 2}},
            {"model_name": "slow", "litellm_params": {**forwarded, "api_base": slow_upstream, "timeout": 1}},
        ],
        "router_settings": {"enable_pre_call_checks": True},
        # LiteLLM answers /v1/messages for OpenAI deployments through the upstream's Responses API unless told to use
        # Chat Completions (the demo relay serves no /v1/responses yet): its documented switch.
        "litellm_settings": {"use_chat_completions_url_for_anthropic_messages": True},
        "general_settings": {"master_key": MASTER_KEY},
    }


@contextmanager
def running(command: str, workdir: Path, upstream: str, slow_upstream: str, sibling_upstream: str | None = None) -> Iterator[str]:
    """Run the proxy without a database until the block ends; yield its base URL (…/v1)."""
    path = workdir / "litellm.yaml"
    path.write_text(yaml.safe_dump(config(upstream, slow_upstream, sibling_upstream)))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "DATABASE_URL", "LITELLM_"))}
    env.update(LITELLM_LOCAL_MODEL_COST_MAP="True", NO_PROXY="*", no_proxy="*")  # offline: no cost-map download
    log = (workdir / "litellm.log").open("wb")
    proc = subprocess.Popen([command, "--config", str(path), "--host", "127.0.0.1", "--port", str(port), "--telemetry", "False"],
                            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=workdir)
    try:
        deadline = time.monotonic() + COLD_START_S
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the LiteLLM proxy exited with {proc.returncode}:\n{(workdir / 'litellm.log').read_text()[-3000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health/liveliness", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the LiteLLM proxy did not become live in {COLD_START_S:.0f} s")
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def available() -> tuple[str | None, str]:
    """(command, reason it is missing)."""
    command = executable()
    if command:
        return command, ""
    hint = "LiteLLM proxy not installed: .ci/run installs it into .ci-litellm (or set RELAYCHECK_LITELLM to a litellm executable)"
    return None, hint + ("" if shutil.which("python3") else "; no python3 to install it with")
