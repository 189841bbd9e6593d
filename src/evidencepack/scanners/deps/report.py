"""What `scan deps` and the pack show of an inventory: JSON, CycloneDX, a table."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Group
from rich.table import Table

from ...errors import InputError
from .inventory import build_inventory
from .model import Inventory
from .sbom import cyclonedx_json
from .sbom_input import check_sbom_paths

FORMATS = ("table", "json", "cyclonedx")


def inventory_json(inventory: Inventory, *, components: bool = True) -> dict[str, Any]:
    """The inventory as JSON: every lockfile with its format, count, error and unpinned entries."""
    document: dict[str, Any] = {
        "lockfiles": [lf.to_json() for lf in inventory.lockfiles],
        "errors": [{"path": lf.path, "format": lf.format, "error": lf.error} for lf in inventory.errors],
        "component_count": len(inventory.components),
        "unlocked_manifests": list(inventory.unlocked),
        "excluded_paths": list(inventory.excluded),
    }
    if components:
        document["components"] = [c.to_json() for c in inventory.components]
    return document


def inventory_table(inventory: Inventory) -> Group:
    """Components per lockfile, then the lockfiles that could not be read."""
    files = Table(title=f"{len(inventory.lockfiles)} lockfile(s) and SBOM(s)", title_justify="left")
    for column in ("Lockfile", "Format", "Components", "Problem"):
        files.add_column(column, overflow="fold")
    for lf in inventory.lockfiles:
        problem = lf.error or (f"{len(lf.unresolved)} entry(ies) without a pinned version: "
                               + "; ".join(lf.unresolved[:3]) if lf.unresolved else "")
        files.add_row(lf.path, lf.format, str(len(lf.components)) if lf.error is None else "-",
                      f"[yellow]{problem}[/yellow]" if lf.error else problem)
    for path in inventory.unlocked:
        files.add_row(path, "manifest", "-", "[yellow]declares dependencies that no lockfile pins[/yellow]")
    parts: list[Any] = [files]
    if inventory.components:
        table = Table(title=f"{len(inventory.components)} component(s)", title_justify="left")
        for column in ("Ecosystem", "Name", "Version", "Direct", "Scope", "Lockfile"):
            table.add_column(column, overflow="fold")
        for c in inventory.components:
            direct = "" if c.direct is None else ("yes" if c.direct else "no")
            table.add_row(c.ecosystem, c.name, c.version, direct, c.scope or "", c.source)
        parts.append(table)
    return Group(*parts)


def sbom_timestamp(env: dict[str, str] | None = None) -> datetime:
    """`SOURCE_DATE_EPOCH` when set (reproducible builds), else now, to the second."""
    environ = os.environ if env is None else env
    epoch = environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), UTC)
        except (ValueError, OverflowError, OSError):
            raise InputError(f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix time") from None
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class DepsScan:
    """`scan deps` of one tree: the inventory and where it came from."""

    inventory: Inventory
    repository: str | None
    commit: str | None
    timestamp: datetime

    def render(self, fmt: str, *, tool_version: str) -> str:
        """The report as text in `fmt` (`json` or `cyclonedx`; `table` is printed by the CLI)."""
        if fmt == "json":
            return json.dumps(inventory_json(self.inventory), indent=2) + "\n"
        if fmt == "cyclonedx":
            return cyclonedx_json(self.inventory, repository=self.repository, commit=self.commit,
                                  tool_version=tool_version, timestamp=self.timestamp).decode("utf-8")
        raise InputError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")

    @property
    def failed(self) -> bool:
        """Some lockfile or SBOM could not be read, or a manifest has no lockfile: not covered."""
        return bool(self.inventory.errors or self.inventory.unlocked)


def scan_deps(path: Path, sboms: Sequence[Path] = (), exclude: Sequence[str] = ()) -> DepsScan:
    """Inventory the lockfiles under `path` (but `exclude`) and the SBOMs given."""
    from ...sources.repository import open_tree, repository_slug

    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    if not path.is_dir():
        raise InputError(f"{path}: not a directory")
    check_sbom_paths(sboms)
    checkout = open_tree(path)
    inventory = build_inventory(path, sboms, exclude)
    repository = repository_slug(checkout.remote_url)[0] or path.resolve().name
    commit = checkout.head.sha if checkout.head else None
    return DepsScan(inventory, repository, commit, sbom_timestamp())
