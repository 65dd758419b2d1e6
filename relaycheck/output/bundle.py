"""Evidence bundles: the JSON report, the ticket text and every exchange as files, sealed by MANIFEST.sha256."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from relaycheck.core.exits import UsageError
from relaycheck.wire.exchange import Exchange
from relaycheck.redaction.redact import Redactor
from relaycheck.render import render
from relaycheck.render.markdown import unescaped
from relaycheck.report.model import Report
from relaycheck.text.sanitize import encodable, json_safe, visible

MANIFEST = "MANIFEST.sha256"
# sha256sum's own format, so `sha256sum -c MANIFEST.sha256` works without relaycheck too.
_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "target"


def request_text(x: Exchange) -> str:
    """The redacted request as a plain HTTP message (control characters made visible)."""
    head = "\n".join(f"{k}: {v}" for k, v in x.request_headers)
    return visible(f"{x.method} {x.url}\n{head}\n\n{x.request_body or ''}\n")


def response_text(x: Exchange) -> str:
    """The redacted response as received (control characters made visible): status, headers, body or SSE events, errors."""
    status = f"HTTP {x.status}" if x.status is not None else "no response"
    head = "\n".join(f"{k}: {v}" for k, v in x.response_headers)
    body = "".join(e.raw for e in x.events) + x.sse_tail if x.events else x.body
    notes = []
    if x.events_total > len(x.events):
        notes.append(f"[{x.events_total - len(x.events)} further events were counted, not kept]")
    if x.body_truncated:
        notes.append(f"[body cut at the evidence cap; {x.body_bytes} bytes were received]")
    if x.error:
        notes.append(f"[{x.error_kind} error: {x.error}]")
    # `cat` on a bundle file must not let the relay drive the terminal: ESC, CR and bidi controls are shown as escapes.
    return visible(f"{status}\n{head}\n\n{body}\n" + "".join(n + "\n" for n in notes))


def files(report: Report, lang: str) -> dict[str, str]:
    """Every bundle file by relative path (the manifest excluded)."""
    out = {"report.json": json_safe(render(report, "json")), "ticket.md": render(report, "md", lang=lang)}
    used: set[str] = set()
    for target in report.targets:
        folder = _slug(target.name)
        while folder in used:  # two targets whose names differ only in punctuation
            folder += "_"
        used.add(folder)
        for x in target.exchanges:
            out[f"exchanges/{folder}/{x.id}.request.txt"] = request_text(x)
            out[f"exchanges/{folder}/{x.id}.response.txt"] = response_text(x)
    return out


def check_destination(directory: Path) -> None:
    """Refuse, before any request is sent, a bundle directory that already holds files."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise UsageError(f"--bundle {directory}: the directory exists and is not empty (a bundle is written into a new directory)")
    if not directory.parent.is_dir():  # the bundle is one new directory, not a tree of them (a typo, usually)
        raise UsageError(f"--bundle {directory}: the directory {directory.parent} does not exist")


def write(report: Report, directory: Path, lang: str, redactor: Redactor) -> str:
    """Write the bundle and its manifest; return the manifest's own SHA-256 (worth pasting into the ticket)."""
    check_destination(directory)
    # encodable(): facts derived while rendering (an error code parsed from a body) may hold a lone surrogate too.
    texts = files(report, lang)
    redactor.assert_clean(unescaped(texts["ticket.md"]), "bundle file ticket.md")  # as a reader sees it, escapes undone
    contents = {path: redactor.assert_clean(encodable(text), f"bundle file {path}").encode("utf-8") for path, text in texts.items()}
    lines = [f"{hashlib.sha256(data).hexdigest()}  {path}\n" for path, data in sorted(contents.items())]
    manifest = "".join(lines).encode("utf-8")
    _create_all(directory, {**contents, MANIFEST: manifest})
    return hashlib.sha256(manifest).hexdigest()


def _create_all(directory: Path, contents: dict[str, bytes]) -> None:
    """Create every file and folder exclusively (O_EXCL, no symlink followed); on failure remove what was made.

    The directory was empty (or absent) when checked: anything found in it now was planted meanwhile, and
    writing through it could replace a file outside the bundle.
    """
    made: list[Path] = []
    folders: set[Path] = set()
    try:
        if not directory.exists():
            directory.mkdir()  # raises if something appeared since the check
            made.append(directory)
        for rel, data in contents.items():
            target = directory / rel
            for folder in reversed(target.relative_to(directory).parents[:-1]):
                path = directory / folder
                if path not in folders:
                    path.mkdir()
                    made.append(path)
                    folders.add(path)
            with open(target, "xb") as handle:
                made.append(target)
                handle.write(data)
    except OSError as exc:
        for path in reversed(made):  # files first, then their folders
            try:
                path.rmdir() if path.is_dir() and not path.is_symlink() else path.unlink()
            except OSError:
                pass
        raise UsageError(f"cannot write the bundle in {directory}: {exc.strerror or exc}") from None


@dataclass(frozen=True)
class Verification:
    """What verify-bundle found."""

    verified: int
    problems: tuple[str, ...]
    manifest_sha256: str


def verify(directory: Path) -> Verification:
    """Check every listed file's hash, and that no file is missing or was added; UsageError when there is no bundle."""
    manifest_path = directory / MANIFEST
    try:
        manifest = manifest_path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{directory} is not an evidence bundle: cannot read {MANIFEST} ({exc.strerror or exc})") from None
    problems: list[str] = []
    listed: set[str] = set()
    verified = 0
    for number, raw in enumerate(manifest.decode("utf-8", "replace").splitlines(), 1):
        match = _LINE.match(raw)
        if not match:
            problems.append(f"{MANIFEST} line {number} is malformed")
            continue
        digest, rel = match.groups()
        path = (directory / rel).resolve()
        if rel in listed or directory.resolve() not in path.parents:
            problems.append(f"{MANIFEST} line {number} names {rel!r} twice or outside the bundle")
            continue
        listed.add(rel)
        try:
            actual = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            problems.append(f"missing: {rel}")
            continue
        if actual != digest:
            problems.append(f"changed: {rel} (sha256 {actual[:16]}…, manifest says {digest[:16]}…)")
        else:
            verified += 1
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        rel = path.relative_to(directory).as_posix()
        if rel != MANIFEST and rel not in listed:
            problems.append(f"not in the manifest: {rel}")
    return Verification(verified, tuple(problems), hashlib.sha256(manifest).hexdigest())
