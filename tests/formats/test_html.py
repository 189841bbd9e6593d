"""report.html: self-contained, escaped, complete and deterministic."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from html.parser import HTMLParser
from typing import Any

from evidencepack.formats.html import render_report
from evidencepack.model import (
    ApprovalRecord,
    ChangeRecord,
    DeployRecord,
    Finding,
    Location,
    PackContent,
    Severity,
)


class _Page(HTMLParser):
    """Collects what matters for offline use and linking."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.ids: set[str] = set()
        self.text: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if attributes.get("id"):
            self.ids.add(str(attributes["id"]))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        (self.styles if self._in_style else self.text).append(data)

    def hrefs(self, tag: str = "a") -> list[str]:
        return [str(a["href"]) for t, a in self.tags if t == tag and a.get("href") is not None]


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def test_no_external_resources_or_scripts(pack_content: PackContent) -> None:
    page = _parse(render_report(pack_content))

    tags = {t for t, _ in page.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed", "audio", "video"}
    for _, attributes in page.tags:
        assert "src" not in attributes
        assert not any(name.startswith("on") for name in attributes)
    css = "".join(page.styles)
    assert "@import" not in css
    assert "url(" not in css
    csp = [a for t, a in page.tags if t == "meta" and a.get("http-equiv")]
    assert csp and "default-src 'none'" in str(csp[0]["content"])


def test_links_are_fragments_pack_files_or_web_pages(pack_content: PackContent) -> None:
    page = _parse(render_report(pack_content))

    for href in page.hrefs():
        if href.startswith("#"):
            assert href[1:] in page.ids
        elif href.startswith(("https://", "http://")):
            continue
        else:
            assert href.startswith("evidence/"), href
            assert ".." not in href.split("/")


def test_every_control_appears_with_an_anchor(pack_content: PackContent) -> None:
    page = _parse(render_report(pack_content))
    text = " ".join(page.text)

    for result in pack_content.results:
        assert result.control_id in text
        assert result.title in text
        assert f"control-{result.control_id.lower()}" in page.ids
        assert f"#control-{result.control_id.lower()}" in page.hrefs()


def test_header_shows_subject_and_pack(pack_content: PackContent) -> None:
    html = render_report(pack_content)
    page = _parse(html)
    text = " ".join(page.text)

    assert "acme/payments-api" in text
    assert 'title="3f9c2d41b7e8a05c6d1e2f3a4b5c6d7e8f901234"' in html
    assert "3f9c2d41b7e8" in text
    assert "refs/heads/main" in text
    assert "dana-ops" in text
    assert pack_content.pack_id in text
    assert pack_content.signer_keyid in text
    assert pack_content.policy_digest in text
    assert "evidencepack.yml" in text
    assert pack_content.subject.run_url in page.hrefs()


def test_summary_counts_and_explains_each_status(pack_content: PackContent) -> None:
    html = render_report(pack_content)
    text = " ".join(_parse(html).text)

    assert "17 controls evaluated: 7 pass, 6 fail, 2 error, 1 manual, 1 not applicable." in (
        re.sub(r"\s+", " ", text)
    )
    for status in ("pass", "fail", "error", "manual", "not_applicable"):
        assert f'class="tile s-{status}"' in html
    assert "never counted as a pass" in text


def test_enforced_failures_are_called_out(pack_content: PackContent) -> None:
    html = render_report(pack_content)

    callout = html[html.index('class="callout"') :]
    callout = callout[: callout.index("</p>")]
    assert 'href="#control-cm-2"' in callout
    assert 'href="#control-ac-1"' in callout
    assert "control-ac-2" not in callout


def test_findings_show_rule_link_location_and_acceptance(pack_content: PackContent) -> None:
    html = render_report(pack_content)
    text = re.sub(r"\s+", " ", " ".join(_parse(html).text))

    assert 'href="https://docs.zizmor.sh/audits/#unpinned-uses"' in html
    assert ".github/workflows/deploy.yml:23:9" in text.replace(" ", "") or (
        ".github/workflows/deploy.yml" in text and ":23:9" in text
    )
    assert "Accepted by policy: Test fixture with a revoked sandbox key" in text
    assert "repository or platform setting" in text


def test_evidence_links_show_sizes(pack_content: PackContent) -> None:
    html = render_report(pack_content)

    assert 'href="evidence/sbom/cyclonedx.json"' in html
    assert "1.3 MiB" in html
    assert 'title="1402555 bytes"' in html


def test_finding_text_is_escaped(pack_content: PackContent, make_content: Callable[..., PackContent]) -> None:
    hostile = Finding(
        "injected<rule>",
        'Branch name "<script>alert(1)</script>" looks like an injection',
        Severity.HIGH,
        Location('.github/workflows/"x".yml', 3),
        help_uri="javascript:alert(1)",
        allowed_by="<b>trusted</b>",
    )
    first = replace(pack_content.results[0], findings=(hostile,), rationale="<img src=x>")
    html = render_report(make_content(results=(first, *pack_content.results[1:])))
    page = _parse(html)

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x>" not in html
    assert "<b>trusted</b>" not in html
    assert "javascript:" not in " ".join(page.hrefs())
    assert 'Branch name "<script>alert(1)</script>" looks like an injection' in " ".join(page.text)
    assert not {t for t, _ in page.tags} & {"script", "img", "b"}


def test_unsafe_paths_and_urls_are_not_linked(
    pack_content: PackContent, make_content: Callable[..., PackContent]
) -> None:
    subject = replace(pack_content.subject, run_url="javascript:alert(1)")
    first = replace(
        pack_content.results[0],
        evidence=("../../etc/passwd", "/etc/shadow", "https://evil.example/x", "evidence/ok.json"),
    )
    html = render_report(make_content(subject=subject, results=(first, *pack_content.results[1:])))
    hrefs = _parse(html).hrefs()

    assert "evidence/ok.json" in hrefs
    assert not [h for h in hrefs if "passwd" in h or "shadow" in h or "evil" in h]
    assert not [h for h in hrefs if h.startswith("javascript")]


def test_verification_instructions(pack_content: PackContent) -> None:
    html = render_report(pack_content)

    assert "How to verify this pack" in html
    assert "evidencepack verify &lt;pack-dir&gt; --key signing.pub" in html


def test_print_styles_present(pack_content: PackContent) -> None:
    assert "@media print" in render_report(pack_content)


def test_rendering_is_deterministic(
    pack_content: PackContent, make_content: Callable[..., PackContent]
) -> None:
    assert render_report(pack_content) == render_report(make_content())


def test_sparse_pack_renders(make_content: Callable[..., PackContent]) -> None:
    from evidencepack.model import Subject

    html = render_report(
        make_content(
            subject=Subject(repository=None, commit="0" * 40),
            results=(),
            evidence_files=(),
            policy_source=None,
            signer_keyid="",
        )
    )
    text = " ".join(_parse(html).text)

    assert "local repository" in text
    assert "0 controls evaluated" in re.sub(r"\s+", " ", text)
    assert "built-in defaults" in text


def _records() -> tuple[ChangeRecord, ...]:
    """A clean pull request, a hostile one, and a direct push."""
    head, older, pushed = "a" * 40, "b" * 40, "d" * 40
    deploy = DeployRecord(("production",), (".github/workflows/deploy.yml#deploy",),
                          (("production", ("carol",)),), ("carol APPROVED production",),
                          "9876543210", "https://github.com/acme/payments-api/actions/runs/9876543210")
    common: dict[str, Any] = {
        "authors": ("alice",), "committers": ("alice",), "opened_by": "alice", "merger": "carol",
        "merged_at": "2025-03-13T12:00:00Z", "branch_rules": "main: protected by classic",
        "checks": (("test", "success"),), "scans": (("secret-scan", "gitleaks (ci.yml#scan)"),),
        "deploy": deploy,
    }
    clean = ChangeRecord(
        commit=head, commits=(head,), request=411, url="https://github.com/acme/payments-api/pull/411",
        title="PAY-7 retry webhooks", ticket="PAY-7", reviewed_commit=head, merged_commit=head,
        approvals=(ApprovalRecord("bob", "2025-03-13T11:00:00Z", head, True, None),),
        ordering="approved 2025-03-13T11:00Z < merged 2025-03-13T12:00Z < deployed by this run "
        "2025-03-14T09:42Z", ordered=True, exceptions=(), **common)
    hostile = ChangeRecord(
        commit=older, commits=(older, head), request=412, url="javascript:alert(1)",
        title='<script>alert("title")</script>', ticket="<b>PAY-8</b>", reviewed_commit=head,
        merged_commit=head,
        approvals=(ApprovalRecord("<i>mallory</i>", "2025-03-13T11:00:00Z", older, False,
                                  "<i>mallory</i> approved bbbbbbbbbbbb (stale approval)"),),
        ordering="no counted approval; merged 2025-03-13T12:00Z < deployed by this run "
        "2025-03-14T09:42Z", ordered=False,
        exceptions=("0 of 1 required approval(s) counted: <img src=x> stale",), **common)
    direct = ChangeRecord(
        commit=pushed, commits=(pushed,), request=None, url=None, title="", ticket=None,
        reviewed_commit=None, merged_commit=pushed, approvals=(),
        ordering="pushed directly, no approval or merge to order; deployed by this run "
        "2025-03-14T09:42Z", ordered=False,
        exceptions=("no pull or merge request: the commit reached the branch directly",),
        **{**common, "merger": None, "merged_at": None})
    return clean, hostile, direct


def test_changes_section_lists_every_change_escaped(make_content: Callable[..., PackContent]) -> None:
    records = _records()
    html = render_report(make_content(changes=records))
    page = _parse(html)
    text = " ".join(page.text)

    assert "changes-heading" in page.ids
    assert {"change-411", "change-412", "change-dddddddddddd"} <= page.ids
    # The section sits between the summary and the controls.
    assert html.index('id="summary-heading"') < html.index('id="changes-heading"') \
        < html.index('id="toc-heading"')
    assert "https://github.com/acme/payments-api/pull/411" in page.hrefs()
    assert "https://github.com/acme/payments-api/actions/runs/9876543210" in page.hrefs()
    assert not [h for h in page.hrefs() if h.startswith("javascript")]
    for tag in ("script", "img", "b", "i"):
        assert tag not in {t for t, _ in page.tags}
    assert '<script>alert("title")</script>' in text
    assert "&lt;script&gt;" in html and "&lt;img src=x&gt;" in html
    # Short SHAs, the full one in the title; counted and not counted approvals with the reason.
    assert f'<code title="{"a" * 40}">{"a" * 12}</code>' in html
    assert "Counted" in text and "Not counted" in text
    assert "<i>mallory</i> approved bbbbbbbbbbbb (stale approval)" in text
    for label in ("Ticket", "Authors", "Reviewed / merged", "Approvals", "Merged by",
                  "Branch rules", "Checks on merged commit", "Scans declared", "Deploy", "Order",
                  "Exceptions"):
        assert text.count(label) >= len(records), label
    assert "PAY-7" in text and "carol APPROVED production" in text
    assert "2 with exceptions or an order that is not shown" in " ".join(text.split())
    flagged = [a for t, a in page.tags if t == "td" and a.get("class") == "flag"]
    assert len(flagged) == 4  # order and exceptions of the two changes with exceptions


def test_without_the_platform_the_change_record_says_what_it_needs(
    make_content: Callable[..., PackContent],
) -> None:
    note = "The change record needs a GitHub token (GITHUB_TOKEN): without one, <nothing> was read."
    html = render_report(make_content(changes_note=note))
    assert "Changes in this deploy" in html and "&lt;nothing&gt;" in html
    assert "changes-heading" not in render_report(make_content())
