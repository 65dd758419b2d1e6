"""Boundary and secondary-branch tests for the model, chat, parameter and error checks."""

from __future__ import annotations

from dataclasses import replace

import pytest

from relaycheck.checks.models import TOKENIZER_TOLERANCE, tokenizer_candidates
from relaycheck.probes import prompts
from relaycheck.probes.params import SMALL_LIMIT
from test_checks_unit import NONCE, ex, reply, verdict
from test_params import _judge, _reply as params_reply, _x as params_x
from test_twins_cache import _same, _twins

BASE = [{"role": "user", "content": prompts.short_prompt(NONCE)}]
PROBE = [{"role": "user", "content": prompts.short_prompt(NONCE, prompts.TOKENIZER_PROBE_TEXT)}]


def test_the_pinned_constants_are_the_documented_ones():
    assert (TOKENIZER_TOLERANCE, SMALL_LIMIT) == (3, 10)
    # The candidates these boundaries are written for (o200k is what gpt-4o-mini claims).
    assert tokenizer_candidates(BASE, PROBE) == {"o200k_base": 45, "cl100k_base": 101, "bytes/4 estimate": 74.5, "chars/4 estimate": 33.5}


def _tok(grew_by: int):
    def one(xid, label, messages, prompt):
        body = {"id": "c", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "OK"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": prompt, "completion_tokens": 1, "total_tokens": prompt + 1}}
        return ex(xid, probe="tokenizer", label=label, body=body, request={"model": "gpt-4o-mini", "messages": messages})
    return one("t1", "base", BASE, 20), one("t2", "with probe text", PROBE, 20 + grew_by)


@pytest.mark.parametrize("grew_by,status", [
    (45, "pass"), (42, "pass"), (48, "pass"), (41, "inconclusive"), (49, "inconclusive"),  # o200k ± 3
    (98, "fail"), (104, "fail"), (97, "inconclusive"), (105, "inconclusive"),  # counts like cl100k
    (36, "fail"), (37, "inconclusive"), (77, "fail"), (78, "inconclusive"),  # the crude estimates
])
def test_tokenizer_tolerance_boundaries(grew_by, status):
    assert verdict("models.tokenizer", *_tok(grew_by)).status == status


def _list(body):
    return ex(probe="root", model=None, body=body, label="configured base")


def test_an_empty_model_list_warns():
    v = verdict("models.list", _list({"object": "list", "data": []}), model=None)
    assert v.status == "warn" and "the list is empty" in v.summary and v.metrics == {"models": 0}


MODELS_URL = "https://relay.example/v1/models"


def test_a_missing_list_while_chat_answers_warns_and_other_statuses_fail():
    chat = ex("c1", body={"id": "c", "object": "chat.completion", "choices": []})
    for status in (404, 405, 501):
        missing = replace(ex("r1", probe="root", model=None, status=status, body={"error": {"message": "no"}}, label="configured base"), url=MODELS_URL)
        assert verdict("models.list", missing, chat, model=None).status == "warn"
        assert verdict("models.list", missing, model=None).status == "fail"  # nothing answers there at all
    broken = replace(ex("r1", probe="root", model=None, status=500, body={"error": {"message": "no"}}, label="configured base"), url=MODELS_URL)
    assert verdict("models.list", broken, chat, model=None).status == "fail"


def test_listed_shows_at_most_eight_names():
    ids = [f"m{i}" for i in range(9)]
    v = verdict("models.listed", _list({"object": "list", "data": [{"id": i} for i in ids]}))
    assert v.status == "fail" and "m7 …" in v.summary and "m8" not in v.summary
    eight = verdict("models.listed", _list({"object": "list", "data": [{"id": i} for i in ids[:8]]}))
    assert "m7)" in eight.summary and "…" not in eight.summary


def test_key_echo_is_found_on_any_probe_not_only_the_errors_probe():
    quiet = ex("e1", probe="errors", label="wrong key", status=401, body={"error": {"message": "bad"}})
    echoed = ex("c9", probe="chat", status=200, body={"x": 1}, key_echoed=True)
    v = verdict("errors.key_echo", quiet, echoed, model=None)
    assert v.status == "fail" and v.evidence == ("c9",)
    later = ex("e2", probe="errors", label="no key", status=401, body={"error": {"message": "bad"}}, key_echoed=True)
    assert verdict("errors.key_echo", quiet, later, model=None).evidence == ("e2",)
    assert verdict("errors.key_echo", quiet, model=None).status == "pass"


def test_max_tokens_limit_boundary():
    def one(content, finish, billed, reasoning=None):
        body = params_reply(content, finish, billed)
        if reasoning is not None:
            body["usage"]["completion_tokens_details"] = {"reasoning_tokens": reasoning}
        return (params_x("x1", "max_tokens", 200, body),)
    assert _judge("params.max_tokens", one("1\n2\n3\n4\n5", "length", SMALL_LIMIT)) == "pass"
    assert _judge("params.max_tokens", one("1\n2\n3\n4\n5", "length", SMALL_LIMIT + 1)) == "fail"
    assert _judge("params.max_tokens", one("1\n2\n3\n4\n5", "length", SMALL_LIMIT + 5, reasoning=5)) == "pass"  # 10 visible
    assert _judge("params.max_tokens", one("1\n2\n3\n4\n5", "length", SMALL_LIMIT + 5, reasoning=4)) == "fail"  # 11 visible


def test_follows_length_alone_is_inconclusive_only_without_an_other_nonce():
    assert verdict("chat.follows", reply("1 2 3", finish="length")).status == "inconclusive"
    assert verdict("chat.follows", reply("   ", finish="stop")).status == "inconclusive"
    assert verdict("chat.follows", reply("relaycheck-nonce-ZZZZZ99999", finish="length")).status == "fail"


def test_twins_need_two_models():
    assert _twins({"gpt-4o-mini": _same("A.")}).status == "skip"
    assert _twins({"gpt-4o-mini": _same("A."), "claude-sonnet-4-5": _same("A.")}).status == "fail"


def test_unknown_model_refusal_statuses():
    def unknown(status, message, err_type="invalid_request_error"):
        body = {"error": {"message": message, "type": err_type}}
        return ex("u1", probe="errors", label="unknown model", status=status, body=body, request={"model": "relaycheck-no-such-model"})
    assert verdict("errors.unknown_model", unknown(404, "The model relaycheck-no-such-model does not exist"), model=None).status == "pass"
    assert verdict("errors.unknown_model", unknown(400, "bad request"), model=None).status == "warn"  # does not name the model
    assert verdict("errors.unknown_model", unknown(500, "model not found"), model=None).status == "fail"
    assert verdict("errors.unknown_model", unknown(429, "slow down"), model=None).status == "inconclusive"


def test_refusal_statuses_of_a_wrong_key():
    def wrong(status, body):
        return ex("w1", probe="errors", label="wrong key", status=status, body=body)
    err = {"error": {"message": "invalid key", "type": "invalid_request_error"}}
    assert verdict("errors.bad_key", wrong(401, err), model=None).status == "pass"
    assert verdict("errors.bad_key", wrong(403, err), model=None).status == "warn"
    assert verdict("errors.bad_key", wrong(400, err), model=None).status == "warn"
    assert verdict("errors.bad_key", wrong(500, err), model=None).status == "fail"
    assert verdict("errors.bad_key", wrong(200, {"id": "c", "choices": []}), model=None).status == "fail"
    assert verdict("errors.bad_key", wrong(401, ""), model=None).status == "warn"  # no error body
