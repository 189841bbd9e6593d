"""The Markdown job summary, read back by an independent CommonMark + GFM-tables parser."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from html.parser import HTMLParser

from markdown_it import MarkdownIt

from evidencepack.formats.markdown import code_span, inline_text, summary_markdown
from evidencepack.model import PackContent, Status, Subject

HOSTILE = (
    "a | b || c\nsecond line\r\nthird\u2028line <script>alert('x')</script> "
    "<img src=x onerror=alert(1)> `code` **bold** _em_ [link](https://evil.example) "
    "![img](https://evil.example/i.png) \\| $x$ ~~gone~~ &amp; &lt;b&gt; | "
)


class _Tables(HTMLParser):
    """Rows of cell texts of every table, and every tag seen."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.tags: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _render(markdown: str) -> _Tables:
    html = MarkdownIt("commonmark").enable("table").enable("strikethrough").render(markdown)
    parsed = _Tables()
    parsed.feed(html)
    return parsed


def test_hostile_rationale_and_title_stay_one_literal_cell(
    make_content: Callable[..., PackContent],
) -> None:
    content = make_content()
    results = list(content.results)
    results[1] = replace(results[1], rationale=HOSTILE, title="Title | with <b>pipe</b>\nand line")
    hostile = replace(content, results=tuple(results),
                      subject=replace(content.subject, repository="acme/<script>x</script>|shop"))
    parsed = _render(summary_markdown(hostile, pack_path="/tmp/p", archive_path="/tmp/p.tar.gz"))

    header, *rows = parsed.rows
    assert header == ["Control", "Title", "Status", "Enforced", "Why"]
    assert len(rows) == len(results)
    assert all(len(row) == 5 for row in rows)
    assert rows[1] == ["CM-2", "Title | with <b>pipe</b> and line", "FAIL", "yes",
                       " ".join(HOSTILE.split())]
    # Nothing from the values became markup: only the summary's own elements exist.
    assert set(parsed.tags) <= {"h2", "table", "thead", "tbody", "tr", "th", "td", "p", "strong",
                                "code", "pre", "br"}
    assert "script" not in parsed.tags and "img" not in parsed.tags and "a" not in parsed.tags


def test_every_control_is_a_row_with_its_status_and_enforcement(pack_content: PackContent) -> None:
    parsed = _render(summary_markdown(pack_content, pack_path="store/packs/x",
                                      archive_path="store/packs/x.tar.gz"))
    rows = {row[0]: row for row in parsed.rows[1:]}
    assert list(rows) == [r.control_id for r in pack_content.results]
    badge = {Status.PASS: "PASS", Status.FAIL: "FAIL", Status.ERROR: "ERROR",
             Status.MANUAL: "MANUAL", Status.NOT_APPLICABLE: "N/A"}
    for result in pack_content.results:
        assert rows[result.control_id][2] == badge[result.status]
        assert rows[result.control_id][3] == ("yes" if result.enforced else "no")


def test_title_counts_pack_and_verification_command(pack_content: PackContent) -> None:
    text = summary_markdown(pack_content, pack_path="store/packs/20250314T094233Z-3f9c2d41b7e8",
                            archive_path="store/packs/20250314T094233Z-3f9c2d41b7e8.tar.gz")
    assert text.startswith("## evidencepack: acme/payments-api@3f9c2d41b7e8\n")
    assert "7 pass, 6 fail, 1 not\\_applicable, 2 error, 1 manual" in text
    # CM-2 and AC-1 are enforced and fail; the accepted AC-4 finding is not open.
    assert "**enforced controls failed:** CM-2, AC-1" in text
    assert "**open findings:** 10;" in text
    assert "`store/packs/20250314T094233Z-3f9c2d41b7e8.tar.gz`" in text
    assert "```sh\nevidencepack verify 20250314T094233Z-3f9c2d41b7e8.tar.gz --key signing.pub\n```" in text


def test_a_repository_unknown_is_said_so(make_content: Callable[..., PackContent]) -> None:
    content = make_content(subject=Subject(repository=None, commit="a" * 40))
    assert summary_markdown(content, pack_path="p", archive_path="a").startswith(
        "## evidencepack: repository@aaaaaaaaaaaa\n")


def test_code_span_survives_backticks_and_newlines() -> None:
    for text in ("plain", "a`b", "``x``", "`lead", "new\nline"):
        html = MarkdownIt("commonmark").renderInline(code_span(text))
        parsed = _Tables()
        parsed.feed(f"<table><tr><td>{html}</td></tr></table>")
        assert parsed.rows == [[" ".join(text.split())]], text


def test_inline_text_leaves_plain_words_alone() -> None:
    assert inline_text("no token: branch protection not observed") == (
        "no token: branch protection not observed")
