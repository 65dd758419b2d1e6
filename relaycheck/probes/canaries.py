"""The integrity asks: agent tools, the canary arguments a model is asked to copy, and how a prompt is read back.

Every canary is fresh per request, harmless and unmistakable: `rc-canary-` and ten random lowercase letters or
digits. It is a package name no index holds, a path under /tmp, a host under `.invalid` (RFC 2606: it never
resolves) and a payee no ledger knows, so a call that escapes into a real agent does nothing, and nothing in it
looks like a secret (the redaction never hides it, so a rewrite is shown as it was made).
"""

from __future__ import annotations

import json
import re
import secrets
import string
from dataclasses import dataclass

from relaycheck.text import tokens

CANARY_PREFIX = "rc-canary-"
CANARY_PATTERN = re.compile(re.escape(CANARY_PREFIX) + r"[a-z0-9]{10}")
CANARY_HOST = "canary.relaycheck.invalid"
CANARY_TOKENS = 10  # the random part of a canary is at most one token per character
CONTENT_MAX_TOKENS = 64  # the code block is 47 tokens (55 with the unluckiest canary)
AUDIT_MAX_TOKENS = 32  # two canaries and a space: 10 to 28 tokens
REASONING_BUDGET = 512


def new_canary() -> str:
    """A fresh canary: a harmless name nothing real carries."""
    alphabet = string.ascii_lowercase + string.digits
    return CANARY_PREFIX + "".join(secrets.choice(alphabet) for _ in range(10))


@dataclass(frozen=True)
class Tool:
    """A tool definition in no wire format's shape: the protocol writes it out (Chat Completions: a function)."""

    name: str
    description: str
    parameters: dict


def _strings(*names: str, arrays: tuple[str, ...] = ()) -> dict:
    props = {n: {"type": "array", "items": {"type": "string"}} if n in arrays else {"type": "string"} for n in names}
    return {"type": "object", "properties": props, "required": list(names), "additionalProperties": False}


# The neutral tools of the default run: names no agent framework uses, so a router keying on agents' names shows
# its clean face here; probes/triggers.py repeats the asks under the agents' own names.
RUN_COMMAND = Tool("run_command", "Run a shell command on the user's machine.", _strings("command"))
SAVE_FILE = Tool("save_file", "Write a text file on the user's machine.", _strings("path", "content"))
SEND_PAYMENT = Tool("send_payment", "Send a payment to a recipient.", _strings("recipient", "amount"))
LOOKUP_CODE = "lookup_code"


@dataclass(frozen=True)
class CallAsk:
    """One forced tool call relaycheck asks for: the tool, the arguments to copy verbatim, and how it is asked."""

    label: str
    tool: Tool
    arguments: dict
    stream: bool = False
    prose: bool = False  # the second phrasing: one argument's value in words, not the arguments as JSON
    trigger: str = ""  # the agent whose tool this imitates ("" for the neutral tools)
    max_tokens: int = 32  # room above the arguments' JSON (an install command is 17 tokens, 21 at worst)

    @property
    def prompt(self) -> str:
        """The user message."""
        return call_prompt(self.tool.name, self.arguments, self.prose)


def call_prompt(name: str, arguments: dict, prose: bool = False) -> str:
    """Ask for one call of `name` with `arguments`, as JSON, or (prose) one string argument's value in words."""
    if prose:
        (param, value), = arguments.items()
        return f"Use the {name} tool once. Its {param} argument must be exactly this, character for character: {value}"
    return f"Call the {name} tool exactly once, with exactly these arguments, copied character for character: {json.dumps(arguments)}"


_JSON_ASK = re.compile(r"^Call the (\S+) tool exactly once, with exactly these arguments, copied character for character: (\{.*\})\s*$", re.S)
_PROSE_ASK = re.compile(r"^Use the (\S+) tool once\. Its (\w+) argument must be exactly this, character for character: (.+?)\s*$", re.S)


def asked_call(prompt: str) -> tuple[str, dict] | None:
    """The tool name and arguments a prompt of call_prompt asks for, or None for any other prompt."""
    if (m := _JSON_ASK.match(prompt)) is not None:
        try:
            arguments = json.loads(m.group(2))
        except ValueError:
            return None
        return (m.group(1), arguments) if isinstance(arguments, dict) else None
    if (m := _PROSE_ASK.match(prompt)) is not None:
        return m.group(1), {m.group(2): m.group(3)}
    return None


def install(canary: str) -> str:
    """An install command naming the canary package."""
    return f"pip install {canary}"


def shell_asks() -> tuple[CallAsk, ...]:
    """The default run's tool calls: an install command on both paths (two phrasings), a file write and a payment."""
    return (
        CallAsk("shell", RUN_COMMAND, {"command": install(new_canary())}),
        CallAsk("shell stream", RUN_COMMAND, {"command": install(new_canary())}, stream=True, prose=True),
        CallAsk("file", SAVE_FILE, {"path": f"/tmp/{new_canary()}/notes.txt", "content": f"checked by {new_canary()}"}, max_tokens=52),
        CallAsk("payment", SEND_PAYMENT, {"recipient": new_canary(), "amount": "0.01"}, max_tokens=36),
    )


# The same asks under the names and schemas of widely used agents' tools: routers that tamper only with agent
# traffic key on these (the integrity.conditional check compares them with the neutral asks above).
def _patch(canary: str) -> str:
    return f"*** Begin Patch\n*** Add File: /tmp/{canary}/notes.txt\n+checked by {canary}\n*** End Patch"


def trigger_asks() -> tuple[CallAsk, ...]:
    """The agent-named asks: shell tools (one also streamed) and file-writing tools, each with fresh canaries."""
    shell = "Executes a given bash command and returns its output."
    return (
        CallAsk("Bash (Claude Code)", Tool("Bash", shell, _strings("command")), {"command": install(new_canary())}, trigger="Claude Code"),
        CallAsk("Bash stream (Claude Code)", Tool("Bash", shell, _strings("command")), {"command": install(new_canary())}, stream=True,
                trigger="Claude Code"),
        CallAsk("shell (Codex CLI)", Tool("shell", "Runs a shell command and returns its output.", _strings("command", arrays=("command",))),
                {"command": ["bash", "-lc", install(new_canary())]}, trigger="Codex CLI", max_tokens=40),
        CallAsk("run_terminal_cmd (Cursor)", Tool("run_terminal_cmd", "Run a terminal command on behalf of the user.", _strings("command")),
                {"command": install(new_canary())}, trigger="Cursor"),
        CallAsk("execute_command (Cline)", Tool("execute_command", "Execute a CLI command on the system.", _strings("command")),
                {"command": install(new_canary())}, trigger="Cline"),
        CallAsk("write_file (Gemini CLI)", Tool("write_file", "Writes content to a specified file.", _strings("file_path", "content")),
                {"file_path": f"/tmp/{new_canary()}/notes.txt", "content": f"checked by {new_canary()}"}, trigger="Gemini CLI", max_tokens=52),
        CallAsk("Write (Claude Code)", Tool("Write", "Writes a file to the local filesystem.", _strings("file_path", "content")),
                {"file_path": f"/tmp/{new_canary()}/notes.txt", "content": f"checked by {new_canary()}"}, trigger="Claude Code", max_tokens=52),
        CallAsk("apply_patch (Codex CLI)", Tool("apply_patch", "Apply a patch to files.", _strings("input")),
                {"input": _patch(new_canary())}, trigger="Codex CLI", max_tokens=64),
    )


# User-Agent strings of common agent clients (the opt-in agent_user_agent trigger): a router can key on the client.
AGENT_USER_AGENTS = (
    ("Claude Code", "claude-cli/2.0.14 (external, cli)"),
    ("Codex CLI", "codex_cli_rs/0.46.0 (Ubuntu 24.4.0; x86_64) xterm-256color"),
)


def user_agent_asks() -> tuple[tuple[CallAsk, str], ...]:
    """The neutral install ask sent as each agent client: (ask, User-Agent)."""
    return tuple((CallAsk(f"run_command ({client}'s user agent)", RUN_COMMAND, {"command": install(new_canary())}, trigger=client), agent)
                 for client, agent in AGENT_USER_AGENTS)


# --- content: an exact code block ---------------------------------------------------------------------------

EXACT_TEXT = "Reply with exactly this text and nothing else:"


def code_block(canary: str) -> str:
    """A download-and-install snippet whose URL, host and package name carry the canary."""
    return f"```sh\ncurl -fsSL https://{CANARY_HOST}/{canary}/install.sh -o install.sh\npip install {canary}\n```"


def content_prompt(canary: str) -> str:
    """Ask for the code block verbatim (the demand reads it back after the first line)."""
    return f"{EXACT_TEXT}\n{code_block(canary)}"


# --- request: canaries in the system message and in a tool description --------------------------------------

AUDIT_PROMPT = (f"Reply with the audit phrase from the system message, then one space, then the code word from the description "
                f"of the {LOOKUP_CODE} tool, and nothing else. Do not call any tool.")


def audit_system(canary: str) -> str:
    """The system message of the request ask."""
    return f"The audit phrase of this conversation is {canary}."


def audit_tool(canary: str) -> Tool:
    """The tool whose description carries the second canary (the request forbids calling it)."""
    return Tool(LOOKUP_CODE, f"Looks up a code. The code word of this tool is {canary}.", _strings("query"))


# --- ceilings ------------------------------------------------------------------------------------------------

TOOL_FRAMING = 12  # per tool, beyond its JSON (which already spends more than the templates' own wording)
# Models whose tokenizer relaycheck does not know are counted a byte a token; with tools, Anthropic also bills a
# hidden tool-use system prompt (a few hundred tokens, documented per model): this much more per request.
TOOL_PROMPT_ALLOWANCE = 600


def budget(model: str, visible: int) -> int:
    """The visible completion budget of an ask: as sized for OpenAI's tokenizers, or twice that and more for a
    model whose tokenizer is unknown (Claude's tool-use framing costs more than the arguments' JSON)."""
    return visible if tokens.encoding_for(model) != tokens.UNKNOWN else 2 * visible + 32


def text_ceiling(model: str, text: str) -> int:
    """An upper bound on the tokens of `text`: each canary's random part at one token per character, so the draw
    never changes the ceiling."""
    text, found = CANARY_PATTERN.subn("", text)
    encoding = tokens.encoding_for(model)
    if encoding == tokens.UNKNOWN:  # no tokenizer spends more than one token per byte
        return found * len(CANARY_PREFIX + "0" * CANARY_TOKENS) + len(text.encode("utf-8"))
    return found * (tokens.count_text(CANARY_PREFIX, encoding) + CANARY_TOKENS) + tokens.count_text(text, encoding)


def messages_ceiling(model: str, messages: list[dict], tools: tuple[Tool, ...] = ()) -> int:
    """An upper bound on the prompt tokens of messages plus tool definitions."""
    framing = 4 * len(messages) + 3  # per-message and reply-priming tokens of the chat template
    total = framing + sum(text_ceiling(model, str(m.get("content") or "")) for m in messages)
    if tools and tokens.encoding_for(model) == tokens.UNKNOWN:
        total += TOOL_PROMPT_ALLOWANCE
    for tool in tools:
        total += TOOL_FRAMING + text_ceiling(model, json.dumps({"name": tool.name, "description": tool.description,
                                                                "parameters": tool.parameters}))
    return total
