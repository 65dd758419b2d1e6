"""Tokenizer tables relaycheck needs without tiktoken at run time: the pre-tokenising patterns and the model map.

Data, not code, taken from tiktoken 0.14.0 (MIT): the `pat_str` of `o200k_base` and `cl100k_base` in
tiktoken_ext/openai_public.py, and MODEL_TO_ENCODING / MODEL_PREFIX_TO_ENCODING in tiktoken/model.py.
tiktoken itself is not a runtime dependency: relaycheck never used its Rust encoder (relaycheck/text/bpe.py runs the
merge over one rank table, a third of the memory), and it brought requests, urllib3 and certifi along for a
download relaycheck must never make. tests/test_tokens.py holds these tables equal to the installed tiktoken's
(a test dependency) and bpe.py's output equal to tiktoken's encoder, so an update there shows up here.
"""

from __future__ import annotations

# The regex each encoding splits text with before the byte-pair merge (run by the `regex` module).
PATTERNS: dict[str, str] = {
    'o200k_base': "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    'cl100k_base': "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}++|\\p{N}{1,3}+| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*+|\\s++$|\\s*[\\r\\n]|\\s+(?!\\S)|\\s",
}

# Exact model names, then name prefixes (first match wins, in this order), to their encodings.
MODEL_TO_ENCODING: dict[str, str] = {
    'o1': 'o200k_base',
    'o3': 'o200k_base',
    'o4-mini': 'o200k_base',
    'gpt-5': 'o200k_base',
    'gpt-4.1': 'o200k_base',
    'gpt-4o': 'o200k_base',
    'gpt-4': 'cl100k_base',
    'gpt-3.5-turbo': 'cl100k_base',
    'gpt-3.5': 'cl100k_base',
    'gpt-35-turbo': 'cl100k_base',
    'davinci-002': 'cl100k_base',
    'babbage-002': 'cl100k_base',
    'text-embedding-ada-002': 'cl100k_base',
    'text-embedding-3-small': 'cl100k_base',
    'text-embedding-3-large': 'cl100k_base',
    'text-davinci-003': 'p50k_base',
    'text-davinci-002': 'p50k_base',
    'text-davinci-001': 'r50k_base',
    'text-curie-001': 'r50k_base',
    'text-babbage-001': 'r50k_base',
    'text-ada-001': 'r50k_base',
    'davinci': 'r50k_base',
    'curie': 'r50k_base',
    'babbage': 'r50k_base',
    'ada': 'r50k_base',
    'code-davinci-002': 'p50k_base',
    'code-davinci-001': 'p50k_base',
    'code-cushman-002': 'p50k_base',
    'code-cushman-001': 'p50k_base',
    'davinci-codex': 'p50k_base',
    'cushman-codex': 'p50k_base',
    'text-davinci-edit-001': 'p50k_edit',
    'code-davinci-edit-001': 'p50k_edit',
    'text-similarity-davinci-001': 'r50k_base',
    'text-similarity-curie-001': 'r50k_base',
    'text-similarity-babbage-001': 'r50k_base',
    'text-similarity-ada-001': 'r50k_base',
    'text-search-davinci-doc-001': 'r50k_base',
    'text-search-curie-doc-001': 'r50k_base',
    'text-search-babbage-doc-001': 'r50k_base',
    'text-search-ada-doc-001': 'r50k_base',
    'code-search-babbage-code-001': 'r50k_base',
    'code-search-ada-code-001': 'r50k_base',
    'gpt2': 'gpt2',
    'gpt-2': 'gpt2',
}

MODEL_PREFIX_TO_ENCODING: dict[str, str] = {
    'o1-': 'o200k_base',
    'o3-': 'o200k_base',
    'o4-mini-': 'o200k_base',
    'gpt-5': 'o200k_base',
    'gpt-4.5-': 'o200k_base',
    'gpt-4.1-': 'o200k_base',
    'chatgpt-4o-': 'o200k_base',
    'gpt-4o-': 'o200k_base',
    'gpt-4-': 'cl100k_base',
    'gpt-3.5-turbo-': 'cl100k_base',
    'gpt-35-turbo-': 'cl100k_base',
    'gpt-oss-': 'o200k_harmony',
    'ft:gpt-4o': 'o200k_base',
    'ft:gpt-4': 'cl100k_base',
    'ft:gpt-3.5-turbo': 'cl100k_base',
    'ft:davinci-002': 'cl100k_base',
    'ft:babbage-002': 'cl100k_base',
}


def encoding_name_for_model(model: str) -> str:
    """The encoding of a model name, by exact name then prefix (tiktoken's rule); KeyError when none matches."""
    if model in MODEL_TO_ENCODING:
        return MODEL_TO_ENCODING[model]
    for prefix, encoding in MODEL_PREFIX_TO_ENCODING.items():
        if model.startswith(prefix):
            return encoding
    raise KeyError(model)
