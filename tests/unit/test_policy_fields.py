"""policy_fields.py: the generic mapping -> frozen dataclass builder behind `Policy.from_document`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import pytest

from provenance_guard.model import Severity
from provenance_guard.policy_fields import PolicyError, build, to_document


@dataclass(frozen=True)
class Limits:
    ceiling: int = 10

    def __post_init__(self) -> None:
        if self.ceiling > 100:
            raise PolicyError("ceiling", "must be at most 100")  # a path relative to this section


@dataclass(frozen=True)
class Sample:
    name: str
    lambda_: bool = False
    mode: Literal["a", "b"] = "a"
    count: int | str = 0
    when: date = date(2030, 1, 1)
    level: Severity = Severity.LOW
    limits: Limits = field(default_factory=Limits)
    labels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Unsupported:
    values: set[str] = field(default_factory=set)


def test_builds_nested_values_and_renames_trailing_underscore_fields() -> None:
    built = build(
        Sample,
        {
            "name": "n",
            "lambda": True,
            "mode": "b",
            "count": 3,
            "when": "2030-01-02",
            "level": "HIGH",
            "limits": {"ceiling": 50},
            "labels": {"k": ["v1", "v2"]},
        },
        "",
    )
    assert built == Sample("n", True, "b", 3, date(2030, 1, 2), Severity.HIGH, Limits(50), {"k": ("v1", "v2")})


def test_union_tries_each_option_in_turn() -> None:
    assert build(Sample, {"name": "n", "count": 3}, "").count == 3
    assert build(Sample, {"name": "n", "count": "many"}, "").count == "many"
    with pytest.raises(PolicyError) as raised:
        build(Sample, {"name": "n", "count": [3]}, "section")
    assert raised.value.path == "section.count"
    assert "unexpected value [3]" in raised.value.problem


@dataclass(frozen=True)
class WithOptional:
    limit: int | None = None


def test_optional_field_accepts_its_type() -> None:
    assert build(WithOptional, {"limit": 5}, "").limit == 5


def test_optional_field_accepts_null() -> None:
    assert build(WithOptional, {"limit": None}, "").limit is None


def test_optional_field_reports_a_wrong_value_as_a_policy_error() -> None:
    with pytest.raises(PolicyError) as raised:
        build(WithOptional, {"limit": "five"}, "section")
    assert raised.value.path == "section.limit"


def test_missing_required_field_is_named_with_its_path() -> None:
    with pytest.raises(PolicyError) as raised:
        build(Sample, {}, "outer.items[3]")
    assert raised.value.path == "outer.items[3].name"
    assert raised.value.problem == "is required"


def test_post_init_error_with_a_relative_path_is_placed_under_the_section() -> None:
    with pytest.raises(PolicyError) as raised:
        build(Sample, {"name": "n", "limits": {"ceiling": 101}}, "")
    assert raised.value.path == "limits.ceiling"
    assert raised.value.problem == "must be at most 100"


def test_error_message_for_the_whole_document() -> None:
    with pytest.raises(PolicyError) as raised:
        build(Sample, None, "")
    assert str(raised.value) == "<policy>: expected a mapping, got nothing"


def test_unsupported_field_type_is_a_programming_error_not_a_policy_error() -> None:
    with pytest.raises(TypeError, match="policy field values has an unsupported type"):
        build(Unsupported, {"values": ["a"]}, "")


def test_to_document_writes_plain_json_values() -> None:
    sample = Sample("n", True, "b", "x", date(2030, 1, 2), Severity.CRITICAL, Limits(5), {"k": ("v",)})
    assert to_document(sample) == {
        "name": "n",
        "lambda": True,
        "mode": "b",
        "count": "x",
        "when": "2030-01-02",
        "level": "CRITICAL",
        "limits": {"ceiling": 5},
        "labels": {"k": ["v"]},
    }
    assert build(Sample, to_document(sample), "") == sample
