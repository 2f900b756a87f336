"""The packages of portal/ form floors: a package imports only packages below it. Read from the source
(every import, at module level or inside a function), so a cycle cannot hide behind a late import."""

import ast
from pathlib import Path

PORTAL = Path(__file__).resolve().parents[2] / "portal"
# Modules at the top of portal/ that every floor may use.
COMMON = {"clock", "config", "extensions"}
# What the lowest floors may import: the unit tree and its gate know no feature, the register framework
# knows no register and not the importer.
FLOORS = {
    "audit": set(),
    "tenancy": {"audit"},
    "shell": {"tenancy"},
    "auth": {"audit", "shell", "tenancy"},
    "registers": {"audit", "auth", "shell", "tenancy"},
}


def _package_of(path: Path) -> str:
    parts = path.relative_to(PORTAL).parts
    return parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")


def _imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "portal":
            parts = node.module.split(".")
            found |= {parts[1]} if len(parts) > 1 else {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("portal.")}
    return found


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in PORTAL.rglob("*.py"):
        package = _package_of(path)
        if package == "__init__":  # the app factory wires every package together
            continue
        graph.setdefault(package, set()).update(_imported_packages(path) - {package})
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of packages, as the path that closes it, or None."""
    state: dict[str, str] = {}

    def visit(node, path):
        state[node] = "open"
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target] if target in path else [*path, target]
            if target not in state:
                found = visit(target, [*path, target])
                if found:
                    return found
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return None


def test_no_cycle_between_packages():
    assert find_cycle(package_graph()) is None, " → ".join(find_cycle(package_graph()))


def test_the_lowest_floors_import_only_what_lies_below_them():
    graph = package_graph()
    for package, allowed in FLOORS.items():
        assert graph[package] - COMMON <= allowed, (package, sorted(graph[package] - COMMON - allowed))


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
