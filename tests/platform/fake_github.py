"""A local HTTP server that answers like api.github.com, for tests that must not touch the network.

Replies are scripted per path; every JSON body for an operation in GitHub's OpenAPI subset is
checked against the official response schema when it is scripted (not when it is served), so a
test whose fake drifts from the real API fails where the fake reply was written, with the
operation and the JSON path of the mismatch in the message.

    import github_objects as gh

    with FakeGitHub() as github:
        github.require_token("ghs_test")
        github.add("GET", "/repos/acme/shop", gh.repository("acme/shop"))
        github.add("GET", "/repos/acme/shop/pulls/7", status=502, times=2)   # 502, 502, then...
        github.add("GET", "/repos/acme/shop/pulls/7", gh.pull_request(7, "alice", full=True))
        github.add_list("/repos/acme/shop/pulls/7/reviews", [gh.review(n, "bob") for n in range(70)])
        client = httpx.Client(base_url=github.base_url, headers={"Authorization": "Bearer ghs_test"})
"""

from __future__ import annotations

import http.server
import json
import math
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from openapi import GitHubShapes, shapes

DOCS_URL = "https://docs.github.com/rest"
RATE_LIMIT_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
SECONDARY_RATE_LIMIT_DOCS = (
    "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api"
    "#about-secondary-rate-limits"
)
# GitHub caps per_page at 100 whatever the client asks for.
MAX_PER_PAGE = 100

# Messages api.github.com puts in error bodies for a status when nothing more specific applies.
_DEFAULT_MESSAGES = {
    401: "Bad credentials",
    403: "Resource not accessible by integration",
    404: "Not Found",
    409: "Git Repository is empty.",
    422: "Validation Failed",
}

JSON_TYPE = "application/json; charset=utf-8"


def github_error(
    status: int, message: str | None = None, documentation_url: str = DOCS_URL
) -> dict[str, str]:
    """GitHub's error body: {"message", "documentation_url", "status"} (status as a string, as sent)."""
    if message is None:
        message = _DEFAULT_MESSAGES.get(status) or HTTPStatus(status).phrase
    return {"message": message, "documentation_url": documentation_url, "status": str(status)}


@dataclass
class Request:
    """One request the fake received. `path` is relative to the API root (prefix removed)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    raw_path: str
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """A request header by case-insensitive name."""
        return self.headers.get(name.lower())

    @property
    def authorization(self) -> str | None:
        return self.header("Authorization")


@dataclass
class _Reply:
    status: int
    body: Any
    headers: dict[str, str]
    times: int | None
    content_type: str
    served: int = 0
    # Set for add_list replies: the whole collection, cut into pages at serve time.
    items: list[Any] | None = None
    per_page_default: int = 30
    wrap_key: str | None = None


@dataclass
class _Route:
    method: str
    path: str  # unquoted, without query or prefix
    query: dict[str, str]  # parameters a request must carry to use this route
    replies: list[_Reply] = field(default_factory=list)
    index: int = 0

    def next_reply(self) -> _Reply | None:
        """The reply to serve now, advancing the script; None once a finite script is used up."""
        while self.index < len(self.replies):
            reply = self.replies[self.index]
            last = self.index == len(self.replies) - 1
            # Unbounded replies are served once, except the last, which repeats forever.
            limit = reply.times if reply.times is not None else (None if last else 1)
            if limit is None or reply.served < limit:
                reply.served += 1
                return reply
            self.index += 1
        return None


def _split(path: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(path)
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    return unquote(parts.path), query


class FakeGitHub:
    """A threaded HTTP server on 127.0.0.1 with scripted, schema-checked GitHub replies.

    `prefix` serves the API under a path, as GitHub Enterprise Server does (`/api/v3`).
    With `strict` (the default) bodies for known operations are validated when scripted;
    pass `validate=False` to `add` for a deliberately malformed reply.
    Requests that match no route get GitHub's 404 body and are kept in `unmatched`.
    """

    def __init__(
        self, *, prefix: str = "", strict: bool = True, api_shapes: GitHubShapes | None = None
    ) -> None:
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        self.strict = strict
        self.shapes = api_shapes or shapes()
        self.requests: list[Request] = []
        self.unmatched: list[Request] = []
        self._routes: list[_Route] = []
        self._token: str | None = None
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._reset_at = int(time.time()) + 3600

    # -- lifecycle --------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Bind 127.0.0.1 on a free port and serve from a daemon thread."""
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        # A short poll interval keeps shutdown (once per test) at a few milliseconds, not 0.5 s.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, name="fake-github", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def origin(self) -> str:
        """http://127.0.0.1:PORT, without the API prefix."""
        if self._server is None:
            raise RuntimeError("FakeGitHub is not running: use it as a context manager")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        """The API root, e.g. http://127.0.0.1:PORT or http://127.0.0.1:PORT/api/v3 for Enterprise."""
        return self.origin + self.prefix

    def url(self, path: str) -> str:
        """Absolute URL of an API path on the fake."""
        return self.base_url + path

    # -- scripting --------------------------------------------------------------------------------

    def require_token(self, token: str) -> None:
        """Answer 401 Bad credentials unless `Authorization: Bearer <token>` or `token <token>`."""
        self._token = token

    def add(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        times: int | None = None,
        content_type: str | None = None,
        validate: bool | None = None,
    ) -> None:
        """Script the next reply for `method path`.

        Replies for a path are served in the order added; each is served `times` times (once when
        None), and the last one repeats forever unless it has `times`. A `?page=2` style query in
        `path` makes the reply apply only to requests with those parameters; once its script is
        used up, requests fall through to the route without them.

        `body`: JSON-able data, `bytes`/`str` for raw replies, or None (no body; for error statuses
        GitHub's error body is filled in).
        """
        if body is None and status >= 400:
            body = github_error(status)
        if content_type is None:
            content_type = JSON_TYPE if not isinstance(body, bytes | str) else "application/octet-stream"
        reply = _Reply(status, body, dict(headers or {}), times, content_type)
        self._check(method, path, status, body, content_type, validate)
        self._route(method, path).replies.append(reply)

    def reset(self, method: str, path: str) -> None:
        """Forget the replies scripted for `method path`, so a test can script its own."""
        self._route(method, path).replies.clear()

    def add_list(
        self,
        path: str,
        items: Iterable[Any],
        *,
        per_page_default: int = 30,
        key: str | None = None,
        headers: Mapping[str, str] | None = None,
        times: int | None = None,
        validate: bool | None = None,
    ) -> None:
        """Script a paginated collection: pages follow `per_page`/`page`, with a real `Link` header.

        For endpoints whose reply wraps the array (`{"total_count": n, "secrets": [...]}`), the key is
        taken from the OpenAPI shape, or from `key`. The whole collection is validated once.
        """
        items = list(items)
        if key is None:
            key = self._wrap_key(path)
        whole: Any = {"total_count": len(items), key: items} if key else items
        self._check("GET", path, 200, whole, JSON_TYPE, validate)
        reply = _Reply(200, None, dict(headers or {}), times, JSON_TYPE, items=items,
                       per_page_default=per_page_default, wrap_key=key)
        self._route("GET", path).replies.append(reply)

    def add_rate_limited(
        self,
        method: str,
        path: str,
        *,
        reset_in: float = 1.0,
        retry_after: int | None = None,
        status: int = 403,
        times: int = 1,
    ) -> int:
        """Script GitHub's rate-limit reply; returns the X-RateLimit-Reset epoch it carries.

        Primary limit (default): `X-RateLimit-Remaining: 0` and a reset `reset_in` seconds away.
        Secondary limit (`retry_after` given): a `Retry-After` header, as GitHub sends it.
        """
        reset = math.ceil(time.time() + reset_in)
        headers = {
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Used": "5000",
            "X-RateLimit-Reset": str(reset),
            "X-RateLimit-Resource": "core",
        }
        if retry_after is None:
            body = github_error(status, "API rate limit exceeded for installation ID 1.", RATE_LIMIT_DOCS)
        else:
            headers["X-RateLimit-Remaining"] = "4000"
            headers["X-RateLimit-Used"] = "1000"
            headers["Retry-After"] = str(retry_after)
            body = github_error(
                status,
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                SECONDARY_RATE_LIMIT_DOCS,
            )
        self.add(method, path, body, status=status, headers=headers, times=times)
        return reset

    # -- assertions -------------------------------------------------------------------------------

    def requests_to(self, path: str, method: str | None = None) -> list[Request]:
        """The logged requests for an API path (query ignored)."""
        wanted, _ = _split(path)
        with self._lock:
            return [
                r for r in self.requests
                if unquote(r.path) == wanted and (method is None or r.method == method.upper())
            ]

    # -- internals --------------------------------------------------------------------------------

    def _check(self, method: str, path: str, status: int, body: Any, content_type: str,
               validate: bool | None) -> None:
        if not (self.strict if validate is None else validate):
            return
        api_path = urlsplit(path).path
        media_type = content_type.split(";", 1)[0].strip()
        problem = self.shapes.schema_error(method, api_path, status, body, media_type=media_type)
        if problem is not None:
            raise AssertionError(f"fake GitHub reply for {method.upper()} {path} drifts from the real API: "
                                 f"{problem}")

    def _wrap_key(self, path: str) -> str | None:
        """The array property of a `{"total_count", <key>: [...]}` reply, per the OpenAPI shape."""
        matched = self.shapes.match("GET", urlsplit(path).path)
        if matched is None:
            return None
        response = self.shapes.response(matched[1], "200") or {}
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        props = schema.get("properties", {})
        arrays = [k for k, v in props.items() if v.get("type") == "array"]
        return arrays[0] if "total_count" in props and len(arrays) == 1 else None

    def _route(self, method: str, path: str) -> _Route:
        bare, query = _split(path)
        with self._lock:
            for route in self._routes:
                if route.method == method.upper() and route.path == bare and route.query == query:
                    return route
            route = _Route(method.upper(), bare, query)
            self._routes.append(route)
            return route

    def _candidates(self, method: str, path: str, query: Mapping[str, list[str]]) -> Iterator[_Route]:
        """Routes for a request, those asking for more query parameters first."""
        found = [
            r for r in self._routes
            if r.method == method and r.path == path
            and all(query.get(k, [None])[-1] == v for k, v in r.query.items())
        ]
        return iter(sorted(found, key=lambda r: len(r.query), reverse=True))

    def _authorized(self, request: Request) -> bool:
        if self._token is None:
            return True
        scheme, _, value = (request.authorization or "").partition(" ")
        return scheme.lower() in ("bearer", "token") and value.strip() == self._token

    def _respond(self, request: Request) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for one request (called from the server thread)."""
        with self._lock:
            self.requests.append(request)
            remaining = max(0, 5000 - len(self.requests))
            headers = {
                "X-RateLimit-Limit": "5000",
                "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Used": str(5000 - remaining),
                "X-RateLimit-Reset": str(self._reset_at),
                "X-RateLimit-Resource": "core",
                "X-GitHub-Media-Type": "github.v3; format=json",
                "X-GitHub-Api-Version-Selected": "2022-11-28",
            }
            if not request.raw_path.startswith(self.prefix + "/"):
                self.unmatched.append(request)
                return 404, {**headers, "Content-Type": JSON_TYPE}, _json(github_error(404))
            if not self._authorized(request):
                return 401, {**headers, "Content-Type": JSON_TYPE}, _json(github_error(401))
            reply = None
            for route in self._candidates(request.method, unquote(request.path), request.query):
                reply = route.next_reply()
                if reply is not None:
                    break
            if reply is None:
                self.unmatched.append(request)
                return 404, {**headers, "Content-Type": JSON_TYPE}, _json(github_error(404))
            headers["Content-Type"] = reply.content_type
            if reply.items is not None:
                page_headers, payload = self._page(reply, request)
                headers.update(page_headers)
            else:
                payload = reply.body
            headers.update(reply.headers)
            if payload is None:
                data = b""
                headers.pop("Content-Type", None)
            elif isinstance(payload, bytes):
                data = payload
            elif isinstance(payload, str) and not reply.content_type.startswith("application/json"):
                data = payload.encode()
            else:
                data = _json(payload)
            return reply.status, headers, data

    def _page(self, reply: _Reply, request: Request) -> tuple[dict[str, str], Any]:
        """One page of a paginated reply and its Link header, as api.github.com builds them."""
        assert reply.items is not None
        per_page = min(MAX_PER_PAGE, max(1, _int(request.query.get("per_page"), reply.per_page_default)))
        page = max(1, _int(request.query.get("page"), 1))
        last = max(1, math.ceil(len(reply.items) / per_page))
        chunk = reply.items[(page - 1) * per_page: page * per_page]
        links = []
        if page > 1:
            links.append((min(page - 1, last), "prev"))
        if page < last:
            links += [(page + 1, "next"), (last, "last")]
        if page > 1:
            links.append((1, "first"))
        headers = {}
        if links:
            headers["Link"] = ", ".join(f'<{self._page_url(request, n)}>; rel="{rel}"' for n, rel in links)
        payload: Any = {"total_count": len(reply.items), reply.wrap_key: chunk} if reply.wrap_key else chunk
        return headers, payload

    def _page_url(self, request: Request, page: int) -> str:
        # Keep the client's other parameters (per_page, state, ...) as GitHub does.
        query = {k: v[-1] for k, v in request.query.items() if k != "page"}
        query["page"] = str(page)
        return f"{self.origin}{quote(request.raw_path, safe='/%')}?{urlencode(query)}"


def _json(data: Any) -> bytes:
    return json.dumps(data).encode()


def _int(values: list[str] | None, default: int) -> int:
    try:
        return int(values[-1]) if values else default
    except ValueError:
        return default


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeGitHub


class _Handler(http.server.BaseHTTPRequestHandler):
    # Keep-alive, as api.github.com; every reply carries Content-Length.
    protocol_version = "HTTP/1.1"
    server: _Server
    # Idle keep-alive connections must not outlive a test for long.
    timeout = 10
    # Headers and body go out in two writes; with Nagle on, keep-alive requests after the first
    # wait 40 ms for the client's delayed ACK.
    disable_nagle_algorithm = True

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        prefix = self.server.fake.prefix
        request = Request(
            method=self.command,
            path=parts.path[len(prefix):] if parts.path.startswith(prefix + "/") else parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            raw_path=parts.path,
            body=body,
        )
        status, headers, data = self.server.fake._respond(request)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log: pytest output stays readable."""
