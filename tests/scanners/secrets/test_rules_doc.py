"""docs/secret-rules.md lists every rule as the code defines it.

Regenerate on purpose with `EVIDENCEPACK_UPDATE_GOLDEN=1 pytest tests/scanners/secrets/test_rules_doc.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

from evidencepack.scanners.secrets.rules import RULES

DOC = Path(__file__).resolve().parents[3] / "docs" / "secret-rules.md"


def render() -> str:
    lines = [
        "# Secret-scanning rules",
        "",
        "The rules `evidencepack scan secrets` and AC-4 apply, in one pass: a fast scan for",
        "the keywords decides which rules' patterns run on a file. Findings are reported as",
        "`secret/<id>` with the first four characters and the length of the secret, never the",
        "secret. Extra rules load from a gitleaks-format TOML file (`--rules FILE`).",
        "",
        f"{len(RULES)} rules.",
        "",
        "| id | what it finds | severity | keywords |",
        "| --- | --- | --- | --- |",
    ]
    for rule in RULES:
        keywords = ", ".join(f"`{k}`" for k in rule.keywords)
        description = rule.description.replace("|", "\\|")
        lines.append(f"| `{rule.id}` | {description} | {rule.severity} | {keywords} |")
    return "\n".join(lines) + "\n"


def test_rules_doc_lists_every_rule() -> None:
    text = render()
    if os.environ.get("EVIDENCEPACK_UPDATE_GOLDEN") == "1" or not DOC.exists():
        DOC.write_text(text, encoding="utf-8")
    assert DOC.read_text(encoding="utf-8") == text
