"""Writing a sealed Report out: stdout or a file (atomically), an evidence bundle, and re-rendering a saved report."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

from relaycheck.output import bundle
from relaycheck.core.exits import UsageError
from relaycheck.redaction.redact import GuardedStream, Redactor
from relaycheck.core.i18n import label
from relaycheck.render import FORMATS, render
from relaycheck.render.markdown import unescaped
from relaycheck.report.model import Report
from relaycheck.text.sanitize import encodable, json_safe
from relaycheck.output.console import WIDTH, reader_may_leave

@dataclass(frozen=True)
class OutputOptions:
    """Where and how a report goes."""

    fmt: str = "terminal"
    output: Path | None = None
    lang: str = "en"
    color: bool = False
    bundle: Path | None = None
    width: int = WIDTH  # of the terminal report on stdout (a file's is always WIDTH)


def validate(opts: OutputOptions) -> None:
    """Reject an unknown format or language, and a bundle directory in use, before any work is done."""
    from relaycheck.core.i18n import LANGS

    if opts.fmt not in FORMATS:
        raise UsageError(f"unknown format {opts.fmt!r}; valid formats: {', '.join(FORMATS)}")
    if opts.lang not in LANGS:
        raise UsageError(f"unknown language {opts.lang!r}; valid: {', '.join(LANGS)}")
    if opts.bundle is not None:
        bundle.check_destination(opts.bundle)
    if opts.output is not None:
        check_writable(opts.output)


def check_writable(path: Path) -> None:
    """Refuse, before any request, an --output that could not be written at the end of the run."""
    import os

    if path.is_dir():
        raise UsageError(f"cannot write {path}: it is a directory")
    parent = path.parent
    # A missing directory is a typo more often than a wish: refused, as a shell's redirection refuses it.
    if not parent.exists():
        raise UsageError(f"cannot write {path}: the directory {parent} does not exist")
    if not parent.is_dir():
        raise UsageError(f"cannot write {path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(f"cannot write {path}: permission denied")


def _file_mode() -> int:
    """The mode a plain new file gets under the current umask (mkstemp's own 0600 would hide the report from CI)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_text(path: Path) -> Iterator[IO[str]]:
    """A text handle on a fresh temporary file beside `path` that replaces `path` when the block ends without error.

    The temporary name is random and created with O_EXCL (tempfile.mkstemp): a symlink planted at a predictable
    name (`report.md.tmp -> victim`) is never followed. On any failure the temporary file is removed.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    done = False
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            yield handle
        os.chmod(name, _file_mode())
        os.replace(name, path)
        done = True
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    except UnicodeEncodeError as exc:  # sanitising before sealing should make this impossible; never a traceback
        raise UsageError(f"cannot write {path}: text that UTF-8 cannot encode ({exc.reason})") from None
    finally:
        if not done:  # a refused or failed write leaves nothing half-written behind
            try:
                os.unlink(name)
            except OSError:
                pass


def write_file(path: Path, text: str) -> None:
    """Write through a temporary file so that a reader never sees half a report."""
    with atomic_text(path) as handle:
        handle.write(encodable(text))


# What the JSON writer gathers before one write: the guarded stream scans each write with the tail of the last, so
# ten thousand pieces of a few dozen characters each were scanned four times over, at a call each.
_JSON_WRITE_CHARS = 64 * 1024


def _gathered(pieces: Iterator[str], chars: int) -> Iterator[str]:
    """The pieces joined into runs of at least `chars` characters (the last may be shorter)."""
    held: list[str] = []
    size = 0
    for piece in pieces:
        held.append(piece)
        size += len(piece)
        if size >= chars:
            yield "".join(held)
            held, size = [], 0
    if held:
        yield "".join(held)


def _json_to(stream: IO[str], report: Report) -> None:
    """Write the JSON report in pieces of about 64 KiB (the guarded stream scans across pieces for secrets)."""
    from relaycheck.render.jsonfmt import chunks

    for text in _gathered(chunks(report), _JSON_WRITE_CHARS):
        stream.write(json_safe(encodable(text)))


def _write_json_file(path: Path, report: Report, redactor: Redactor) -> None:
    with atomic_text(path) as handle:
        _json_to(GuardedStream(handle, redactor, str(path)), report)


def emit(report: Report, opts: OutputOptions, out: IO[str], redactor: Redactor) -> None:
    """Render to stdout or to --output (then a terminal summary on stdout), and write the bundle if asked."""
    stdout = out if isinstance(out, GuardedStream) else GuardedStream(out, redactor, "stdout")
    if opts.output is None and opts.fmt == "json":
        _json_to(stdout, report)
    elif opts.output is None:
        text = render(report, opts.fmt, color=opts.color and opts.fmt == "terminal", width=opts.width, lang=opts.lang)
        if opts.fmt == "md":
            redactor.assert_clean(unescaped(text), "stdout")
        stdout.write(redactor.assert_clean(encodable(text), "stdout"))
    else:
        if opts.fmt == "json":
            _write_json_file(opts.output, report, redactor)
        else:
            text = render(report, opts.fmt, color=False, width=WIDTH, lang=opts.lang)
            if opts.fmt == "md":  # escaping puts backslashes between characters: scan the text as a reader sees it too
                redactor.assert_clean(unescaped(text), str(opts.output))
            write_file(opts.output, redactor.assert_clean(text, str(opts.output)))
        if opts.fmt != "terminal":
            summary = render(report, "terminal", color=opts.color, width=opts.width, lang=opts.lang)
            stdout.write(redactor.assert_clean(encodable(summary), "stdout"))
        stdout.write(label("report_written", opts.lang, path=opts.output) + "\n")
    if opts.bundle is not None:
        digest = bundle.write(report, opts.bundle, opts.lang, redactor)
        stdout.write(label("bundle_written", opts.lang, path=opts.bundle, digest=digest) + "\n")
    stdout.flush()


def rerender(source: Path, opts: OutputOptions, out: IO[str], fail_on: str | None = None) -> int:
    """Render a saved JSON report in another format without probing again. Exit code 0, or with `fail_on` 1 when
    a check at or above that severity failed (a CI gate on a saved report)."""
    import dataclasses

    from relaycheck.report.load import load
    from relaycheck.report.model import failing

    validate(opts)
    report = load(source)  # load() seals the report again (relaycheck.report.seal.reseal)
    if fail_on is not None:
        report = dataclasses.replace(report, fail_on=fail_on)  # the verdict line and the exit code follow it
    with reader_may_leave():
        emit(report, opts, out, Redactor(()))
    return 1 if fail_on is not None and failing(report) else 0
