"""Reading a platform area by area: a refused area becomes evidence of its own absence."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar, TypeVar

from .http import ApiUnavailable
from .platform import Unavailable

T = TypeVar("T")


@dataclass
class AreaReads:
    """What a collector could not read, and the permission each refusal points to."""

    permissions: ClassVar[Mapping[str, str]] = {}
    """Area -> the token permission (GitHub) or scope and role (GitLab) it needs."""
    unavailable: list[Unavailable] = field(default_factory=list)

    def attempt(self, area: str, what: str, read: Callable[[], T]) -> T | None:
        """Run one read; when the API does not give it, record why and return None."""
        try:
            return read()
        except ApiUnavailable as exc:
            self.refused(area, what, exc)
            return None

    def refused(self, area: str, what: str, exc: ApiUnavailable) -> None:
        # A missing permission explains a refusal (401/403, and the 404 both platforms send
        # for what the token may not see), not a server error or a timeout.
        refusal = exc.status in (401, 403, 404)
        permission = exc.permission or (self.permissions.get(area) if refusal else None)
        self.unavailable.append(Unavailable(what, exc.reason, permission))
