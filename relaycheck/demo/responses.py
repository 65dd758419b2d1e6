"""The demo relay's OpenAI Responses face: requests read into the Chat Completions shape the stand-in answers, and
its answers written back as response objects and typed stream events (errors stay in OpenAI's shape)."""

from __future__ import annotations

import time
from typing import Any

from relaycheck.demo import model as stand_in
from relaycheck.demo.model import content_text
from relaycheck.demo.streaming import send_named_events


REQUEST_ID = "x-request-id"  # OpenAI's request id header


def to_chat(body: Any) -> Any:
    """A Responses request as the Chat Completions body the stand-in reads (instructions as a system message,
    input items as messages, functions and tool_choice in Chat Completions' form); a body that is not a JSON
    object, or has no input, is passed on for the usual refusals."""
    if not isinstance(body, dict):
        return body
    given = body.get("input")
    if isinstance(given, str):
        messages: Any = [{"role": "user", "content": given}]
    elif isinstance(given, list):
        messages = [{"role": m.get("role"), "content": content_text(m.get("content"))} for m in given if isinstance(m, dict) and "role" in m]
    else:
        messages = given
    if isinstance(body.get("instructions"), str) and isinstance(messages, list):
        messages = [{"role": "system", "content": body["instructions"]}, *messages]
    chat: dict = {"model": body.get("model"), "messages": messages}
    for key, chat_key in (("max_output_tokens", "max_tokens"), ("temperature", "temperature"), ("stream", "stream")):
        if key in body:
            chat[chat_key] = body[key]
    tools = body.get("tools")
    if isinstance(tools, list):
        chat["tools"] = [{"type": "function", "function": {"name": t.get("name"), "description": t.get("description", ""),
                                                           "parameters": t.get("parameters", {})}}
                         for t in tools if isinstance(t, dict) and t.get("type") == "function"]
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "function":
        chat["tool_choice"] = {"type": "function", "function": {"name": choice.get("name")}}
    elif isinstance(choice, str):
        chat["tool_choice"] = choice
    return chat


def _usage(completion: stand_in.Completion) -> dict:
    return {"input_tokens": completion.prompt_tokens, "input_tokens_details": {"cached_tokens": completion.cached_tokens},
            "output_tokens": completion.completion_tokens, "output_tokens_details": {"reasoning_tokens": completion.reasoning_tokens},
            "total_tokens": completion.prompt_tokens + completion.completion_tokens}


def _message(n: int, text: str) -> dict:
    return {"type": "message", "id": f"msg_demo{n:024d}", "status": "completed", "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}


def _function_call(n: int, i: int, call: dict) -> dict:
    return {"type": "function_call", "id": f"fc_demo{n:020d}{i:02d}", "call_id": call["id"], "name": call["function"]["name"],
            "arguments": call["function"]["arguments"], "status": "completed"}


def reply(n: int, model: str, completion: stand_in.Completion, calls: list[dict], text: bool, done: bool = True) -> dict:
    """The response object: in progress (no output, no usage) or finished, cut at the limit as `incomplete`."""
    cut = completion.finish_reason == "length"
    output = ([_message(n, completion.text)] if text else []) + [_function_call(n, i, c) for i, c in enumerate(calls)]
    status = ("incomplete" if cut else "completed") if done else "in_progress"
    return {"id": f"resp_demo{n:024d}", "object": "response", "created_at": int(time.time()), "status": status, "error": None,
            "incomplete_details": {"reason": "max_output_tokens"} if cut and done else None, "model": model,
            "output": output if done else [], "parallel_tool_calls": True, "store": False,
            "usage": _usage(completion) if done else None}


def events(n: int, model: str, completion: stand_in.Completion, calls: list[dict], text: bool, completed: bool = True):
    """The typed events of a streamed response, as (event name, payload, paced) in order, numbered as OpenAI does."""
    sequence = iter(range(1_000_000))

    def event(kind: str, paced: bool = False, **fields: Any):
        return kind, {"type": kind, "sequence_number": next(sequence), **fields}, paced

    yield event("response.created", response=reply(n, model, completion, calls, text, done=False))
    yield event("response.in_progress", response=reply(n, model, completion, calls, text, done=False))
    index = 0
    if text:
        item = _message(n, completion.text)
        yield event("response.output_item.added", output_index=0, item={**item, "status": "in_progress", "content": []})
        yield event("response.content_part.added", item_id=item["id"], output_index=0, content_index=0,
                    part={"type": "output_text", "text": "", "annotations": []})
        for i, piece in enumerate(completion.pieces):
            yield event("response.output_text.delta", stand_in.paced(i), item_id=item["id"], output_index=0, content_index=0, delta=piece)
        yield event("response.output_text.done", item_id=item["id"], output_index=0, content_index=0, text=completion.text)
        yield event("response.content_part.done", item_id=item["id"], output_index=0, content_index=0, part=item["content"][0])
        yield event("response.output_item.done", output_index=0, item=item)
        index = 1
    for i, call in enumerate(calls):
        item = _function_call(n, i, call)
        arguments = item["arguments"]
        yield event("response.output_item.added", output_index=index, item={**item, "arguments": "", "status": "in_progress"})
        for at in range(0, len(arguments), 8):
            yield event("response.function_call_arguments.delta", True, item_id=item["id"], output_index=index, delta=arguments[at:at + 8])
        yield event("response.function_call_arguments.done", item_id=item["id"], output_index=index, arguments=arguments)
        yield event("response.output_item.done", output_index=index, item=item)
        index += 1
    if completed:
        final = reply(n, model, completion, calls, text)
        yield event("response.incomplete" if final["status"] == "incomplete" else "response.completed", response=final)


def send_stream(handler: Any, n: int, model: str, completion: stand_in.Completion, calls: list[dict], text: bool) -> None:
    """Write the typed events, paced like the Chat Completions stream (the no_response_completed fault drops the end)."""
    send_named_events(handler, {REQUEST_ID: f"req_demo{n}"},
                      events(n, model, completion, calls, text, completed=not handler.behaviour.omit_response_completed))
