"""The layer package imports one way (DESIGN.md "Shape for growth"): no import cycle between its modules,
and no module imports from a layer above its own. Every import counts, at module level or inside a
function (a lazy import must not hide a cycle); only `if TYPE_CHECKING:` imports are annotations."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "layers" / "provenance_guard" / "python" / "provenance_guard"
LAYERS = (
    {
        "model",
        "work",
        "clients",
        "settings",
        "policy",
        "policy_ami",
        "policy_arns",
        "policy_container",
        "policy_fields",
        "policy_notifications",
        "policy_packages",
        "policy_problems",
        "policy_rules",
        "policy_schema",
        "policy_source",
        "lambda_identifiers",
        "lambda_runtimes",
        "regions",
        "failures",
        "log_lines",
        "tracing",
    },
    {"oci"},
    {"signatures"},
    {"collect"},
    {"controls"},
    {"findings", "asff", "exemptions", "state", "notify", "publish"},
    {"pipeline", "sweep", "recheck", "remediation", "blast_radius"},
    {"triggers"},
    {"service", "runtime"},
)
"""Lowest first: a module imports from its own layer or a lower one. Packages count as one unit."""


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_blocks(tree: ast.AST) -> set[int]:
    """Line numbers inside `if TYPE_CHECKING:` blocks."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def imports_of(path: Path, modules: set[str]) -> Iterator[str]:
    """The first-party modules `path` imports (a `from package import submodule` names the submodule)."""
    tree = ast.parse(path.read_text())
    annotations_only = _type_checking_blocks(tree)
    for node in ast.walk(tree):
        if getattr(node, "lineno", 0) in annotations_only:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("provenance_guard"):
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                yield submodule if submodule in modules else node.module


@cache
def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(path) for path in paths}
    return {
        module_name(path): {imported for imported in imports_of(path, modules) if imported != module_name(path)}
        for path in paths
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def layer_of(module: str) -> int | None:
    unit = module.removeprefix("provenance_guard.").split(".")[0]
    return next((rank for rank, units in enumerate(LAYERS) if unit in units), None)


def test_the_layer_package_has_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_module_is_in_a_layer() -> None:
    unplaced = {m for m in import_graph() if m != "provenance_guard" and layer_of(m) is None}
    assert unplaced == set(), "add the module to LAYERS"


@pytest.mark.parametrize("module", sorted(import_graph()))
def test_imports_go_down_the_layers_only(module: str) -> None:
    own = layer_of(module)
    if own is None:
        return
    upward = {imported for imported in import_graph()[module] if (layer_of(imported) or 0) > own}
    assert upward == set(), f"{module} (layer {own}) imports from higher layers"
