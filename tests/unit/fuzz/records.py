"""Hypothesis strategies for SQS records a handler may receive: the documented samples, mutated into
every shape an event (or the product's own message) can be malformed in, and bodies that are no
event at all. The cases issue 20 found are drawn often (`REGIONS`, `ACCOUNTS`, `PARTITIONS`)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Sequence
from typing import Any

from hypothesis import strategies as st

Path = tuple[str | int, ...]

NASTY_TEXT = (
    "",
    " ",
    "\ud800",  # a lone surrogate: what a JSON "\ud800" escape decodes to
    "x\udfffy",
    "\x00",
    "a" * 10_000,
    "null",
    "{}",
    "ami-" + "0" * 300,
    "sha256:" + "0" * 64,
    "arn:aws:imagebuilder:us-east-1:123456789012:image/Upper-Case/1.0.0/1",
    "arn:aws:lambda:xx-nowhere-9:123456789012:function:app",
    "\u202eRTL",
)
REGIONS = st.sampled_from(
    ["xx-nowhere-9", "", "US-EAST-1", "us-east-1 ", " us-east-1", "aws-global", "us-east-1\n", "\u0443s-east-1"]
) | st.just("a" * 10_000)
ACCOUNTS = st.sampled_from(["", "12345678901", "1234567890123", "\u0661" * 12, "12345678901a", "123456789012\n"])
PARTITIONS = st.sampled_from(["", "aws-xx", "AWS", "aws-cn", "aws-us-gov", "aws "])

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(NASTY_TEXT),
)
JUNK = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)
NOT_JSON_BODIES = st.sampled_from(
    [
        "",
        "{not json",
        "null",
        "[]",
        "1e400",
        "[" * 100_000,  # deeper than any parser's recursion limit
        "1" * 5_000,  # past Python's integer-string conversion limit
        '{"source": "\\ud800", "detail-type": "x", "account": "123456789012", "region": "us-east-1", "detail": {}}',
    ]
)
NOT_RECORDS = st.sampled_from([None, 1, "a record", [], True])
"""Entries of `Records` that are not SQS records at all."""


def paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every key or index path into a JSON value (the value itself is ())."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, (*prefix, index))


def _set(event: Any, path: Path, value: Any, delete: bool = False) -> Any:
    if not path:
        return value
    parent = event
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return event


@st.composite
def mutated(draw: st.DrawFn, events: Sequence[dict[str, Any]]) -> Any:
    """A sample with one thing wrong: an envelope field (region, account; a page's partition) set to a
    value issue 20 found, any field replaced by junk or deleted, or a field of the wrong type."""
    event = copy.deepcopy(draw(st.sampled_from(events)))
    how = draw(st.sampled_from(["region", "account", "partition", "replace", "delete"]))
    if how == "region":
        event["region"] = draw(REGIONS | JUNK)
    elif how == "account":
        event["account"] = draw(ACCOUNTS | JUNK)
    elif how == "partition" and isinstance(event.get("detail"), dict) and "partition" in event["detail"]:
        event["detail"]["partition"] = draw(PARTITIONS | JUNK)
    else:
        path = draw(st.sampled_from(list(paths(event))[1:]))
        event = _set(event, path, draw(JUNK), delete=how == "delete")
    return event


def bodies(events: Sequence[dict[str, Any]]) -> st.SearchStrategy[object]:
    """An SQS record's body that is not one of `events`: mostly a mutated sample as JSON text (as SQS
    carries it: lone surrogates escaped), sometimes text that is no JSON event, or no string at all."""
    return st.one_of(
        mutated(events).map(json.dumps),
        mutated(events).map(json.dumps),
        mutated(events).map(json.dumps),
        NOT_JSON_BODIES,
        st.text(max_size=40),
        JUNK.filter(lambda value: not isinstance(value, str)),
    )
