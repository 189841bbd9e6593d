"""OpenVEX documents in the repository: vulnerabilities a team has assessed.

Documents live in `.evidencepack/vex/*.json` and must be valid OpenVEX 0.2.0 (the official
JSON schema, shipped with evidencepack). A statement applies to a vulnerability found in a
package when one of its ids (name or aliases) is one of the finding's ids, and one of its
products or subcomponents is the package's Package URL (a purl without a version covers
every version; a statement without products covers the whole repository). Later
statements override earlier ones, as OpenVEX says. An invalid document is an error the
report carries; its statements are not applied.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ...model import instant
from .components import purl_package
from .matching import VulnerabilityMatch, VulnerabilityReport

VEX_DIR = ".evidencepack/vex"
MAX_VEX_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class VexStatement:
    document: str
    """Repository-relative path of the document."""
    index: int
    """Position of the statement in its document (0-based)."""
    ids: frozenset[str]
    products: tuple[str, ...]
    """Package URLs of the products and subcomponents; empty for the whole repository."""
    status: str
    justification: str | None
    impact_statement: str | None
    action_statement: str | None
    timestamp: str

    def to_json(self) -> dict[str, Any]:
        return {
            "document": self.document,
            "statement": self.index,
            "status": self.status,
            "justification": self.justification,
            "impact_statement": self.impact_statement,
            "action_statement": self.action_statement,
            "timestamp": self.timestamp,
        }


@dataclass(frozen=True)
class VexSet:
    documents: tuple[str, ...] = ()
    statements: tuple[VexStatement, ...] = ()
    errors: tuple[str, ...] = ()
    """One line per invalid document: path and why."""


@lru_cache(maxsize=1)
def _validator() -> Any:
    """The OpenVEX schema's validator, built when a repository has VEX documents."""
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

    text = resources.files("evidencepack").joinpath("data/openvex_json_schema.json").read_text(
        encoding="utf-8")
    return Draft202012Validator(json.loads(text))


def load_vex(root: Path) -> VexSet:
    """Read and validate every `.evidencepack/vex/*.json` of the checkout at `root`."""
    folder = root / VEX_DIR
    if not folder.is_dir() or folder.is_symlink():
        return VexSet()
    documents: list[str] = []
    statements: list[VexStatement] = []
    errors: list[str] = []
    for path in sorted(folder.glob("*.json")):
        rel = path.relative_to(root).as_posix()
        documents.append(rel)
        problem, doc = _read(path)
        if problem is None:
            problem = _invalid(doc)
        if problem is not None:
            errors.append(f"{rel}: {problem}")
            continue
        statements.extend(_statements(rel, doc))
    return VexSet(tuple(documents), tuple(statements), tuple(errors))


def _read(path: Path) -> tuple[str | None, Any]:
    try:
        if path.is_symlink() or not path.is_file():
            return "not a regular file", None
        if path.stat().st_size > MAX_VEX_BYTES:
            return f"larger than {MAX_VEX_BYTES // (1024 * 1024)} MiB", None
        return None, json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return f"cannot read: {exc.strerror}", None
    except UnicodeDecodeError:
        return "not UTF-8 text", None
    except (json.JSONDecodeError, RecursionError) as exc:
        return f"invalid JSON: {getattr(exc, 'msg', exc)}", None


def _invalid(doc: Any) -> str | None:
    error = next(iter(sorted(_validator().iter_errors(doc), key=lambda e: list(e.absolute_path))),
                 None)
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(document)"
    return f"not valid OpenVEX 0.2.0 at {where}: {error.message[:200]}"


def _purls(products: Iterable[Mapping[str, Any]]) -> list[str]:
    out: list[str] = []
    for product in products:
        for item in (product, *(product.get("subcomponents") or ())):
            ident = item.get("@id")
            purl = (item.get("identifiers") or {}).get("purl")
            out.extend(p for p in (ident, purl) if isinstance(p, str) and p.startswith("pkg:"))
    return out


def _statements(rel: str, doc: Mapping[str, Any]) -> list[VexStatement]:
    out = []
    for index, st in enumerate(doc["statements"]):
        vuln = st["vulnerability"]
        ids = {vuln["name"], *(vuln.get("aliases") or ())}
        products = st.get("products") or []
        out.append(VexStatement(
            document=rel,
            index=index,
            ids=frozenset(ids),
            products=tuple(_purls(products)) if products else (),
            status=st["status"],
            justification=st.get("justification"),
            impact_statement=st.get("impact_statement"),
            action_statement=st.get("action_statement"),
            timestamp=st.get("last_updated") or st.get("timestamp") or doc.get("last_updated")
            or doc["timestamp"],
        ))
    return out


def applies(statement: VexStatement, vuln: VulnerabilityMatch) -> bool:
    if not statement.ids & vuln.ids:
        return False
    if not statement.products:
        return True
    name, version = purl_package(vuln.purl)
    for product in statement.products:
        p_name, p_version = purl_package(product)
        if p_name == name and (p_version is None or p_version == version):
            return True
    return False


def apply_vex(report: VulnerabilityReport, vex: VexSet) -> VulnerabilityReport:
    """The report with each finding's status set by the latest statement that applies."""
    ordered = sorted(vex.statements, key=lambda s: (instant(s.timestamp) is None,
                                                     instant(s.timestamp), s.document, s.index))
    decided = []
    for vuln in report.vulnerabilities:
        latest = None
        for statement in ordered:
            if applies(statement, vuln):
                latest = statement
        decided.append(vuln if latest is None
                       else replace(vuln, status=latest.status, vex=latest.to_json()))
    return replace(report, vulnerabilities=tuple(decided), vex_documents=vex.documents,
                   vex_errors=vex.errors)
