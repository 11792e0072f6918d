"""Imports go one way: schema → resolvers → models. The domain never imports the GraphQL or HTTP layer,
and inside it the capability packages form a DAG: core ← setup ← payments ← fulfilment ← the rest,
and integrations above them all."""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "models": ("strawberry", "starlette", "schema", "resolvers"),
    "resolvers": ("strawberry", "starlette", "schema"),
}
# A package of `resolvers` imports only packages of lower layers; nothing imports back.
PACKAGE_LAYERS = {
    "core": 0,
    "setup": 1,
    "payments": 2,
    "fulfilment": 3,
    "storefront": 4,
    "returns": 4,
    "editing": 4,
    "channels": 4,
    "reporting": 4,
    # A leaf: it builds on everything below it, and nothing in `resolvers` imports it.
    "integrations": 5,
    # A leaf too: the demo shop's orders go through every capability; only the command line runs it.
    "demo": 5,
}
# Besides those: editing and channels build on the storefront (pricing, carts).
PEER_IMPORTS = {("editing", "storefront"), ("channels", "storefront")}


def _imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_lower_layers_do_not_import_upper_ones(package: str) -> None:
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / package).rglob("*.py")
        for name in _imports(path)
        if name.split(".")[0] in FORBIDDEN[package]
    }

    assert offenders == set()


def _resolvers_packages_imported(path: pathlib.Path) -> set[str]:
    """The packages of `resolvers` a module imports, however it spells the import."""
    packages: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "resolvers" and node.level == 0:
            packages.update(alias.name for alias in node.names)  # from resolvers import payments
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]  # from resolvers.payments import engine
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]  # import resolvers.payments.engine
        else:
            continue
        packages.update(name.split(".")[1] for name in modules if name.startswith("resolvers."))
    return packages


def _package_imports() -> set[tuple[str, str, str]]:
    """(importing package, imported package, module) for every import between packages of `resolvers`."""
    edges = set()
    for path in (ROOT / "resolvers").rglob("*.py"):
        parts = path.relative_to(ROOT / "resolvers").parts
        if len(parts) < 2:
            continue
        for imported in _resolvers_packages_imported(path) - {parts[0]}:
            edges.add((parts[0], imported, str(path.relative_to(ROOT))))
    return edges


def test_every_resolvers_package_has_a_layer() -> None:
    packages = {path.parent.name for path in (ROOT / "resolvers").glob("*/__init__.py")}

    assert packages == set(PACKAGE_LAYERS)


def test_resolvers_packages_import_only_lower_layers() -> None:
    offenders = {
        f"{module}: {importer} imports {imported}"
        for importer, imported, module in _package_imports()
        if PACKAGE_LAYERS[imported] >= PACKAGE_LAYERS[importer] and (importer, imported) not in PEER_IMPORTS
    }

    assert offenders == set()
