"""The renderers' own words in English and Chinese (check titles and rationales come from the checklist)."""

from __future__ import annotations

LANGS = ("en", "zh")

_LABELS: dict[str, tuple[str, str]] = {
    # key: (English, Chinese)
    "report_title": ("relaycheck report", "relaycheck 检测报告"),
    "tool": ("Tool", "工具"),
    "run_utc": ("Run (UTC)", "运行时间（UTC）"),
    "profile": ("Profile", "检查配置"),
    "fail_on": ("fail on", "失败阈值"),
    "target": ("Target", "目标"),
    "base_url": ("Base URL", "基础地址"),
    "works_at": ("Working base URL", "实际可用的基础地址"),
    "key": ("Key", "密钥"),
    "masked": ("masked", "已脱敏"),
    "key_sent_as": ("Key sent as", "密钥发送方式"),
    "protocol": ("Protocol", "协议"),
    "models": ("Models", "模型"),
    "plan": ("Plan ceiling", "计划上限"),
    "fingerprint": ("Fingerprint", "中转站指纹"),
    "result": ("Result", "结果"),
    "reliability": ("Reliability", "稳定性"),
    "check": ("Check", "检查项"),
    "model": ("Model", "模型"),
    "status": ("Status", "状态"),
    "severity": ("Severity", "严重度"),
    "summary": ("Summary", "观察结果"),
    "all_models": ("all models", "所有模型"),
    "details": ("Details for support", "提交给客服的详情"),
    "expected": ("Expected", "预期"),
    "observed": ("Observed", "实际"),
    "why": ("Why it matters", "为什么重要"),
    "what_to_do": ("What to do", "建议"),
    "time_utc": ("Time (UTC)", "时间（UTC）"),
    "http_status": ("Status", "状态码"),
    "no_response": ("no response", "无响应"),
    "request_ids": ("Request ids", "请求 ID"),
    "none_returned": ("none returned", "未返回"),
    "raw_error": ("Raw error text", "错误原文"),
    "empty_body": ("(empty body)", "（空响应体）"),
    "error_message": ("Error message", "错误信息"),
    "classified": ("Classified as", "归类为"),
    "verdict_fail": ("{n} failing check(s) at or above {floor}", "{n} 项检查失败（严重度为“{floor}”或更高）"),
    "verdict_ok": ("no failing check at or above {floor}", "没有严重度为“{floor}”或更高的失败检查"),
    "comparison": ("Comparison", "目标对比"),
    "passed": ("passed", "通过"),
    "failures": ("failures", "失败"),
    "ttft": ("TTFT", "首字延迟"),
    "tokens_per_s": ("tokens/s", "tokens/秒"),
    "price_multiplier": ("price multiplier", "实际/标价倍数"),
    "exchanges": ("Exchanges", "请求记录"),
    "request": ("Request", "请求"),
    "response": ("Response", "响应"),
    "stream_timeline": ("Stream timelines", "流式输出时间线"),
    "latency": ("Latency per probe", "各探测的延迟"),
    "billing_delta": ("Billing: expected vs observed", "计费：预期与实际"),
    "first_token": ("first token", "首个 token"),
    "stall": ("stall", "卡顿"),
    "chunks": ("chunks", "数据块"),
    "expected_cost": ("expected", "预期"),
    "observed_cost": ("observed", "实际"),
    "tolerance": ("tolerance", "容差"),
    "not_measured": ("not measured", "未测得"),
    "plan_requests": ("at most {requests} requests, {tokens} tokens", "最多 {requests} 个请求、{tokens} 个 token"),
    "plan_cost": (", cost at most {cost} {currency}", "，费用最多 {cost} {currency}"),
    "events_shown": ("{shown} of {total} events shown", "显示 {shown} / {total} 个事件"),
    "max_gap": ("max gap", "最大间隔"),
    "list_sep": (", ", "，"),
    "colon": (": ", "："),
    "full_stop": (".", "。"),
    "parens": ("({text})", "（{text}）"),
    "report_written": ("report written to {path}", "报告已写入 {path}"),
    "bundle_written": ("evidence bundle written to {path} (MANIFEST.sha256 sha256 {digest}; check with: relaycheck verify-bundle {path})",
                       "证据包已写入 {path}（MANIFEST.sha256 的 sha256 为 {digest}；校验命令：relaycheck verify-bundle {path}）"),
    "probing": ("probing {name}", "正在检测 {name}"),
    "dry_plan": ("plan for {name} ({url}): {checks} checks, at most {requests} requests, {tokens} tokens, {cost}",
                 "{name}（{url}）的计划：{checks} 项检查，最多 {requests} 个请求、{tokens} 个 token，{cost}"),
    "dry_cost": ("cost at most {cost}", "费用最多 {cost}"),
    "dry_no_cost": ("cost unknown (no price)", "费用未知（未配置价格）"),
    "dry_cap": (" (cap {cap})", "（上限 {cap}）"),
    "dry_columns": ("probe|model|requests|prompt|completion|max cost", "探测|模型|请求数|提示 token|补全 token|最高费用"),
    "dry_done": ("dry run: nothing was sent", "试运行：未发送任何请求"),
    "no_price": ("no price", "无价格"),
}

_STATUS = {
    "pass": ("pass", "通过"),
    "warn": ("warn", "警告"),
    "fail": ("fail", "失败"),
    "inconclusive": ("inconclusive", "无法判定"),
    "skip": ("skip", "跳过"),
}

_SEVERITY = {
    "info": ("info", "信息"),
    "low": ("low", "低"),
    "medium": ("medium", "中"),
    "high": ("high", "高"),
    "critical": ("critical", "严重"),
    "none": ("none", "无"),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "zh" else pair[0]


def label(key: str, lang: str = "en", **values: object) -> str:
    """A renderer label in `lang`, with {placeholders} filled from `values`."""
    text = _pick(_LABELS[key], lang)
    return text.format(**values) if values else text


def status(name: str, lang: str = "en") -> str:
    """A verdict status in `lang`."""
    return _pick(_STATUS[name], lang)


def severity(name: str, lang: str = "en") -> str:
    """A severity level in `lang`."""
    return _pick(_SEVERITY.get(name, (name, name)), lang)


def check_lang(lang: str) -> str:
    """Return `lang` if supported, else raise ValueError naming the choices."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; valid: {', '.join(LANGS)}")
    return lang
