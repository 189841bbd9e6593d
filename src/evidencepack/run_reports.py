"""The files `run` writes for a CI integration beside the pack: SARIF and a Markdown summary."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from . import __version__
from .errors import InputError
from .formats.markdown import summary_markdown
from .formats.sarif import sarif_log
from .model import ControlResult, open_findings
from .pack.build import BuiltPack


def sarif_text(results: Iterable[ControlResult]) -> str:
    """A SARIF 2.1.0 log of the open findings, as GitHub code scanning accepts it."""
    return json.dumps(sarif_log(open_findings(results), tool_version=__version__), indent=2) + "\n"


def check_report_paths(*, sarif: Path | None, summary: Path | None) -> None:
    """Refuse, before any pack is built, a report path that cannot be written."""
    for path, option in ((sarif, "--sarif"), (summary, "--summary-markdown")):
        if path is None:
            continue
        if path.is_dir():
            raise InputError(f"{option} {path}: is a directory")
        if not path.parent.is_dir():
            raise InputError(f"{option} {path}: cannot write: no folder {path.parent}")


def write_run_reports(pack: BuiltPack, *, sarif: Path | None, summary: Path | None) -> None:
    """Write the SARIF log and the Markdown summary of `pack` where asked."""
    if sarif is not None:
        _write(sarif, sarif_text(pack.content.results), "--sarif")
    if summary is not None:
        text = summary_markdown(pack.content, pack_path=str(pack.directory),
                                archive_path=str(pack.archive))
        _write(summary, text, "--summary-markdown")


def _write(path: Path, text: str, option: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{option} {path}: cannot write: {exc.strerror}") from None
