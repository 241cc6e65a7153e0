"""Reading botocore's service models in the emulator's tests: what an operation takes, what a shape holds."""

from __future__ import annotations

from datetime import datetime

from botocore.model import ServiceModel, Shape, StringShape, StructureShape


def input_members(model: ServiceModel, operation: str) -> set[str]:
    shape = model.operation_model(operation).input_shape
    assert shape is not None
    return set(shape.members)


def shape_members(model: ServiceModel, name: str) -> dict[str, Shape]:
    shape = model.shape_for(name)
    assert isinstance(shape, StructureShape)
    return dict(shape.members)


def enum(model: ServiceModel, name: str) -> list[str]:
    shape = model.shape_for(name)
    assert isinstance(shape, StringShape)
    return list(shape.enum)


def assert_conforms(shape: Shape, value: object, path: str = "") -> None:
    """``value`` (a response an emulator builds, before moto serialises it) uses only members, enum values
    and types of ``shape``: what moto's serializer would otherwise drop without a word."""
    here = path or shape.name
    if isinstance(shape, StructureShape):
        assert isinstance(value, dict), f"{here}: expected a structure, got {value!r}"
        unknown = set(value) - set(shape.members)
        assert not unknown, f"{here}: not in the model: {sorted(unknown)}"
        for name, member in value.items():
            assert_conforms(shape.members[name], member, f"{here}.{name}")
    elif shape.type_name == "list":
        assert isinstance(value, list), f"{here}: expected a list, got {value!r}"
        for index, item in enumerate(value):
            assert_conforms(shape.member, item, f"{here}[{index}]")  # type: ignore[attr-defined]
    elif shape.type_name == "map":
        assert isinstance(value, dict), f"{here}: expected a map, got {value!r}"
    elif isinstance(shape, StringShape):
        assert isinstance(value, str), f"{here}: expected a string, got {value!r}"
        assert not shape.enum or value in shape.enum, f"{here}: {value!r} is not one of {shape.enum}"
    elif shape.type_name in ("integer", "long"):
        assert isinstance(value, int), f"{here}: expected an integer, got {value!r}"
        assert not isinstance(value, bool), f"{here}: expected an integer, got {value!r}"
    elif shape.type_name == "boolean":
        assert isinstance(value, bool), f"{here}: expected a boolean, got {value!r}"
    elif shape.type_name == "timestamp":
        assert isinstance(value, datetime), f"{here}: expected a datetime, got {value!r}"
