"""GitHub's published REST shapes, as a validator for the replies our fake GitHub serves.

The source is `shared/data/github-api/openapi-subset.json`: GitHub's official OpenAPI 3.0.3
description (npm `@octokit/openapi`, MIT) cut to the GET operations evidencepack reads, with
every component they reference. Tests validate each fake reply against it, so the fake cannot
drift from what api.github.com really returns.

OpenAPI 3.0 schemas are not JSON Schema, so they are translated once, up front:

- `nullable: true` becomes a JSON Schema null allowance (`type: [..., "null"]`, `None` added to
  an `enum`, or `anyOf: [{type: null}, ...]` for a schema without `type`, such as a nullable
  `oneOf`);
- `example`, `discriminator`, `xml`, `externalDocs` and `x-*` are dropped (annotations only);
- `additionalProperties` keeps its meaning (absent means allowed, as in both specs);
- `format` is not asserted: GitHub's own examples do not always honour it (`uri` values that are
  templates), and JSON Schema treats it as an annotation by default;
- OpenAPI 3.0 puts nothing beside a `$ref` (siblings are ignored there); the subset has none, and
  `$ref`s are rewritten to point into one registry resource, so they resolve lazily and recursive
  components cost nothing.

The translated document is validated with Draft 2020-12; it is built once per process.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import referencing
import referencing.jsonschema
from jsonschema.exceptions import ValidationError

SHAPES_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "github-api"
OPENAPI_FILE = SHAPES_DIR / "openapi-subset.json"

# One URI for the whole translated description: every `#/components/...` ref points into it.
_DOC_URI = "urn:evidencepack-tests:github-openapi"

# Keywords whose values are schemas (or lists/maps of schemas) in OpenAPI 3.0; everything else is
# data (enum values, defaults, examples) and must not be rewritten.
_SCHEMA_KEYWORDS = ("items", "not", "additionalProperties")
_SCHEMA_LIST_KEYWORDS = ("allOf", "anyOf", "oneOf")
_DROPPED_KEYWORDS = frozenset({"example", "examples", "discriminator", "xml", "externalDocs", "nullable"})

# Error statuses GitHub answers with its "basic error" body when an operation does not describe them
# (401 Bad credentials, 403 rate limits, 502 from the front end...).
_BASIC_ERROR_REF = "#/components/schemas/basic-error"


@dataclass(frozen=True)
class Operation:
    """One GET (or other) operation of the description."""

    method: str
    template: str
    operation_id: str
    spec: Mapping[str, Any]

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.template} ({self.operation_id})"


def _translate(schema: Any) -> Any:
    """An OpenAPI 3.0 schema object as a JSON Schema 2020-12 schema (see module docstring)."""
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        # Siblings of $ref are ignored by OpenAPI 3.0; keep that meaning.
        return {"$ref": _DOC_URI + schema["$ref"]}
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DROPPED_KEYWORDS or key.startswith("x-"):
            continue
        if key == "properties":
            out[key] = {name: _translate(sub) for name, sub in value.items()}
        elif key in _SCHEMA_KEYWORDS:
            out[key] = _translate(value)
        elif key in _SCHEMA_LIST_KEYWORDS:
            out[key] = [_translate(sub) for sub in value]
        else:
            out[key] = value
    if schema.get("nullable") is True:
        out = _allow_null(out)
    return out


def _allow_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` that also accepts JSON null, the meaning of OpenAPI 3.0 `nullable: true`."""
    if "type" in schema and not any(k in schema for k in _SCHEMA_LIST_KEYWORDS):
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        allowed = {**schema, "type": [*types, "null"] if "null" not in types else types}
        if "enum" in allowed and None not in allowed["enum"]:
            allowed["enum"] = [*allowed["enum"], None]
        return allowed
    # No plain type to extend (a nullable oneOf/anyOf/allOf): null is one more alternative.
    return {"anyOf": [{"type": "null"}, schema]}


_VALID_BY_REF: set[tuple[str, str]] = set()
_draft_ref = jsonschema.Draft202012Validator.VALIDATORS["$ref"]


def _memo_ref(validator: Any, ref: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    """`$ref` that remembers which (component, value) pairs were valid.

    Builders repeat the same users and repositories in every pull request, run and review, and
    jsonschema walks each again; remembering valid pairs makes a page of 100 pull requests cheap.
    Every `$ref` here is absolute (see `_translate`), so the ref string names the schema.
    """
    if not isinstance(instance, dict | list):
        yield from _draft_ref(validator, ref, instance, schema)
        return
    key = (ref, json.dumps(instance, sort_keys=True))
    if key in _VALID_BY_REF:
        return
    errors = list(_draft_ref(validator, ref, instance, schema))
    if not errors:
        _VALID_BY_REF.add(key)
    yield from errors


_Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"$ref": _memo_ref})


def _json_path(error: ValidationError) -> str:
    """`$.a[0].b` for where in the body `error` is."""
    out = "$"
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    if not error.context:
        yield error
    for sub in error.context or ():
        yield from _leaves(sub)


def _closest_branch(error: ValidationError) -> list[ValidationError]:
    """The failures of the oneOf/anyOf branch the body most likely meant.

    A branch is unlikely when the value is not even of its kind (a `type` failure right at the
    value, e.g. the `null` side of a nullable) or when a `type` discriminator property does not
    match its enum (the rule types of /rules/branches); of the rest, the one with fewest failures.
    """
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context or ():
        branches.setdefault(sub.schema_path[0] if sub.schema_path else None, []).append(sub)

    def score(errors: list[ValidationError]) -> tuple[int, int, int]:
        leaves = [leaf for e in errors for leaf in _leaves(e)]
        depth = len(error.absolute_path)
        other_kind = all(
            leaf.validator in ("type", "enum", "const") and len(leaf.absolute_path) == depth
            for leaf in leaves
        )
        wrong_type_tag = any(
            leaf.validator in ("enum", "const") and leaf.path and leaf.path[-1] == "type" for leaf in leaves
        )
        return int(other_kind), int(wrong_type_tag), len(leaves)

    best = min(branches.values(), key=score)
    return [leaf for e in best for leaf in _leaves(e)]


def _describe(error: ValidationError) -> str:
    """Where and why, descending into the closest branch of a oneOf/anyOf."""
    if not error.context:
        return f"at {_json_path(error)}: {error.message[:300]}"
    leaves = _closest_branch(error)
    deepest = max(leaves, key=lambda leaf: len(leaf.absolute_path))
    more = f" (and {len(leaves) - 1} more in that alternative)" if len(leaves) > 1 else ""
    return f"at {_json_path(deepest)}: {deepest.message[:300]}{more}"


class GitHubShapes:
    """The operations, response schemas and examples of the GitHub OpenAPI subset.

    Use `shapes()` for the process-wide instance: translation and validator construction are
    paid once.
    """

    def __init__(self, path: Path = OPENAPI_FILE) -> None:
        self.document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        components = self.document["components"]
        translated = {
            "components": {"schemas": {n: _translate(s) for n, s in components["schemas"].items()}}
        }
        resource = referencing.Resource.from_contents(
            translated, default_specification=referencing.jsonschema.DRAFT202012
        )
        self._registry: referencing.Registry[Any] = referencing.Registry().with_resource(_DOC_URI, resource)
        self._operations: dict[tuple[str, str], Operation] = {}
        patterns: list[tuple[tuple[int, int], re.Pattern[str], str, str]] = []
        for template, item in self.document["paths"].items():
            for method, spec in item.items():
                if method.startswith("x-") or method in ("parameters", "summary", "description"):
                    continue
                op = Operation(method.upper(), template, spec.get("operationId", "?"), spec)
                self._operations[(op.method, template)] = op
                patterns.append((_specificity(template), _compile(template), op.method, template))
        # Most literal segments first, so /rulesets/rule-suites wins over /rulesets/{ruleset_id}.
        patterns.sort(key=lambda p: p[0], reverse=True)
        self._patterns = patterns
        self._validators: dict[tuple[str, str, str], jsonschema.protocols.Validator | None] = {}

    # -- operations -------------------------------------------------------------------------------

    def operations(self) -> Iterator[Operation]:
        """Every operation of the subset."""
        return iter(self._operations.values())

    def operation(self, method: str, path_template: str) -> Operation:
        """The operation for `method` and `path_template`, e.g. ("GET", "/repos/{owner}/{repo}")."""
        try:
            return self._operations[(method.upper(), path_template)]
        except KeyError:
            raise KeyError(f"{method.upper()} {path_template} is not in the GitHub OpenAPI subset") from None

    def match(self, method: str, concrete_path: str) -> tuple[str, Operation] | None:
        """The (template, operation) a concrete path such as /repos/acme/shop/pulls/7 falls under.

        The query string, if any, is ignored. None when the subset has no such operation.
        """
        path = concrete_path.split("?", 1)[0]
        for _, pattern, op_method, template in self._patterns:
            if op_method == method.upper() and pattern.fullmatch(path):
                return template, self._operations[(op_method, template)]
        return None

    # -- responses --------------------------------------------------------------------------------

    def response(self, operation: Operation, status: int | str) -> Mapping[str, Any] | None:
        """The response object (with a `$ref` to components/responses followed) for `status`."""
        responses = operation.spec.get("responses", {})
        found = responses.get(str(status))
        if found is None:
            return None
        resolved: Mapping[str, Any] = self._deref(found)
        return resolved

    def _deref(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            node = self._pointer(node["$ref"])
        return node

    def _pointer(self, ref: str) -> Any:
        node: Any = self.document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def _validator(self, operation: Operation, status: str) -> jsonschema.protocols.Validator | None:
        """The cached validator for the JSON body of (operation, status); None when it has none."""
        key = (operation.method, operation.template, status)
        if key not in self._validators:
            response = self.response(operation, status)
            schema: Any
            if response is None:
                # Undescribed error statuses carry GitHub's generic error body.
                schema = {"$ref": _DOC_URI + _BASIC_ERROR_REF} if int(status) >= 400 else None
            else:
                media = response.get("content", {}).get("application/json")
                schema = _translate(media["schema"]) if media and "schema" in media else None
            self._validators[key] = (
                None if schema is None else _Validator(schema, registry=self._registry)
            )
        return self._validators[key]

    def schema_error(
        self,
        method: str,
        concrete_path: str,
        status: int | str,
        body: Any,
        *,
        media_type: str = "application/json",
    ) -> str | None:
        """Why `body` does not fit the documented reply, or None when it does (or the path is unknown).

        Only JSON bodies are checked against a schema; for any media type the status must be one the
        operation documents (error statuses excepted: GitHub sends its basic error body for those).
        """
        matched = self.match(method, concrete_path)
        if matched is None:
            return None
        _, op = matched
        status = str(status)
        response = self.response(op, status)
        if response is None:
            if int(status) < 400:
                described = ", ".join(op.spec.get("responses", {}))
                return f"{op}: status {status} is not a documented reply (documented: {described})"
        elif "content" not in response:
            if body is not None:
                return f"{op}: status {status} has no body in the description, got {type(body).__name__}"
            return None
        elif media_type not in response["content"] and body is not None:
            sent = ", ".join(response["content"])
            return f"{op}: status {status} is not sent as {media_type} (only {sent})"
        if media_type != "application/json":
            return None
        validator = self._validator(op, status)
        if validator is None:
            return None
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        if not errors:
            return None
        lines = [_describe(e) for e in errors[:5]]
        more = f"\n  ... and {len(errors) - 5} more" if len(errors) > 5 else ""
        return f"{op} {status}: body does not match GitHub's schema:\n  " + "\n  ".join(lines) + more

    def validate(self, method: str, concrete_path: str, status: int | str, body: Any) -> None:
        """Raise AssertionError, naming the operation and JSON path, if `body` does not fit."""
        problem = self.schema_error(method, concrete_path, status, body)
        if problem is not None:
            raise AssertionError(problem)

    def validate_schema(self, ref: str, instance: Any) -> None:
        """Validate `instance` against a component, e.g. "#/components/schemas/pull-request"."""
        validator = _Validator({"$ref": _DOC_URI + ref}, registry=self._registry)
        errors = list(validator.iter_errors(instance))
        if errors:
            lines = "\n  ".join(_describe(e) for e in errors[:5])
            raise AssertionError(f"{ref}: instance does not match GitHub's schema:\n  {lines}")

    # -- examples ---------------------------------------------------------------------------------

    def examples(self, method: str, template: str, status: str = "200") -> dict[str, Any]:
        """Every example body of the operation's JSON reply, by name (deep copies)."""
        response = self.response(self.operation(method, template), status)
        media = (response or {}).get("content", {}).get("application/json", {})
        found: dict[str, Any] = {}
        for name, example in media.get("examples", {}).items():
            example = self._deref(example)
            if "value" in example:
                found[name] = copy.deepcopy(example["value"])
        if not found and "example" in media:
            found["example"] = copy.deepcopy(media["example"])
        return found

    def example(self, method: str, template: str, status: str = "200") -> Any:
        """The operation's first example body for `status` (a deep copy), or None when it has none."""
        found = self.examples(method, template, status)
        return next(iter(found.values())) if found else None


def _specificity(template: str) -> tuple[int, int]:
    segments = template.strip("/").split("/")
    literal = [s for s in segments if not s.startswith("{")]
    return len(literal), sum(len(s) for s in literal)


def _compile(template: str) -> re.Pattern[str]:
    """A regex for `template`; `{path}` (repository file paths) may span several segments."""
    out = ""
    for piece in re.split(r"(\{[^}]+\})", template):
        if piece == "{path}":
            out += r".+"
        elif piece.startswith("{"):
            out += r"[^/]+"
        else:
            out += re.escape(piece)
    return re.compile(out)


@functools.cache
def shapes() -> GitHubShapes:
    """The process-wide GitHubShapes (loaded and translated once)."""
    return GitHubShapes()
