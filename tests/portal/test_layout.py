"""The portal's modules stay small and import each other without a cycle, deferred imports too."""

import ast
from pathlib import Path

import socle.portal

PORTAL = Path(socle.portal.__file__).parent
MAX_LINES = 800


def _modules() -> dict[str, Path]:
    found = {}
    for path in PORTAL.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = ("socle", *path.relative_to(PORTAL.parent.parent / "socle").with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    targets: set[str] = set()
    # ast.walk sees the imports inside functions as well as the module's own.
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] \
                if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            targets |= {module, *(f"{module}.{alias.name}" for alias in node.names)}
        elif isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names}
    # ``from .. import x`` names the app's (empty) package on the way to x: not a dependency.
    return {t for t in targets & known if t not in {name, "socle.portal"}}


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return []

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return []


def test_no_portal_module_is_over_800_lines():
    long = {path.name: n for path in _modules().values()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_the_portal_has_no_import_cycle_deferred_imports_included():
    modules = _modules()
    graph = {name: _imports(name, path, set(modules)) for name, path in modules.items()}
    assert "socle.portal.services" in graph["socle.portal.payments"]
    assert "socle.portal.acknowledgements" in graph["socle.portal.services.cases"]
    assert _cycle(graph) == []


def test_the_cycle_check_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
