"""Dependencies point down: core imports no domain app; apps use each other only
through their services and selectors (ARCHITECTURE.md, rule 4)."""

import ast
from pathlib import Path

SOCLE = Path(__file__).resolve().parent.parent / "socle"
PUBLIC_MODULES = {"services", "selectors"}
PROJECT_MODULES = {"settings", "urls", "api", "wsgi", "asgi", "cli"}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return [name for name in names if name.startswith("socle.")]


def _apps() -> list[str]:
    return sorted(p.name for p in SOCLE.iterdir() if (p / "apps.py").exists())


def test_there_is_a_core_app():
    assert "core" in _apps()


def test_dependencies_point_down():
    violations = []
    for app in _apps():
        for path in (SOCLE / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for name in _imports(path):
                parts = name.split(".")
                target = parts[1]
                if target in (app, *PROJECT_MODULES) or target not in _apps():
                    continue
                through_public_door = target == "core" or (len(parts) > 2 and parts[2] in PUBLIC_MODULES)
                if app == "core" or not through_public_door:
                    violations.append(f"{path.relative_to(SOCLE)} imports {name}")
    assert violations == []


def test_core_does_not_import_the_project_api_module():
    offenders = [
        str(path.relative_to(SOCLE))
        for path in (SOCLE / "core").rglob("*.py")
        if any(name in {"socle.api", "socle.urls"} for name in _imports(path))
    ]
    assert offenders == []
