"""The policy's JSON Schema (draft 2020-12), generated from the declarations the parser checks with:
the dataclasses' fields and types, and each field's `spec` (rules, minimums, descriptions, defaults).

What the schema cannot say, the parser still checks (`policy_issues` methods: duplicate trust-policy
names; warnings such as expired exemptions), and JSON Schema's `integer` also accepts 90.0, which the
parser refuses. With the control registry in the context, control ids are an `enum`.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import date
from enum import Enum
from typing import Any, Union

from provenance_guard.policy_fields import (
    ISO_DATE,
    NO_SPEC,
    FieldSpec,
    discriminator,
    field_spec,
    to_document,
    yaml_name,
)
from provenance_guard.policy_fields import type_hints as hints_of
from provenance_guard.policy_rules import NO_CONTEXT, CheckContext

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def policy_schema(context: CheckContext = NO_CONTEXT) -> dict[str, Any]:
    """The JSON Schema of `policy.yaml`."""
    from provenance_guard.policy import Policy

    definitions: dict[str, Any] = {}
    root = _object(Policy, context, definitions)
    return {
        "$schema": DRAFT,
        "title": "provenance-guard policy (CONTROLS.md §4)",
        **root,
        "$defs": dict(sorted(definitions.items())),
    }


def _object(cls: type, context: CheckContext, definitions: dict[str, Any]) -> dict[str, Any]:
    hints = hints_of(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for f in dataclasses.fields(cls):
        key = yaml_name(f.name)
        spec_ = field_spec(f)
        prop = _value(hints[f.name], spec_, context, definitions)
        if spec_.doc:
            prop["description"] = spec_.doc
        if f.default is not dataclasses.MISSING:
            prop["default"] = to_document(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            prop["default"] = to_document(f.default_factory())
        else:
            required.append(key)
        properties[key] = prop
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    doc = (cls.__doc__ or "").strip()
    if doc and not doc.startswith(f"{cls.__name__}("):  # not the signature dataclass writes by default
        schema["description"] = " ".join(doc.split())
    return schema


def _value(hint: Any, spec_: FieldSpec, context: CheckContext, definitions: dict[str, Any]) -> dict[str, Any]:  # noqa: C901 - one branch per type form
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        if hint.__name__ not in definitions:
            definitions[hint.__name__] = {}  # placeholder: a dataclass may refer to itself
            definitions[hint.__name__] = _object(hint, context, definitions)
        return {"$ref": f"#/$defs/{hint.__name__}"}
    if origin is typing.Literal:
        return {"const": args[0]} if len(args) == 1 else {"enum": list(args)}
    if origin in (Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        choices = [_value(o, spec_, context, definitions) for o in options]
        if type(None) in args:
            choices.append({"type": "null"})
        return {"oneOf": choices} if discriminator(tuple(options)) else {"anyOf": choices}
    if origin is tuple:
        schema: dict[str, Any] = {"type": "array", "items": _value(args[0], spec_, context, definitions)}
        if spec_.min_items:
            schema["minItems"] = spec_.min_items
        return schema
    if origin is Mapping:
        keys = _value(args[0], dataclasses.replace(NO_SPEC, rule=spec_.keys), context, definitions)
        keys.pop("type", None)
        return {
            "type": "object",
            "propertyNames": keys,
            "additionalProperties": _value(args[1], spec_, context, definitions),
        }
    if isinstance(hint, type) and issubclass(hint, Enum):
        return {"type": "string", "enum": [m.value for m in hint]}
    if hint is date:
        return {"type": "string", "format": "date", "pattern": ISO_DATE}
    if hint is bool:
        return {"type": "boolean"}
    if hint is int:
        return {"type": "integer"} | ({"minimum": spec_.minimum} if spec_.minimum is not None else {})
    if hint is str:
        return {"type": "string", "minLength": 1} | (spec_.rule.schema(context) if spec_.rule else {})
    raise TypeError(f"no JSON Schema for policy type {hint!r}")
