"""`--online`: the OSV API protocol against a local server shaped like api.osv.dev."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from evidencepack.scanners.deps.matching import match_components
from evidencepack.scanners.deps.model import Component
from evidencepack.scanners.deps.online import OnlineDatabase
from evidencepack.scanners.deps.osv_db import DatabaseError, open_database

NPM = Path(__file__).resolve().parents[4] / "shared" / "data" / "osv" / "npm"
RECORDS = {r["id"]: r for r in (json.loads(p.read_text()) for p in sorted(NPM.glob("GHSA-*.json")))}
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
PAGE = 1
"""Ids per page of one query's answer: small, so that pagination is exercised."""


class FakeOsv(BaseHTTPRequestHandler):
    """POST /v1/querybatch and GET /v1/vulns/{id}, as https://google.github.io/osv.dev/api/."""

    batches: list[int]
    page_tokens: list[str]
    fail_next: list[int]

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        if self.path != "/v1/querybatch":
            self._send(404, {"code": 5, "message": "Not Found"})
            return
        if self.fail_next:
            self._send(self.fail_next.pop(), {"code": 14, "message": "unavailable"})
            return
        queries = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["queries"]
        if len(queries) > 1000:
            self._send(400, {"code": 3, "message": "Too many queries."})
            return
        self.batches.append(len(queries))
        results = []
        for q in queries:
            pkg = q["package"]
            ids = sorted(i for i, r in RECORDS.items()
                         if any(a["package"]["ecosystem"] == pkg["ecosystem"]
                                and a["package"]["name"] == pkg["name"] for a in r["affected"]))
            start = int(q.get("page_token", "0"))
            if "page_token" in q:
                self.page_tokens.append(q["page_token"])
            page = ids[start:start + PAGE]
            result: dict[str, Any] = {}
            if page:
                result["vulns"] = [{"id": i, "modified": RECORDS[i]["modified"]} for i in page]
            if start + PAGE < len(ids):
                result["next_page_token"] = str(start + PAGE)
            results.append(result)
        self._send(200, {"results": results})

    def do_GET(self) -> None:
        vuln_id = self.path.removeprefix("/v1/vulns/")
        if vuln_id in RECORDS:
            self._send(200, RECORDS[vuln_id])
        else:
            self._send(404, {"code": 5, "message": "Bug not found."})


@pytest.fixture
def server() -> Iterator[tuple[str, type[FakeOsv]]]:
    handler = type("Handler", (FakeOsv,), {"batches": [], "page_tokens": [], "fail_next": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    finally:
        httpd.shutdown()
        httpd.server_close()


def _package_with_several_advisories() -> tuple[str, list[str]]:
    counts: dict[str, list[str]] = {}
    for i, r in RECORDS.items():
        for a in r["affected"]:
            counts.setdefault(a["package"]["name"], []).append(i)
    name = max(sorted(counts), key=lambda n: len(counts[n]))
    return name, counts[name]


def test_batches_pagination_details_and_matching(server: tuple[str, type[FakeOsv]],
                                                 tmp_path: Path) -> None:
    url, handler = server
    name, ids = _package_with_several_advisories()
    assert len(ids) >= 2
    components = [Component("npm", name, "0.0.1", f"pkg:npm/{name}@0.0.1", "package-lock.json")]
    # 2,400 other packages: three batches of at most 1,000 queries.
    components += [Component("npm", f"unknown-{n}", "1.0.0", f"pkg:npm/unknown-{n}@1.0.0",
                             "package-lock.json") for n in range(2400)]
    db = OnlineDatabase(url, components, now=NOW, sleep=lambda _: None)
    assert handler.batches[:3] == [1000, 1000, 401]
    assert db.batches == handler.batches
    # Each further page of the one query with several advisories is one more request.
    assert handler.page_tokens == [str(n) for n in range(1, len(set(ids)))]
    assert {r["id"] for r in db.advisories("npm", name)} == set(ids)
    assert db.info.kind == "online" and db.info.fetched_at == "2026-11-26T09:00:00Z"
    assert db.info.advisories == len(set(ids))
    report = match_components(components, db, scanned_at="2026-11-26T09:00:00Z")
    # Online and offline decide by the same rules: the same findings from the same records.
    offline = match_components(components, open_database(NPM, tmp_path),
                               scanned_at="2026-11-26T09:00:00Z")
    assert report.vulnerabilities and report.vulnerabilities == offline.vulnerabilities


def test_retries_transient_errors_then_gives_up(server: tuple[str, type[FakeOsv]]) -> None:
    url, handler = server
    handler.fail_next.extend([503, 429])
    comps = [Component("npm", "left-pad", "1.0.0", "pkg:npm/left-pad@1.0.0", "package-lock.json")]
    waits: list[float] = []
    OnlineDatabase(url, comps, now=NOW, sleep=waits.append)
    assert len(waits) == 2
    handler.fail_next.extend([500] * 10)
    with pytest.raises(DatabaseError, match="did not answer"):
        OnlineDatabase(url, comps, now=NOW, sleep=lambda _: None)


def test_unreachable_api_is_a_clear_error() -> None:
    comps = [Component("npm", "left-pad", "1.0.0", "pkg:npm/left-pad@1.0.0", "package-lock.json")]
    with pytest.raises(DatabaseError, match=r"http://127\.0\.0\.1:9/v1/querybatch"):
        OnlineDatabase("http://127.0.0.1:9", comps, now=NOW, sleep=lambda _: None)


def test_run_online_puts_the_api_answer_in_the_pack(server: tuple[str, type[FakeOsv]],
                                                    make_repo: Any, tmp_path: Path,
                                                    ci_free_env: None) -> None:
    from evidencepack.run import RunOptions, run

    url, handler = server
    name, ids = _package_with_several_advisories()
    lock = {"name": "shop", "lockfileVersion": 3, "requires": True, "packages": {
        "": {"name": "shop", "dependencies": {name: "0.0.1"}},
        f"node_modules/{name}": {"version": "0.0.1", "resolved": f"https://registry.npmjs.org/{name}",
                                 "integrity": "sha512-AAAA"}}}
    repo = make_repo({"package-lock.json": json.dumps(lock)})
    outcome = run(RunOptions(path=repo, store=tmp_path / "store", online=True),
                  env={"EVIDENCEPACK_OSV_API": url, "XDG_CACHE_HOME": str(tmp_path / "cache")},
                  clock=lambda: NOW, random=lambda n: b"\x04" * n)
    vm1 = next(r for r in outcome.results if r.control_id == "VM-1")
    assert str(vm1.status) == "pass", vm1.rationale
    assert "online OSV data" in vm1.rationale
    report = json.loads((outcome.pack.directory / "evidence/deps/vulnerabilities.json").read_text())
    assert report["database"]["kind"] == "online" and report["database"]["source"] == url
    assert report["vulnerabilities"]
    assert {a for v in report["vulnerabilities"] for a in v["advisories"]} <= set(ids)
    assert handler.batches and handler.batches[0] == 1


def test_a_mirror_credential_in_the_url_is_never_recorded(server: tuple[str, type[FakeOsv]]) -> None:
    url, _handler = server
    with_login = url.replace("http://", "http://mirror-user:s3cr3t-mirror-pass@")
    comps = [Component("npm", "left-pad", "1.0.0", "pkg:npm/left-pad@1.0.0", "package-lock.json")]
    db = OnlineDatabase(with_login, comps, now=NOW, sleep=lambda _: None)
    assert db.info.source == url
    db.close()
    with pytest.raises(DatabaseError) as failed:
        OnlineDatabase("http://user:s3cr3t-mirror-pass@127.0.0.1:9", comps, now=NOW,
                       sleep=lambda _: None)
    assert "s3cr3t" not in str(failed.value) and "127.0.0.1:9/v1/querybatch" in str(failed.value)
