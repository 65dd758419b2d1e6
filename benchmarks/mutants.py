"""Manual mutation pass over the checks (issue 16 item 6): apply each mutant to a copy, run the tests, record kills.

Never touches the work tree: the package, tests and catalogue are copied to a scratch directory, each mutant is
applied there, and pytest runs with that copy first on PYTHONPATH (asserted). Usage:

    python benchmarks/mutants.py                 # every mutant against tests/test_thresholds_*.py
    python benchmarks/mutants.py --old N1 N2     # also against the pre-existing unit tests (slower)

A mutant whose original text is no longer in the code (it moved) is reported as "not found", not as killed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# (id, file under relaycheck/, original text (must occur once), replacement, what the bug is)
MUTANTS = [
 # the seven survivors named in issue 16
 ("N1", "checks/stream.py", "tolerance = max(2, round(0.05 * expected))", "tolerance = max(2, round(0.5 * expected))", "stream.usage tolerance 5% -> 50%"),
 ("N2", "checks/models.py", "    if not data:\n        deviations.append(\"the list is empty\")", "    if False:\n        deviations.append(\"the list is empty\")", "empty model list accepted"),
 ("N3", "checks/errors.py", "answered = [x for x in inp.exchanges if x.status is not None]\n    if not answered:\n        return Verdict(INCONCLUSIVE, \"no response was received\")", "answered = [x for x in inp.of(\"errors\")[:1] if x.status is not None]\n    if not answered:\n        return Verdict(INCONCLUSIVE, \"no response was received\")", "key-echo scans only one probe's first exchange"),
 ("N4", "checks/billing.py", "discount = cached * (price.input - price.cached_input)", "discount = cached * price.cached_input", "cached-token discount formula"),
 ("N5", "checks/long.py", "if finish == \"length\" and completion is not None and limit is not None and completion >= limit:", "if finish == \"length\":", "finish_reason length alone made inconclusive"),
 ("N6", "wire/sse.py", "self.data.startswith(\"[DONE]\")", "self.data == \"[DONE]\"", "[DONE] matched exactly, not as a prefix"),
 ("N7", "checks/usage.py", "    if hidden <= -HIDDEN_WARN:", "    if False:", "negative-overhead warn removed"),
 # chosen mutants
 ("M1", "checks/usage.py", "SLOPE_TOLERANCE = 0.03", "SLOPE_TOLERANCE = 0.04", "slope tolerance nudged"),
 ("M2", "checks/usage.py", "if hidden >= HIDDEN_FAIL:", "if hidden > HIDDEN_FAIL:", "hidden-fail comparison >= -> >"),
 ("M3", "checks/usage.py", "if hidden >= HIDDEN_WARN:", "if hidden > HIDDEN_WARN:", "hidden-warn comparison >= -> >"),
 ("M4", "checks/usage.py", "HIDDEN_WARN = 6", "HIDDEN_WARN = 7", "hidden-warn constant nudged"),
 ("M5", "checks/usage.py", "COMPLETION_TOLERANCE = 0.03", "COMPLETION_TOLERANCE = 0.05", "completion tolerance 3% -> 5%"),
 ("M6", "checks/usage.py", "r > e + max(2,", "r > e + max(3,", "completion inflated floor 2 -> 3"),
 ("M7", "checks/usage.py", "r < e - max(2,", "r < e - max(3,", "completion under floor 2 -> 3"),
 ("M8", "checks/usage.py", "+ (reasoning if is_int(reasoning) and reasoning > 0 else 0)", "+ 0", "completion ignores reported reasoning"),
 ("M9", "checks/stream.py", "tolerance = max(2, round(0.05 * expected))", "tolerance = max(3, round(0.05 * expected))", "stream.usage floor 2 -> 3"),
 ("M10", "checks/stream.py", "if abs(completion - expected) > tolerance:", "if completion - expected > tolerance:", "stream.usage under-count accepted (abs dropped)"),
 ("M11", "checks/stream.py", "MIN_TOKENS_TO_JUDGE = 50", "MIN_TOKENS_TO_JUDGE = 51", "min tokens nudged"),
 ("M12", "checks/stream.py", "n_tokens < MIN_TOKENS_TO_JUDGE", "n_tokens <= MIN_TOKENS_TO_JUDGE", "min tokens < -> <="),
 ("M13", "checks/stream.py", "BUFFERED_SPAN_MS = 20.0", "BUFFERED_SPAN_MS = 25.0", "buffered span nudged"),
 ("M14", "checks/stream.py", "if span < BUFFERED_SPAN_MS:", "if span <= BUFFERED_SPAN_MS:", "buffered span < -> <="),
 ("M15", "checks/stream.py", "    if len(content) == 1:", "    if False:", "one-chunk branch dropped"),
 ("M16", "checks/stream.py", "expected = local + reasoning", "expected = local", "stream.usage ignores reasoning"),
 ("M17", "checks/stream.py", "    if done_at is None:\n        problems.append", "    if False:\n        problems.append", "missing [DONE] accepted"),
 ("M18", "checks/stream.py", "late = _finish_after_done(ex)", "late = None", "finish-after-[DONE] not named"),
 ("M19", "checks/long.py", "if gap > threshold_ms:", "if gap >= threshold_ms:", "stall gap > -> >="),
 ("M20", "checks/long.py", "completion >= limit:", "completion > limit:", "long budget used >= -> >"),
 ("M21", "checks/long.py", "threshold_ms = inp.target.stall_threshold_s * 1000", "threshold_ms = inp.target.stall_threshold_s * 1100", "stall threshold scaled"),
 ("M22", "checks/reliability.py", "if len(failed) / len(samples) > MAX_FAILURE_RATE:", "if len(failed) / len(samples) >= MAX_FAILURE_RATE:", "failure rate > -> >="),
 ("M23", "checks/reliability.py", "if len(samples) < len(sent) / 2:", "if len(samples) <= len(sent) / 2:", "rate-limited half < -> <="),
 ("M24", "checks/reliability.py", "if x.error_kind != \"cost_cap\"]", "if True]", "cost-capped samples counted"),
 ("M25", "checks/billing.py", "TOLERANCE = 0.10", "TOLERANCE = 0.12", "billing tolerance 10% -> 12%"),
 ("M26", "checks/billing.py", "if step > expected / 2:", "if step >= expected / 2:", "coarse step > -> >="),
 ("M27", "checks/billing.py", "0 < cached <= usage[\"prompt_tokens\"]", "0 < cached", "cached above prompt discounted"),
 ("M28", "checks/billing.py", "\"errors\", \"burst\", \"twins\")", "\"errors\", \"burst\")", "twins dropped from the billed probes"),
 ("M29", "checks/cache.py", "if abs(observed - discounted) <= gap / 2:", "if abs(observed - discounted) <= gap:", "cache pass band widened"),
 ("M30", "checks/cache.py", "max(TOLERANCE * expected_first, step)", "max(0.2 * expected_first, step)", "cache calibration widened"),
 ("M31", "checks/cache.py", "if gap <= 2 * step:", "if gap <= 2e6 * step:", "cache discount always within step"),
 ("M32", "checks/models.py", "TOKENIZER_TOLERANCE = 3", "TOKENIZER_TOLERANCE = 4", "tokenizer tolerance nudged"),
 ("M33", "checks/models.py", "if abs(reported - expected) <= TOKENIZER_TOLERANCE:", "if abs(reported - expected) < TOKENIZER_TOLERANCE:", "tokenizer <= -> <"),
 ("M34", "checks/models.py", "if ex.status in (404, 405, 501) and chat is not None:", "if ex.status in (404, 405) and chat is not None:", "501 dropped from missing-list statuses"),
 ("M35", "checks/models.py", "sample = \", \".join(ids[:8]) + (\" …\" if len(ids) > 8 else \"\")", "sample = \", \".join(ids[:9]) + (\" …\" if len(ids) > 9 else \"\")", "listed sample size"),
 ("M36", "checks/reasoning.py", "SLACK = 8", "SLACK = 9", "reasoning slack nudged"),
 ("M37", "checks/reasoning.py", "RATIO = 5.0", "RATIO = 6.0", "reasoning ratio nudged"),
 ("M38", "checks/reasoning.py", "if len(surplus) * 2 > len(billed):", "if len(surplus) * 2 >= len(billed):", "reasoning majority > -> >="),
 ("M39", "checks/params.py", "if billed > SMALL_LIMIT and billed - reasoning > SMALL_LIMIT:", "if billed > SMALL_LIMIT and billed - reasoning > SMALL_LIMIT + 1:", "max_tokens visible limit off by one"),
 ("M40", "checks/errors.py", "        return Verdict(WARN, f\"refused with 403 (401 expected)", "        return Verdict(PASS, f\"refused with 403 (401 expected)", "403 for a wrong key passes"),
 ("M41", "checks/errors.py", "    if not names_it:\n        return Verdict(WARN", "    if False:\n        return Verdict(WARN", "unknown-model refusal need not name the model"),
 ("M42", "checks/chat.py", "    if others:\n", "    if False:\n", "replayed nonce branch dropped"),
]
MINE = "tests/test_thresholds_*.py"
OLD = ("tests/test_checks_unit.py tests/test_params.py tests/test_twins_cache.py tests/test_authenticity.py tests/test_errors_unit.py "
       "tests/test_injection.py tests/test_replay.py tests/test_stream_evidence.py tests/test_sse.py tests/test_billing.py")
COMMAND = "PYTHONDONTWRITEBYTECODE=1 PYTHONPATH={copy} pytest -q -n 2 -p no:cacheprovider -rf {files}"


def _run(copy: Path, files: str) -> list[str]:
    """The ids of the tests that failed (an empty list: the mutant survived)."""
    out = subprocess.run(COMMAND.format(copy=copy, files=files), shell=True, cwd=copy, capture_output=True, text=True, timeout=900).stdout
    return re.findall(r"^FAILED (\S+)", out, re.M)


def main(argv: list[str]) -> None:
    """Run the selected mutants (all by default) and print one JSON row per mutant."""
    with_old = "--old" in argv
    only = {a for a in argv if not a.startswith("--")}
    copy = Path(tempfile.mkdtemp(prefix="relaycheck-mut-"))
    for part in ("relaycheck", "tests", "checks", "pyproject.toml"):
        src = ROOT / part
        (shutil.copytree if src.is_dir() else shutil.copy)(src, copy / part)
    where = subprocess.run([sys.executable, "-c", "import relaycheck; print(relaycheck.__file__)"], cwd=copy, capture_output=True, text=True,
                           env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"}).stdout.strip()
    assert where == str(copy / "relaycheck" / "__init__.py"), f"the copy is not the package imported: {where}"
    assert not _run(copy, MINE), "the unmutated copy must pass"
    for mid, path, old, new, what in MUTANTS:
        if only and mid not in only:
            continue
        file = copy / "relaycheck" / path
        text = file.read_text()
        row: dict = {"id": mid, "what": what}
        if text.count(old) != 1:
            print(json.dumps({**row, "where": f"relaycheck/{path}", "result": "not found"}), flush=True)
            continue
        row["where"] = f"relaycheck/{path}:{text[: text.index(old)].count(chr(10)) + 1}"
        file.write_text(text.replace(old, new))
        try:
            row["killed_by"] = _run(copy, MINE)
            if with_old:
                row["killed_by_old_tests"] = _run(copy, OLD)
        finally:
            file.write_text(text)
        print(json.dumps(row), flush=True)
    shutil.rmtree(copy, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
