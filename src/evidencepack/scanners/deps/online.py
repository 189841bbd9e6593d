"""The OSV API as the advisory source (`--online`): batched queries, then each advisory.

`POST /v1/querybatch` takes at most 1000 queries (package and version) per request and
answers with the ids that affect each; a query whose answer is cut carries a
`next_page_token`, sent back with the same query until none is left. The full records
come from `GET /v1/vulns/{id}`, a few at a time. The records then go through the same
matcher as offline data, so both modes decide by the same rules. The base URL is
`EVIDENCEPACK_OSV_API` (default https://api.osv.dev). The shared `ApiClient` speaks GET
only (GitHub/GitLab pagination, tokens); this API needs POST and no token.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from .model import Component
from .osv_db import AdvisorySource, DatabaseError, DatabaseInfo, iso
from .versions import ORDERED_ECOSYSTEMS, base_ecosystem, normalize_name

DEFAULT_API = "https://api.osv.dev"
BATCH_SIZE = 1000
"""The most queries OSV accepts in one querybatch request."""
MAX_REPLY_BYTES = 64 * 1024 * 1024
MAX_PAGES = 100
"""Pages followed for one query before giving up (a server that never stops paging)."""
RETRIES = 3
CONCURRENCY = 4


class OnlineDatabase(AdvisorySource):
    """Advisories fetched from the OSV API for exactly the components of this build."""

    def __init__(self, base_url: str, components: Sequence[Component], *, now: datetime,
                 client: httpx.Client | None = None, concurrency: int = CONCURRENCY,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._base = base_url.rstrip("/")
        self._shown = _without_credentials(self._base)
        """What the report and errors name: a mirror's user and password never."""
        self._client = client or httpx.Client(timeout=httpx.Timeout(30.0), follow_redirects=False,
                                              headers={"User-Agent": "evidencepack"})
        self._sleep = sleep
        self.batches: list[int] = []
        """Queries per querybatch request sent (for the record and tests)."""
        self._by_package: dict[tuple[str, str], set[str]] = {}
        self._records: dict[str, Mapping[str, Any]] = {}
        try:
            self._fetch(components, concurrency)
        except BaseException:
            self.close()
            raise
        newest = max((str(r.get("modified")) for r in self._records.values() if r.get("modified")),
                     default=None)
        self._info = DatabaseInfo(kind="online", source=self._shown, advisories=len(self._records),
                                  newest_modified=newest, fetched_at=iso(now))

    @property
    def info(self) -> DatabaseInfo:
        return self._info

    def advisories(self, ecosystem: str, name: str) -> list[Mapping[str, Any]]:
        ids = self._by_package.get((base_ecosystem(ecosystem), normalize_name(ecosystem, name)), set())
        return [self._records[i] for i in sorted(ids) if i in self._records]

    def _fetch(self, components: Sequence[Component], concurrency: int) -> None:
        queries: dict[tuple[str, str, str], dict[str, Any]] = {}
        for c in components:
            eco = base_ecosystem(c.ecosystem)
            if eco not in ORDERED_ECOSYSTEMS:
                continue
            version = c.version  # Go versions are kept without `v`, as OSV writes them
            queries.setdefault((eco, normalize_name(eco, c.name), c.version), {
                "package": {"ecosystem": eco, "name": c.name}, "version": version})
        pending = list(queries.items())
        pages = 0
        while pending:
            pages += 1
            if pages > MAX_PAGES:
                raise DatabaseError(f"{self._base}: querybatch keeps paging: giving up")
            follow: list[tuple[tuple[str, str, str], dict[str, Any]]] = []
            for start in range(0, len(pending), BATCH_SIZE):
                chunk = pending[start:start + BATCH_SIZE]
                self.batches.append(len(chunk))
                reply = self._request("POST", "/v1/querybatch", {"queries": [q for _, q in chunk]})
                results = reply.get("results") if isinstance(reply, dict) else None
                if not isinstance(results, list) or len(results) != len(chunk):
                    raise DatabaseError(f"{self._base}/v1/querybatch: the reply does not answer "
                                        f"each of the {len(chunk)} queries")
                for (key, query), result in zip(chunk, results, strict=True):
                    ids = self._by_package.setdefault(key[:2], set())
                    for vuln in (result or {}).get("vulns") or ():
                        if isinstance(vuln, dict) and isinstance(vuln.get("id"), str):
                            ids.add(vuln["id"])
                    token = (result or {}).get("next_page_token")
                    if isinstance(token, str) and token:
                        follow.append((key, {**query, "page_token": token}))
            pending = follow
        wanted = sorted({i for ids in self._by_package.values() for i in ids})
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            for vuln_id, record in zip(wanted, pool.map(self._vuln, wanted), strict=True):
                self._records[vuln_id] = record

    def _vuln(self, vuln_id: str) -> Mapping[str, Any]:
        record = self._request("GET", f"/v1/vulns/{quote(vuln_id, safe='')}", None)
        if not isinstance(record, dict) or record.get("id") != vuln_id:
            raise DatabaseError(f"{self._base}/v1/vulns/{vuln_id}: not the OSV record asked for")
        return record

    def _request(self, method: str, path: str, body: Any) -> Any:
        url = self._base + path
        shown = self._shown + path
        last = ""
        for attempt in range(RETRIES + 1):
            if attempt:
                self._sleep(min(8.0, 0.5 * 2 ** attempt))
            try:
                with self._client.stream(method, url, json=body) as response:
                    if response.status_code == 429 or response.status_code >= 500:
                        last = f"HTTP {response.status_code}"
                        continue
                    if response.status_code != 200:
                        raise DatabaseError(f"{shown}: HTTP {response.status_code}")
                    data = bytearray()
                    for chunk in response.iter_bytes():
                        data.extend(chunk)
                        if len(data) > MAX_REPLY_BYTES:
                            raise DatabaseError(f"{shown}: reply larger than "
                                                f"{MAX_REPLY_BYTES // (1024 * 1024)} MiB")
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
                continue
            try:
                return json.loads(bytes(data))
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise DatabaseError(f"{shown}: the reply is not JSON") from None
        raise DatabaseError(f"{shown}: the OSV API did not answer ({last}) after {RETRIES + 1} tries")

    def close(self) -> None:
        self._client.close()


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    if not (parts.username or parts.password):
        return url
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return urlunsplit(parts._replace(netloc=host + (f":{parts.port}" if parts.port else "")))
