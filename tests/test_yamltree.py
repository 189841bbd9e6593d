"""The YAML tree loader: positions, YAML 1.2 scalars, and hostile documents."""

from __future__ import annotations

import time

import pytest

from evidencepack.errors import YamlError
from evidencepack.yamltree import MAX_DEPTH, YMap, YSeq, parse_yaml


def test_on_stays_a_string_key_and_positions_are_one_based() -> None:
    doc = parse_yaml("name: ci\non:\n  push:\njobs:\n  a:\n    runs-on: x\n")
    root = doc.root
    assert isinstance(root, YMap)
    assert list(root) == ["name", "on", "jobs"]
    assert root.key_mark("on") == (2, 1)
    assert root["jobs"]["a"].key_mark("runs-on") == (6, 5)
    assert root["jobs"]["a"].value_mark("runs-on") == (6, 14)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v: yes", "yes"),
        ("v: on", "on"),
        ("v: off", "off"),
        ("v: true", True),
        ("v: False", False),
        ("v: ~", None),
        ("v:", None),
        ("v: 10", 10),
        ("v: 0x1f", 31),
        ("v: 0o17", 15),
        ("v: 1.5", 1.5),
        ("v: '10'", "10"),
        ('v: "true"', "true"),
        ("v: !!str 3", "3"),
        ("v: 3.10", 3.1),
        ("v: v1.2", "v1.2"),
    ],
)
def test_scalars_resolve_by_the_yaml_1_2_core_schema(text: str, expected: object) -> None:
    assert parse_yaml(text).root["v"] == expected


def test_sequence_items_keep_their_lines() -> None:
    root = parse_yaml("steps:\n  - run: a\n  - uses: b\n").root
    steps = root["steps"]
    assert isinstance(steps, YSeq)
    assert steps.item_mark(1) == (3, 5)


def test_aliases_are_shared_not_copied() -> None:
    root = parse_yaml("a: &x {k: [1, 2]}\nb: *x\nc: *x\n").root
    assert root["b"] is root["a"] and root["c"] is root["a"]


def test_merge_keys_explicit_keys_win_and_repeated_merge_keys_are_accepted() -> None:
    text = (
        ".base: &base {image: alpine, stage: test}\n"
        ".more: &more {tags: [docker], stage: build}\n"
        "job:\n"
        "  <<: *base\n"
        "  <<: *more\n"
        "  stage: deploy\n"
    )
    job = parse_yaml(text).root["job"]
    assert job["image"] == "alpine"
    assert job["tags"] == ["docker"]
    assert job["stage"] == "deploy"
    assert "<<" not in job


def test_billion_laughs_is_rejected_quickly() -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 12):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    start = time.monotonic()
    with pytest.raises(YamlError, match="alias bomb"):
        parse_yaml("\n".join(lines), source="bomb.yml")
    assert time.monotonic() - start < 10  # generous: the point is it does not hang


def test_merge_key_bomb_is_rejected() -> None:
    lines = ["m0: &m0 {" + ", ".join(f"k{j}: v" for j in range(50)) + "}"]
    for i in range(1, 40):
        lines.append(f"m{i}: &m{i}\n  <<: *m{i - 1}\n  x{i}: *m{i - 1}")
    with pytest.raises(YamlError, match=r"alias bomb|expand"):
        parse_yaml("\n".join(lines))


def test_deep_nesting_is_rejected_with_a_position() -> None:
    text = "a: " + "[" * (MAX_DEPTH + 50) + "]" * (MAX_DEPTH + 50)
    with pytest.raises(YamlError, match=r"^deep.yml:1:\d+: nesting deeper than"):
        parse_yaml(text, source="deep.yml")


def test_very_deep_nesting_does_not_overflow_the_stack() -> None:
    text = "[" * 100_000 + "]" * 100_000
    with pytest.raises(YamlError, match="nesting deeper"):
        parse_yaml(text)


def test_invalid_yaml_names_file_line_and_column() -> None:
    with pytest.raises(YamlError) as info:
        parse_yaml("jobs:\n  a:\n    steps: [\n  b: c\n", source="ci.yml")
    assert info.value.message.startswith("ci.yml:")
    line = int(info.value.message.split(":")[1])
    assert 3 <= line <= 5


def test_alias_to_an_undefined_anchor_is_an_error() -> None:
    with pytest.raises(YamlError, match="refers to no anchor"):
        parse_yaml("a: *nothing\n", source="x.yml")


def test_merge_of_a_scalar_is_an_error() -> None:
    with pytest.raises(YamlError, match="merge key"):
        parse_yaml("a: &s text\nb:\n  <<: *s\n")


def test_empty_document_is_none() -> None:
    assert parse_yaml("").root is None
    assert parse_yaml("# only a comment\n").root is None


def test_only_the_first_document_is_read() -> None:
    assert parse_yaml("a: 1\n---\nb: 2\n").root == {"a": 1}


def test_a_later_document_can_be_read() -> None:
    text = "spec:\n  inputs:\n    stage: {default: test}\n---\njob:\n  script: [pytest]\n"
    second = parse_yaml(text, document=1).root
    assert list(second) == ["job"]
    assert second.key_mark("job") == (5, 1)
    assert parse_yaml(text, document=2).root is None
