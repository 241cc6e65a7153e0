"""Reading botocore's service models in the emulator's tests: what an operation takes, what a shape holds."""

from __future__ import annotations

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
