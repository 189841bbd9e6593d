"""The REST client against real local HTTP servers, with a fake clock so nothing waits."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import pytest

from evidencepack.errors import InputError
from evidencepack.sources.http import ApiClient, ApiUnavailable

TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
GITLAB_TOKEN = "glpat-" + "Zy9Xw8Vu7Ts6Rq5Po4Nm"
START = datetime(2026, 11, 2, 10, 0, 0, tzinfo=UTC)


@dataclass
class Scripted:
    """One reply the fake server gives."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    """One request the fake server received."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


class FakeServer:
    """A ThreadingHTTPServer on 127.0.0.1 that plays scripted replies per path.

    Replies for a path are used in order; the last one repeats. A key with a query
    (`/items?page=2`) wins over the bare path.
    """

    def __init__(self) -> None:
        self.replies: dict[str, list[Scripted]] = {}
        self.requests: list[Seen] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                server.requests.append(Seen(parts.path, parse_qs(parts.query),
                                            {k.lower(): v for k, v in self.headers.items()}))
                reply = server.next_reply(parts.path, parts.query)
                if reply.delay:
                    time.sleep(reply.delay)
                if isinstance(reply.body, bytes):
                    data, kind = reply.body, "application/octet-stream"
                elif isinstance(reply.body, str):
                    data, kind = reply.body.encode(), "text/plain; charset=utf-8"
                elif reply.body is None:
                    data, kind = b"", "application/json"
                else:
                    data, kind = json.dumps(reply.body).encode(), "application/json; charset=utf-8"
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value.replace("{base}", server.url))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (timeout test)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        # A short poll interval keeps shutdown() (and so each test's teardown) quick.
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)

    def script(self, path: str, *replies: Scripted) -> None:
        self.replies[path] = list(replies)

    def next_reply(self, path: str, query: str) -> Scripted:
        key = f"{path}?{query}" if f"{path}?{query}" in self.replies else path
        queue = self.replies.get(key)
        if not queue:
            return Scripted(404, {"message": "Not Found"})
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def paths(self) -> list[str]:
        return [seen.path for seen in self.requests]


def _serve() -> Iterator[FakeServer]:
    fake = FakeServer()
    fake.thread.start()
    try:
        yield fake
    finally:
        fake.httpd.shutdown()
        fake.httpd.server_close()


@pytest.fixture
def server() -> Iterator[FakeServer]:
    yield from _serve()


@pytest.fixture
def other_server() -> Iterator[FakeServer]:
    yield from _serve()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy from the environment must not sit between the tests and 127.0.0.1.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


class FakeTime:
    """A clock that moves only when the client sleeps; records every sleep."""

    def __init__(self) -> None:
        self.elapsed = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.elapsed

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed += seconds

    def now(self) -> datetime:
        return START + timedelta(seconds=self.elapsed)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


class MakeClient(Protocol):
    def __call__(self, base: str, token: str | None = ..., **kwargs: Any) -> ApiClient:
        ...


@pytest.fixture
def client(fake_time: FakeTime) -> Iterator[MakeClient]:
    """Clients on the fake clock, closed after the test."""
    made: list[ApiClient] = []

    def make(base: str, token: str | None = TOKEN, **kwargs: Any) -> ApiClient:
        kwargs.setdefault("timeout", 2.0)
        api = ApiClient(base, token, clock=fake_time.clock, sleep=fake_time.sleep, now=fake_time.now,
                        **kwargs)
        made.append(api)
        return api

    yield make
    for api in made:
        api.close()


def recorded_json(api: ApiClient) -> str:
    return json.dumps([exchange.to_json() for exchange in api.exchanges])


# -- pagination -----------------------------------------------------------------------


def test_three_pages_through_link_headers(server: FakeServer, fake_time: FakeTime,
                                          client: MakeClient) -> None:
    path = "/repos/acme/shop/pulls"
    server.script(path, Scripted(200, [{"number": 1}, {"number": 2}], {
        "Link": f'<{{base}}{path}?state=all&per_page=100&page=2>; rel="next", '
                f'<{{base}}{path}?state=all&per_page=100&page=3>; rel="last"'}))
    server.script(f"{path}?state=all&per_page=100&page=2", Scripted(200, [{"number": 3}], {
        "Link": f'<{{base}}{path}?state=all&per_page=100&page=3>; rel="next", '
                f'<{{base}}{path}?state=all&per_page=100&page=1>; rel="first"'}))
    server.script(f"{path}?state=all&per_page=100&page=3", Scripted(200, [{"number": 4}], {
        "Link": f'<{{base}}{path}?state=all&per_page=100&page=1>; rel="first"'}))
    api = client(server.url, extra_headers={"Accept": "application/vnd.github+json",
                                                       "X-GitHub-Api-Version": "2022-11-28"})

    items = api.paginate(path, {"state": "all"})

    assert [item["number"] for item in items] == [1, 2, 3, 4]
    assert [seen.query.get("page") for seen in server.requests] == [None, ["2"], ["3"]]
    assert server.requests[0].query == {"state": ["all"], "per_page": ["100"]}
    first = server.requests[0].headers
    assert first["authorization"] == f"Bearer {TOKEN}"
    assert first["accept"] == "application/vnd.github+json"
    assert first["x-github-api-version"] == "2022-11-28"
    assert first["user-agent"] == "evidencepack"
    assert [exchange.status for exchange in api.exchanges] == [200, 200, 200]
    assert api.exchanges[2].url.endswith("page=3")
    assert api.exchanges[0].fetched_at == "2026-11-02T10:00:00Z"
    assert api.truncated == []
    assert fake_time.sleeps == []


def test_gitlab_next_page_header(server: FakeServer, client: MakeClient) -> None:
    path = "/api/v4/projects/7/merge_requests"
    server.script(path, Scripted(200, [{"iid": 1}], {"X-Next-Page": "2", "X-Page": "1"}))
    server.script(f"{path}?state=merged&per_page=50&page=2",
                  Scripted(200, [{"iid": 2}], {"X-Next-Page": "3"}))
    server.script(f"{path}?state=merged&per_page=50&page=3", Scripted(200, [{"iid": 3}], {"X-Next-Page": ""}))
    api = client(server.url + "/api/v4", token=GITLAB_TOKEN,
                 auth_header=("PRIVATE-TOKEN", "{token}"))

    items = api.paginate("projects/7/merge_requests", {"state": "merged"}, per_page=50)

    assert [item["iid"] for item in items] == [1, 2, 3]
    assert server.paths() == [path] * 3
    assert all(seen.headers["private-token"] == GITLAB_TOKEN for seen in server.requests)
    assert all("authorization" not in seen.headers for seen in server.requests)
    assert len(api.exchanges) == 3
    assert GITLAB_TOKEN not in recorded_json(api)


def test_items_key_unwraps_wrapped_lists(server: FakeServer, client: MakeClient) -> None:
    path = "/repos/acme/shop/actions/secrets"
    server.script(path, Scripted(200, {"total_count": 3, "secrets": [{"name": "A"}, {"name": "B"}]},
                                 {"Link": f'<{{base}}{path}?per_page=100&page=2>; rel="next"'}))
    server.script(f"{path}?per_page=100&page=2",
                  Scripted(200, {"total_count": 3, "secrets": [{"name": "C"}]}))
    api = client(server.url)

    assert [item["name"] for item in api.paginate(path, items_key="secrets")] == ["A", "B", "C"]
    with pytest.raises(ApiUnavailable, match="expected a list"):
        api.paginate(path)


def test_max_pages_cuts_the_listing_and_says_so(server: FakeServer, client: MakeClient) -> None:
    path = "/repos/acme/shop/commits"
    for page in (1, 2, 3):
        key = path if page == 1 else f"{path}?per_page=100&page={page}"
        server.script(key, Scripted(200, [{"page": page}],
                                    {"Link": f'<{{base}}{path}?per_page=100&page={page + 1}>; rel="next"'}))
    api = client(server.url)

    items = api.paginate(path, max_pages=2)

    assert items == [{"page": 1}, {"page": 2}]
    assert len(server.requests) == 2
    assert api.truncated == [f"{server.url}{path}?per_page=100"]
    assert len(api.exchanges) == 2


# -- rate limits, retries, failures ---------------------------------------------------


def test_primary_rate_limit_is_waited_out_until_reset(server: FakeServer, fake_time: FakeTime,
                                                      client: MakeClient) -> None:
    reset = int((START + timedelta(seconds=60)).timestamp())
    server.script("/repos/acme/shop", Scripted(403, {"message": "API rate limit exceeded"}, {
        "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}),
        Scripted(200, {"default_branch": "main"}))
    api = client(server.url)

    assert api.get_json("/repos/acme/shop") == {"default_branch": "main"}
    # Until the reset, plus the one second allowed for clock skew.
    assert fake_time.sleeps == [61.0]
    assert api.requests_made == 2
    assert [exchange.status for exchange in api.exchanges] == [200]


def test_secondary_rate_limit_retry_after(server: FakeServer, fake_time: FakeTime,
                                          client: MakeClient) -> None:
    server.script("/repos/acme/shop", Scripted(429, {"message": "You have exceeded a secondary rate limit"},
                                               {"Retry-After": "7"}), Scripted(200, {"id": 1}))
    api = client(server.url)

    assert api.get("/repos/acme/shop").status == 200
    assert fake_time.sleeps == [7.0]


def test_rate_limit_beyond_the_budget_is_unavailable(server: FakeServer, fake_time: FakeTime,
                                                     client: MakeClient) -> None:
    reset = int((START + timedelta(hours=1)).timestamp())
    server.script("/repos/acme/shop", Scripted(403, {"message": "API rate limit exceeded"}, {
        "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}))
    api = client(server.url, budget_seconds=300)

    with pytest.raises(ApiUnavailable) as caught:
        api.get("/repos/acme/shop")

    assert caught.value.status == 403
    assert caught.value.reason == ("rate limited until 2026-11-02T11:00:01Z; "
                                   "the 300s budget would be exceeded")
    assert fake_time.sleeps == []


def test_502_twice_then_success_backs_off(server: FakeServer, fake_time: FakeTime,
                                          client: MakeClient) -> None:
    server.script("/repos/acme/shop", Scripted(502, "Bad Gateway"), Scripted(502, "Bad Gateway"),
                  Scripted(200, {"id": 1}))
    api = client(server.url)

    assert api.get_json("/repos/acme/shop") == {"id": 1}
    assert fake_time.sleeps == [1.0, 2.0]
    assert api.requests_made == 3


def test_5xx_after_all_retries_is_returned_by_get(server: FakeServer, fake_time: FakeTime,
                                                  client: MakeClient) -> None:
    server.script("/repos/acme/shop", Scripted(503, {"message": "Service Unavailable"}))
    api = client(server.url, retries=3)

    reply = api.get("/repos/acme/shop")

    assert reply.status == 503
    assert fake_time.sleeps == [1.0, 2.0, 4.0]
    with pytest.raises(ApiUnavailable, match="503 Service Unavailable"):
        api.get_json("/repos/acme/shop")


def test_connection_refused_after_retries(fake_time: FakeTime, client: MakeClient) -> None:
    # A bound socket that never listens refuses connections, and its port stays ours.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        api = client(f"http://127.0.0.1:{port}", retries=2)

        with pytest.raises(ApiUnavailable) as caught:
            api.get("/repos/acme/shop", {"access_token": TOKEN})

    assert caught.value.status is None
    assert "could not connect" in caught.value.reason
    assert "after 2 retries" in caught.value.reason
    assert fake_time.sleeps == [1.0, 2.0]
    assert api.requests_made == 3
    assert TOKEN not in str(caught.value)
    assert api.exchanges == []


def test_timeout_is_retried_then_unavailable(server: FakeServer, fake_time: FakeTime,
                                             client: MakeClient) -> None:
    server.script("/slow", Scripted(200, {"late": True}, delay=0.6))
    api = client(server.url, timeout=0.2, retries=1)
    started = time.monotonic()

    with pytest.raises(ApiUnavailable) as caught:
        api.get("/slow")

    assert time.monotonic() - started < 2.0
    assert caught.value.status is None
    assert caught.value.reason == "no reply within 0.2s (after 1 retry)"
    assert fake_time.sleeps == [1.0]


def test_backoff_stops_at_the_budget(server: FakeServer, fake_time: FakeTime, client: MakeClient) -> None:
    server.script("/flaky", Scripted(500, {"message": "oops"}))
    api = client(server.url, retries=5, budget_seconds=3)

    assert api.get("/flaky").status == 500
    assert fake_time.sleeps == [1.0, 2.0]


# -- errors that name the missing permission ------------------------------------------


def test_401_is_unavailable_with_a_clear_reason(server: FakeServer, client: MakeClient) -> None:
    server.script("/user", Scripted(401, {"message": "Bad credentials",
                                          "documentation_url": "https://docs.github.com/rest"}))
    api = client(server.url)

    with pytest.raises(ApiUnavailable) as caught:
        api.get_json("/user")

    assert caught.value.status == 401
    assert caught.value.reason == "401 Bad credentials"
    assert caught.value.permission is None
    assert api.exchanges[0].status == 401


def test_403_names_the_missing_github_permission(server: FakeServer, client: MakeClient) -> None:
    server.script("/repos/acme/shop/branches/main/protection", Scripted(
        403, {"message": "Resource not accessible by integration"},
        {"X-Accepted-GitHub-Permissions": "contents=read"}))
    api = client(server.url)

    with pytest.raises(ApiUnavailable) as caught:
        api.get_json("/repos/acme/shop/branches/main/protection")

    error = caught.value
    assert error.status == 403
    assert error.permission == "contents=read"
    assert error.reason.startswith("403 Resource not accessible by integration")
    assert "contents=read" in error.reason
    assert error.url == f"{server.url}/repos/acme/shop/branches/main/protection"
    assert error.remediation == "grant the token contents=read"


def test_gitlab_insufficient_scope_names_the_scope(server: FakeServer, client: MakeClient) -> None:
    server.script("/api/v4/projects/7/variables", Scripted(403, {
        "error": "insufficient_scope", "scope": "api",
        "error_description": "The request requires higher privileges than provided by the access token."}))
    api = client(server.url + "/api/v4", token=GITLAB_TOKEN, auth_header=("JOB-TOKEN", "{token}"))

    with pytest.raises(ApiUnavailable) as caught:
        api.paginate("/projects/7/variables")

    assert caught.value.permission == "api"
    assert caught.value.reason.startswith("403 insufficient_scope: The request requires higher privileges")
    assert server.requests[0].headers["job-token"] == GITLAB_TOKEN


def test_404_is_a_reply_from_get(server: FakeServer, fake_time: FakeTime, client: MakeClient) -> None:
    server.script("/repos/acme/shop/branches/main/protection",
                  Scripted(404, {"message": "Branch not protected"}))
    api = client(server.url)

    reply = api.get("/repos/acme/shop/branches/main/protection")

    assert reply.status == 404
    assert reply.body == {"message": "Branch not protected"}
    assert reply.headers["content-type"].startswith("application/json")
    assert api.exchanges == [reply.exchange]
    assert reply.exchange.to_json()["body"] == {"message": "Branch not protected"}
    assert fake_time.sleeps == []


def test_get_does_not_follow_redirects(server: FakeServer, client: MakeClient) -> None:
    server.script("/repos/acme/old", Scripted(301, {"message": "Moved Permanently"},
                                              {"Location": "{base}/repositories/42"}))
    api = client(server.url)

    assert api.get("/repos/acme/old").status == 301
    with pytest.raises(ApiUnavailable, match="moved to"):
        api.get_json("/repos/acme/old")
    assert server.paths() == ["/repos/acme/old"] * 2


def test_record_false_keeps_the_reply_out_of_the_evidence(server: FakeServer, client: MakeClient) -> None:
    server.script("/rate_limit", Scripted(200, {"resources": {}}))
    api = client(server.url)

    reply = api.get("/rate_limit", record=False)

    assert reply.status == 200
    assert api.exchanges == []


# -- downloads ------------------------------------------------------------------------


def test_download_follows_a_redirect_without_the_token(server: FakeServer, other_server: FakeServer,
                                                        client: MakeClient) -> None:
    archive = b"PK\x03\x04 logs of run 9" * 100
    server.script("/repos/acme/shop/actions/runs/9/logs", Scripted(
        302, None, {"Location": f"{other_server.url}/blob/logs.zip?sig=SIGNED&se=2026"}))
    other_server.script("/blob/logs.zip", Scripted(200, archive))
    api = client(server.url, extra_headers={"X-GitHub-Api-Version": "2022-11-28"})

    data = api.download("/repos/acme/shop/actions/runs/9/logs")

    assert data == archive
    assert server.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    foreign = other_server.requests[0].headers
    assert "authorization" not in foreign
    assert "x-github-api-version" not in foreign
    assert other_server.requests[0].query["sig"] == ["SIGNED"]
    (exchange,) = api.exchanges
    assert exchange.url == f"{server.url}/repos/acme/shop/actions/runs/9/logs"
    assert exchange.status == 200
    assert exchange.body["bytes"] == len(archive)
    assert len(exchange.body["sha256"]) == 64
    assert exchange.body["redirected_to"] == f"{other_server.url}/blob/logs.zip"
    assert "SIGNED" not in recorded_json(api)


def test_download_error_and_size_limit(server: FakeServer, client: MakeClient) -> None:
    server.script("/logs/gone", Scripted(410, {"message": "Logs have expired"}))
    server.script("/logs/big", Scripted(200, b"x" * 5000))
    api = client(server.url)

    with pytest.raises(ApiUnavailable, match="410 Logs have expired"):
        api.download("/logs/gone")
    with pytest.raises(ApiUnavailable, match="4096-byte limit"):
        api.download("/logs/big", max_bytes=4096)


# -- URLs and secrets -----------------------------------------------------------------


def test_ghes_base_path_is_kept(server: FakeServer, client: MakeClient) -> None:
    server.script("/api/v3/repos/acme/shop", Scripted(200, {"id": 1}))
    api = client(server.url + "/api/v3/")

    assert api.get_json("/repos/acme/shop") == {"id": 1}
    assert api.get_json("repos/acme/shop") == {"id": 1}
    assert server.paths() == ["/api/v3/repos/acme/shop"] * 2
    assert api.exchanges[0].url == f"{server.url}/api/v3/repos/acme/shop"


def test_tokens_never_reach_the_evidence_or_errors(server: FakeServer, client: MakeClient) -> None:
    other = "ghs_" + "Q" * 36
    server.script("/echo", Scripted(200, {
        "seen": f"token {TOKEN} echoed", TOKEN: "as a key", "app_token": other,
        "url": "postgres://deploy:hunter2secret@db.internal/prod", "nested": [{"deep": TOKEN}]}))
    server.script("/plain", Scripted(200, f"log line with {TOKEN}\n"))
    server.script("/denied", Scripted(403, {"message": f"token {TOKEN} is not allowed"}))
    api = client(server.url)

    reply = api.get("/echo", {"access_token": TOKEN, "private_token": TOKEN, "token": "x", "q": "keep"})
    api.get("/plain")
    with pytest.raises(ApiUnavailable) as caught:
        api.get_json("/denied", {"access_token": TOKEN})

    evidence = recorded_json(api)
    assert TOKEN not in evidence
    assert other not in evidence
    assert "hunter2secret" not in evidence
    assert "access_token" not in evidence and "private_token" not in evidence
    assert api.exchanges[0].url == f"{server.url}/echo?q=keep"
    assert TOKEN not in str(caught.value) and TOKEN not in caught.value.reason
    assert TOKEN not in caught.value.url
    # The collectors still see what the server sent; only the evidence is scrubbed.
    assert reply.body["seen"] == f"token {TOKEN} echoed"


def test_long_text_is_cut_in_the_evidence(server: FakeServer, client: MakeClient) -> None:
    server.script("/trace", Scripted(200, "a" * (1024 * 1024 + 10)))
    api = client(server.url)

    reply = api.get("/trace")

    assert len(reply.body) == 1024 * 1024 + 10
    assert api.exchanges[0].body.startswith("a" * 1024)
    assert api.exchanges[0].body.endswith("[truncated by evidencepack: 1048586 characters in all]")


def test_bad_base_url_is_an_input_error(client: MakeClient) -> None:
    with pytest.raises(InputError, match="not an http"):
        client("ftp://example.com")
