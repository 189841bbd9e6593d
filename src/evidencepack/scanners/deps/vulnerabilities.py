"""One build's vulnerability scan: choose the advisory data, match, apply VEX, date findings.

The database is `--osv-db`, else `EVIDENCEPACK_OSV_DB`, else the policy's
`vulnerabilities.osv_db` (relative to the repository root); `--online` asks the OSV API
(`EVIDENCEPACK_OSV_API`) instead. With none of them there is no scan, and VM-1 says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from ...errors import InputError
from ...policy import POLICY_FILENAME, Policy, default_policy, load_policy
from ...store.interface import Store
from .first_seen import with_first_seen
from .matching import VulnerabilityReport, match_components
from .model import Inventory
from .osv_db import AdvisorySource, DatabaseError, default_cache_dir, iso, open_database
from .vex import apply_vex, load_vex

ENV_DB = "EVIDENCEPACK_OSV_DB"
ENV_API = "EVIDENCEPACK_OSV_API"


def database_path(explicit: Path | None, env: Mapping[str, str], policy: Policy,
                  root: Path) -> Path | None:
    """The offline database asked for, by precedence; None when none is."""
    if explicit is not None:
        return explicit
    if env.get(ENV_DB):
        return Path(env[ENV_DB])
    if policy.vulnerabilities.osv_db:
        configured = Path(policy.vulnerabilities.osv_db)
        return configured if configured.is_absolute() else root / configured
    return None


def scan_vulnerabilities(
    inventory: Inventory,
    root: Path,
    *,
    policy: Policy,
    env: Mapping[str, str],
    now: datetime,
    osv_db: Path | None = None,
    online: bool = False,
    store: Store | None = None,
    repository: str | None = None,
) -> tuple[VulnerabilityReport | None, str | None]:
    """(report, None); (None, why) when the database could not be used; (None, None) without one."""
    path = None if online else database_path(osv_db, env, policy, root)
    if path is None and not online:
        return None, None
    components = inventory.components
    source: AdvisorySource
    try:
        if online:
            from .online import DEFAULT_API, OnlineDatabase  # httpx, only for --online

            source = OnlineDatabase(env.get(ENV_API) or DEFAULT_API, components, now=now)
        else:
            assert path is not None
            source = open_database(path, default_cache_dir(env))
    except DatabaseError as exc:
        return None, exc.message
    try:
        report = match_components(
            components, source, scanned_at=iso(now),
            lockfile_errors=[f"{lf.path}: {lf.error}" for lf in inventory.errors],
        )
    except DatabaseError as exc:
        return None, exc.message
    finally:
        source.close()
    report = apply_vex(report, load_vex(root))
    if store is not None:
        report = with_first_seen(report, store, repository, now)
    return report, None


def vulnerabilities_of_tree(root: Path, inventory: Inventory, *, env: Mapping[str, str],
                            now: datetime, policy_file: Path | None = None,
                            osv_db: Path | None = None,
                            online: bool = False) -> VulnerabilityReport | None:
    """`scan deps`: the tree's vulnerabilities, or None when no advisory data was asked for.

    The policy is `policy_file`, else `evidencepack.yml` in `root`, else the defaults. A
    database that cannot be used is an `InputError`: a scan asked for never passes silently.
    """
    if policy_file is not None:
        policy = load_policy(policy_file)
    elif (root / POLICY_FILENAME).is_file():
        policy = load_policy(root / POLICY_FILENAME)
    else:
        policy = default_policy()
    report, error = scan_vulnerabilities(inventory, root.resolve(), policy=policy, env=env,
                                         now=now, osv_db=osv_db, online=online)
    if error is not None:
        raise InputError(error)
    return report
