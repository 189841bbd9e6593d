"""A pack's control results as a Markdown summary, for a CI job summary page.

GitHub renders a job summary as GitHub Flavored Markdown and GitLab shows the file as an
artifact. Everything that comes from the repository, the CI or a control (rationales,
titles, repository names, paths) is escaped, so a hostile value can neither break the
table nor inject HTML, links or emphasis.
"""

from __future__ import annotations

import re
import shlex

from evidencepack.model import ControlResult, PackContent, Status, open_findings

BADGES = {
    Status.PASS: "`PASS`",
    Status.FAIL: "**`FAIL`**",
    Status.ERROR: "**`ERROR`**",
    Status.MANUAL: "`MANUAL`",
    Status.NOT_APPLICABLE: "`N/A`",
}
"""Text badges: emoji-free, so they read the same in a log, a terminal and a browser."""

_PUNCTUATION = re.compile(r"([\\`*_\[\]{}|~$!#+])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def inline_text(text: str) -> str:
    """`text` on one line, rendered literally by any CommonMark/GFM reader (also in a table cell).

    Line breaks and runs of whitespace become one space; Markdown punctuation is escaped
    with a backslash (`|` included, so a table cell stays one cell); `&`, `<` and `>` become
    HTML entities, so no tag survives.
    """
    one_line = " ".join(text.split())
    escaped = _PUNCTUATION.sub(r"\\\1", one_line)
    return "".join(_HTML.get(ch, ch) for ch in escaped)


def code_span(text: str) -> str:
    """`text` as an inline code span, on one line, whatever backticks it holds."""
    one_line = " ".join(text.split())
    longest = max((len(run) for run in re.findall(r"`+", one_line)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if one_line.startswith("`") or one_line.endswith("`") else ""
    return f"{fence}{pad}{one_line}{pad}{fence}"


def _row(result: ControlResult) -> str:
    cells = (
        inline_text(result.control_id),
        inline_text(result.title),
        BADGES[result.status],
        "yes" if result.enforced else "no",
        inline_text(result.rationale),
    )
    return "| " + " | ".join(cells) + " |"


def summary_markdown(content: PackContent, *, pack_path: str, archive_path: str) -> str:
    """The job summary of one pack: title, table of controls, counts, where the pack is, how to verify."""
    subject = content.subject
    name = subject.repository or "repository"
    lines = [
        f"## evidencepack: {inline_text(name)}@{inline_text(subject.commit[:12])}",
        "",
        "| Control | Title | Status | Enforced | Why |",
        "| --- | --- | --- | --- | --- |",
        *(_row(r) for r in content.results),
        "",
    ]
    counts = ", ".join(f"{n} {status}" for status, n in content.summary.counts.items() if n)
    enforced = [r.control_id for r in content.results if r.enforced and r.status is Status.FAIL]
    open_count = len(open_findings(content.results))
    lines += [
        f"**Controls:** {inline_text(counts or 'none')}; "
        f"**open findings:** {open_count}; "
        f"**enforced controls failed:** {inline_text(', '.join(enforced) or 'none')}",
        "",
        f"**Pack:** {code_span(content.pack_id)} in {code_span(pack_path)}  ",
        f"**Archive:** {code_span(archive_path)}  ",
        f"**Signed with key:** {code_span(content.signer_keyid or 'unknown')}",
        "",
        "Verify the archive (`signing.pub` is the public key of the key above):",
        "",
        "```sh",
        f"evidencepack verify {shlex.quote(content.pack_id + '.tar.gz')} --key signing.pub",
        "```",
        "",
    ]
    return "\n".join(lines)
