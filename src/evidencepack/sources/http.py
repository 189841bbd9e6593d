"""The REST client shared by the GitHub and GitLab collectors.

Every reply a collector uses as evidence is kept as an `Exchange` (method, URL, status,
time, body) that goes into the pack, so an auditor can re-check what evidencepack saw.
A pack must never leak what it reports: the token is never written into an exchange or
an error message, and bodies go through the same redaction as copied configuration.

The client waits out rate limits and retries transient failures, but only within a
bounded time budget: a pipeline step must finish, and evidence that cannot be had within
the budget becomes an `error` result rather than a hung job.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

import httpx

from ..errors import EvidencepackError, InputError
from ..scanners.redaction import redact

__all__ = ["ApiClient", "ApiUnavailable", "Exchange", "Reply"]

# Recorded text bodies are cut here: a pack holds evidence, not whole web pages.
TEXT_LIMIT = 1024 * 1024
# A JSON reply is parsed whole (a cut document would not parse), so it gets a wider cap
# that still keeps a hostile or broken server from exhausting memory.
REPLY_LIMIT = 64 * 1024 * 1024
# Query parameters that carry a credential in GitHub and GitLab URLs.
TOKEN_PARAMS = frozenset({"access_token", "private_token", "token", "job_token"})
MAX_REDIRECTS = 10
# Each wait is bounded by the budget, but a fake or frozen clock would never exhaust it;
# this keeps a server that always answers "slow down" from looping forever.
MAX_RATE_LIMIT_WAITS = 10
BACKOFF_CAP = 30.0
# GitHub: "if there is no retry-after header, wait at least one minute" (secondary limits).
DEFAULT_RATE_LIMIT_WAIT = 60.0
DEFAULT_PORTS = {"http": 80, "https": 443}


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _seconds(value: float) -> str:
    return f"{value:g}s"


@dataclass(frozen=True)
class Exchange:
    """One API reply used as evidence, as it is written into the pack."""

    method: str
    """The HTTP method, e.g. `GET`."""
    url: str
    """The absolute URL requested, with credentials removed."""
    status: int
    """The HTTP status of the reply (after retries and, for downloads, redirects)."""
    fetched_at: str
    """When the reply arrived: ISO 8601 UTC ending in `Z`."""
    body: Any
    """Parsed JSON when the reply is JSON, else text cut at 1 MiB; credentials redacted.
    `None` when the reply had no body. A download records `{"bytes": n, "sha256": ...}`."""

    def to_json(self) -> dict[str, Any]:
        """The exchange as a JSON-ready mapping."""
        return {
            "method": self.method,
            "url": self.url,
            "status": self.status,
            "fetched_at": self.fetched_at,
            "body": self.body,
        }


class ApiUnavailable(EvidencepackError):  # noqa: N818 - the name the collectors already use
    """A call that could not give evidence; collectors turn it into an `error` result.

    Raised when no reply could be had (connection failures and timeouts after retries, a
    rate limit or budget that would be exceeded), and by `get_json`/`paginate`/`download`
    for error statuses. The message never holds the token.
    """

    def __init__(self, url: str, reason: str, *, status: int | None = None,
                 permission: str | None = None) -> None:
        remediation = f"grant the token {permission}" if permission else None
        super().__init__(f"{url}: {reason}", remediation)
        self.status = status
        """The HTTP status, or `None` when no reply arrived."""
        self.url = url
        """The URL called, with credentials removed."""
        self.reason = reason
        """One line for a person, e.g. `403 Resource not accessible by integration`."""
        self.permission = permission
        """What the token lacks when the platform says so (`contents=read`, `repo`, `api`)."""


@dataclass(frozen=True)
class Reply:
    """A reply as the collectors use it.

    `body` is what the server sent (parsed JSON, text, or `None`), unredacted so the
    collectors judge real values; only `exchange` is scrubbed for the pack.
    """

    status: int
    url: str
    """The URL requested, with credentials removed."""
    headers: Mapping[str, str]
    """Response headers with lower-case names."""
    body: Any
    exchange: Exchange


@dataclass
class _Raw:
    """A reply read off the wire, before it is parsed."""

    url: httpx.URL
    status: int
    reason_phrase: str
    headers: dict[str, str]
    content: bytes
    charset: str | None = None

    def text(self) -> str:
        try:
            return self.content.decode(self.charset or "utf-8", errors="replace")
        except LookupError:  # an unknown charset name from the server
            return self.content.decode("utf-8", errors="replace")


class _TooLargeError(Exception):
    pass


class ApiClient:
    """A small REST client for GitHub and GitLab that records the evidence it reads.

    `base_url` may carry a path prefix (`https://ghe.example.com/api/v3`,
    `https://gitlab.example.com/api/v4`). The token goes in `auth_header`, a
    (name, template) pair whose `{token}` is replaced: GitHub's default
    `("Authorization", "Bearer {token}")`, GitLab's `("PRIVATE-TOKEN", "{token}")` or
    `("JOB-TOKEN", "{token}")`. It is sent only to the origin of `base_url`.
    Platform headers such as Accept and X-GitHub-Api-Version come through `extra_headers`.

    `clock`, `sleep` and `now` are injected so that waits can be tested without waiting:
    the budget is measured on `clock`, waits go through `sleep`, and rate-limit reset
    times (wall-clock epochs) are compared with `now`.
    """

    def __init__(self, base_url: str, token: str | None, *,
                 auth_header: tuple[str, str] | None = None,
                 user_agent: str = "evidencepack", timeout: float = 30.0, retries: int = 3,
                 budget_seconds: float = 300.0, extra_headers: Mapping[str, str] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 now: Callable[[], datetime] = _utc_now,
                 transport: httpx.BaseTransport | None = None) -> None:
        base = httpx.URL(base_url.strip())
        if base.scheme not in DEFAULT_PORTS or not base.host:
            raise InputError(f"API URL {base_url!r} is not an http(s) URL",
                             "set GITHUB_API_URL or CI_API_V4_URL to the API root, "
                             "e.g. https://ghe.example.com/api/v3")
        self._base = base.copy_with(query=None, fragment=None)
        self._origin = _origin(self._base)
        self._token = token or None
        name, template = auth_header or ("Authorization", "Bearer {token}")
        self._auth: tuple[str, str] | None = (
            (name, template.replace("{token}", self._token)) if self._token else None
        )
        self._user_agent = user_agent
        self._extra_headers = dict(extra_headers or {})
        self._timeout = timeout
        self._retries = max(0, retries)
        self._budget = budget_seconds
        self._clock = clock
        self._sleep = sleep
        self._now = now
        self._deadline = clock() + budget_seconds
        # Redirects are handled by hand (download only) so the token never follows one.
        self._http = httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False,
                                  transport=transport)
        self.exchanges: list[Exchange] = []
        """Every recorded reply, in order."""
        self.truncated: list[str] = []
        """First-page URLs of listings that `paginate` cut short at `max_pages`."""
        self.requests_made = 0
        """HTTP requests sent, retries and redirect hops included."""

    # -- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- public calls ------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, str | int] | None = None, *,
            accept: str | None = None, record: bool = True) -> Reply:
        """GET `path` (relative to the base URL) and return the reply, whatever its status.

        Rate limits are waited out and 5xx replies, timeouts and connection errors retried
        within the budget; after that the last 5xx reply is returned. Raises
        `ApiUnavailable` only when no reply could be had.
        """
        return self._get(self._url(path, params), accept=accept, record=record)

    def get_json(self, path: str, params: Mapping[str, str | int] | None = None, *,
                 accept: str | None = None) -> Any:
        """GET `path` and return its JSON body (`None` for an empty reply).

        Raises `ApiUnavailable` for a status of 300 or more (redirects are not followed,
        so a moved resource is not evidence either) or a successful reply that is not JSON.
        """
        reply = self._get(self._url(path, params), accept=accept, record=True)
        return self._json_or_raise(reply)

    def paginate(self, path: str, params: Mapping[str, str | int] | None = None, *,
                 items_key: str | None = None, per_page: int = 100,
                 max_pages: int = 100) -> list[Any]:
        """GET every page of a listing and return the items of all pages.

        Follows the Link header's rel="next" (GitHub, GitLab) or, when absent, GitLab's
        X-Next-Page. `items_key` names the list in wrapped replies such as
        `{"total_count": 2, "secrets": [...]}`. Every page is recorded. A listing longer
        than `max_pages` is cut there and its first URL added to `truncated`.
        """
        url = self._url(path, {**(params or {}), "per_page": per_page})
        first = self._scrub_url(str(url))
        items: list[Any] = []
        seen = {str(url)}
        for page in range(1, max(1, max_pages) + 1):
            reply = self._get(url, accept=None, record=True)
            items.extend(self._page_items(reply, items_key))
            following = self._next_page(url, reply.headers)
            # A server that links back to a page already read would loop forever.
            if following is None or str(following) in seen:
                break
            if page >= max_pages:
                self.truncated.append(first)
                break
            seen.add(str(following))
            url = following
        return items

    def download(self, path: str, *, max_bytes: int = 200 * 1024 * 1024) -> bytes:
        """GET a binary such as a logs archive, following redirects by hand.

        The token is sent only to the API's own origin, never to a redirect target on
        another host (GitHub sends logs from signed storage URLs). The recorded exchange
        holds `{"bytes": n, "sha256": ...}` (and the redirect target without its signed
        query) instead of the content. Raises `ApiUnavailable` for an error status, too
        many redirects or a body over `max_bytes`.
        """
        start = self._url(path, None)
        url = start
        for _hop in range(MAX_REDIRECTS + 1):
            raw = self._send(url, self._headers(url, accept=None), limit=max_bytes)
            location = raw.headers.get("location")
            if 300 <= raw.status < 400 and location:
                url = url.join(location)
                continue
            if raw.status >= 300:
                body = self._parse(raw)
                exchange = self._record(start, raw.status, body, record=True, text=raw.text())
                reply = Reply(raw.status, exchange.url, raw.headers, body, exchange)
                raise self._unavailable(reply)
            digest = hashlib.sha256(raw.content).hexdigest()
            summary: dict[str, Any] = {"bytes": len(raw.content), "sha256": digest}
            if url != start:
                # The target's query is a short-lived signature: a credential, not evidence.
                summary["redirected_to"] = self._scrub_url(str(url.copy_with(query=None)))
            self._record(start, raw.status, summary, record=True, scrub=False)
            return raw.content
        raise ApiUnavailable(self._scrub_url(str(start)),
                             f"more than {MAX_REDIRECTS} redirects", status=None)

    # -- building requests -------------------------------------------------------------

    def _url(self, path: str, params: Mapping[str, str | int] | None) -> httpx.URL:
        if path.startswith(("http://", "https://")):
            url = httpx.URL(path)
        else:
            # Join by hand: httpx's join (RFC 3986) would drop a base path such as /api/v3.
            url = httpx.URL(str(self._base).rstrip("/") + "/" + path.lstrip("/"))
        if params:
            url = url.copy_merge_params({key: str(value) for key, value in params.items()})
        return url

    def _headers(self, url: httpx.URL, accept: str | None) -> dict[str, str]:
        headers = {"User-Agent": self._user_agent}
        if _origin(url) != self._origin:
            # A foreign host (signed storage, a CDN) gets nothing that identifies us.
            headers["Accept"] = accept or "*/*"
            return headers
        headers.update(self._extra_headers)
        if accept:
            headers["Accept"] = accept
        if self._auth:
            headers[self._auth[0]] = self._auth[1]
        return headers

    # -- sending, waiting, retrying ----------------------------------------------------

    def _remaining(self) -> float:
        return self._deadline - self._clock()

    def _backoff(self, attempt: int) -> bool:
        """Sleep before retry number `attempt` + 1; False when the budget cannot afford it."""
        delay = min(2.0 ** attempt, BACKOFF_CAP)
        if delay > self._remaining():
            return False
        self._sleep(delay)
        return True

    def _send(self, url: httpx.URL, headers: dict[str, str], *, limit: int) -> _Raw:
        shown = self._scrub_url(str(url))
        attempt = 0
        waits = 0
        while True:
            try:
                raw = self._once(url, headers, limit)
            except _TooLargeError:
                raise ApiUnavailable(shown, f"reply larger than the {limit}-byte limit") from None
            except httpx.TransportError as exc:
                if attempt < self._retries and self._backoff(attempt):
                    attempt += 1
                    continue
                raise ApiUnavailable(shown, self._transport_reason(exc, attempt)) from None
            wait = self._rate_limit_wait(raw)
            if wait is not None:
                until = _iso(self._now() + timedelta(seconds=wait))
                if wait > self._remaining():
                    raise ApiUnavailable(
                        shown, f"rate limited until {until}; the {_seconds(self._budget)} budget "
                               "would be exceeded", status=raw.status)
                if waits >= MAX_RATE_LIMIT_WAITS:
                    raise ApiUnavailable(
                        shown, f"still rate limited after {waits} waits (until {until})",
                        status=raw.status)
                waits += 1
                self._sleep(wait)
                continue
            if raw.status >= 500 and attempt < self._retries and self._backoff(attempt):
                attempt += 1
                continue
            return raw

    def _once(self, url: httpx.URL, headers: dict[str, str], limit: int) -> _Raw:
        request = self._http.build_request("GET", url, headers=headers)
        self.requests_made += 1
        response = self._http.send(request, stream=True)
        try:
            chunks: list[bytes] = []
            size = 0
            # iter_bytes decodes gzip, so the limit holds for the decoded size too.
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise _TooLargeError
                chunks.append(chunk)
        finally:
            response.close()
        return _Raw(url=url, status=response.status_code, reason_phrase=response.reason_phrase,
                    headers={key.lower(): value for key, value in response.headers.items()},
                    content=b"".join(chunks), charset=response.charset_encoding)

    def _transport_reason(self, exc: httpx.TransportError, retries: int) -> str:
        tried = f" (after {retries} retr{'y' if retries == 1 else 'ies'})" if retries else ""
        if isinstance(exc, httpx.TimeoutException):
            return f"no reply within {_seconds(self._timeout)}{tried}"
        detail = self._scrub_text(str(exc)) or type(exc).__name__
        return _one_line(f"could not connect: {detail}{tried}")

    def _rate_limit_wait(self, raw: _Raw) -> float | None:
        """Seconds to wait when the reply is a rate limit, else None."""
        if raw.status not in (403, 429):
            return None
        headers = raw.headers
        # Secondary limits (GitHub) and GitLab's throttles say how long, in seconds or a date.
        retry_after = headers.get("retry-after", "").strip()
        if retry_after:
            seconds = self._parse_retry_after(retry_after)
            if seconds is not None:
                return seconds
        remaining = headers.get("x-ratelimit-remaining", headers.get("ratelimit-remaining", ""))
        if remaining.strip() == "0":
            reset = headers.get("x-ratelimit-reset", headers.get("ratelimit-reset", "")).strip()
            try:
                reset_at = float(reset)
            except ValueError:
                return DEFAULT_RATE_LIMIT_WAIT
            # One second past the reset: our clock and the server's rarely agree exactly,
            # and retrying a moment too early costs a request and another wait.
            return max(reset_at - self._now().timestamp(), 0.0) + 1.0
        if raw.status == 429 or b"secondary rate limit" in raw.content[:4096].lower():
            return DEFAULT_RATE_LIMIT_WAIT
        return None

    def _parse_retry_after(self, value: str) -> float | None:
        try:
            return max(float(value), 0.0)
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max((when - self._now()).total_seconds(), 0.0)

    # -- replies and evidence ----------------------------------------------------------

    def _get(self, url: httpx.URL, *, accept: str | None, record: bool) -> Reply:
        raw = self._send(url, self._headers(url, accept), limit=REPLY_LIMIT)
        body = self._parse(raw)
        exchange = self._record(url, raw.status, body, record=record, text=raw.text())
        return Reply(raw.status, exchange.url, raw.headers, body, exchange)

    def _parse(self, raw: _Raw) -> Any:
        if not raw.content:
            return None
        text = raw.text()
        if "json" in raw.headers.get("content-type", "").lower():
            try:
                return json.loads(text)
            except (ValueError, RecursionError):
                pass  # a broken JSON reply is kept as the text the server sent
        return text

    def _record(self, url: httpx.URL, status: int, body: Any, *, record: bool,
                text: str | None = None, scrub: bool = True) -> Exchange:
        exchange = Exchange(method="GET", url=self._scrub_url(str(url)), status=status,
                            fetched_at=_iso(self._now()),
                            body=self._scrub_body(body, text) if scrub else body)
        if record:
            self.exchanges.append(exchange)
        return exchange

    def _json_or_raise(self, reply: Reply) -> Any:
        if reply.status >= 300:
            raise self._unavailable(reply)
        if isinstance(reply.body, str):
            kind = reply.headers.get("content-type", "no content type")
            raise ApiUnavailable(reply.url, f"{reply.status} reply is not JSON ({_one_line(kind, 80)})",
                                 status=reply.status)
        return reply.body

    def _page_items(self, reply: Reply, items_key: str | None) -> list[Any]:
        body = self._json_or_raise(reply)
        if items_key is not None and isinstance(body, dict):
            body = body.get(items_key)
        if not isinstance(body, list):
            where = f" under {items_key!r}" if items_key else ""
            raise ApiUnavailable(reply.url, f"expected a list{where} in the reply", status=reply.status)
        return body

    def _next_page(self, url: httpx.URL, headers: Mapping[str, str]) -> httpx.URL | None:
        link = _link_next(headers.get("link", ""))
        if link:
            return url.join(link)
        next_page = headers.get("x-next-page", "").strip()
        if next_page:
            return url.copy_set_param("page", next_page)
        return None

    def _unavailable(self, reply: Reply) -> ApiUnavailable:
        """The error for a reply that is not evidence, naming the permission when known."""
        message = _error_message(reply.body)
        if message is None:
            reason = f"{reply.status} {httpx.codes.get_reason_phrase(reply.status)}".strip()
        elif message.startswith(str(reply.status)):
            reason = message  # GitLab's messages already start with the status: "403 Forbidden"
        else:
            reason = f"{reply.status} {message}"
        permission = None
        if reply.status in (401, 403, 404):
            permission = _needed_permission(reply.headers, reply.body)
        if permission:
            reason += f" (the token needs {permission})"
        if 300 <= reply.status < 400 and reply.headers.get("location"):
            reason += f"; moved to {self._scrub_url(reply.headers['location'])}"
        return ApiUnavailable(reply.url, self._scrub_text(_one_line(reason)), status=reply.status,
                              permission=permission)

    # -- keeping credentials out -------------------------------------------------------

    def _scrub_text(self, text: str) -> str:
        if self._token:
            text = text.replace(self._token, "[redacted token]")
        return redact(text).text

    def _scrub_url(self, url: str) -> str:
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL:
            return self._scrub_text(url)
        kept: list[tuple[str, str | int | float | bool | None]] = [
            (key, value) for key, value in parsed.params.multi_items() if key.lower() not in TOKEN_PARAMS
        ]
        if len(kept) != len(parsed.params.multi_items()):
            parsed = parsed.copy_with(params=httpx.QueryParams(kept))
        if parsed.userinfo:
            parsed = parsed.copy_with(userinfo=b"")
        return self._scrub_text(str(parsed))

    def _scrub_body(self, body: Any, text: str | None) -> Any:
        try:
            return self._scrub_value(body)
        except RecursionError:
            # Nested deeper than we can walk: keep the reply as redacted text instead.
            return self._scrub_value(text if text is not None else "[reply nested too deeply to record]")

    def _scrub_value(self, value: Any) -> Any:
        if isinstance(value, str):
            text = self._scrub_text(value)
            if len(text) > TEXT_LIMIT:
                # Redacted before cutting, so that a cut cannot leave part of a token behind.
                text = text[:TEXT_LIMIT] + f"\n[truncated by evidencepack: {len(text)} characters in all]"
            return text
        if isinstance(value, dict):
            return {self._scrub_text(str(key)): self._scrub_value(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._scrub_value(item) for item in value]
        return value


# -- helpers that need no client -------------------------------------------------------

_LINK = re.compile(r"<([^>]*)>([^,<]*)")
_REL = re.compile(r"""rel\s*=\s*"?([^";]+)"?""", re.IGNORECASE)


def _link_next(header: str) -> str | None:
    """The rel="next" target of an RFC 8288 (RFC 5988) Link header."""
    for target, attributes in _LINK.findall(header):
        for rel in _REL.findall(attributes):
            if "next" in rel.lower().split():
                return str(target).strip()
    return None


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host.lower(), url.port or DEFAULT_PORTS.get(url.scheme)


def _error_message(body: Any) -> str | None:
    """The person-readable cause in a GitHub (`message`) or GitLab (`message`/`error`) reply."""
    if isinstance(body, str):
        return _one_line(body, 200) if body.strip() and not body.lstrip().startswith("<") else None
    if not isinstance(body, dict):
        return None
    message = body.get("message")
    if message is None:
        message = body.get("error")
    if message is None:
        return None
    text = message if isinstance(message, str) else json.dumps(message, sort_keys=True)
    description = body.get("error_description")
    if isinstance(description, str) and description:
        text = f"{text}: {description}"
    return _one_line(text, 200)


def _needed_permission(headers: Mapping[str, str], body: Any) -> str | None:
    """What the token lacks: a GitHub App/fine-grained permission, an OAuth scope, or a
    GitLab scope from an `insufficient_scope` reply."""
    for name in ("x-accepted-github-permissions", "x-accepted-oauth-scopes"):
        value = headers.get(name, "").strip()
        if value:
            return value
    if isinstance(body, dict) and isinstance(body.get("scope"), str) and body["scope"].strip():
        return str(body["scope"]).strip()
    return None
