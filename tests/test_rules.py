"""The architecture's rules as failing checks (ARCHITECTURE.md, rules 2 and 3; decision 0013).

Views and API modules are thin: they never query the ORM themselves, every read of
tenant data goes through a selector. Selectors take keyword-only arguments, the acting
person first, like services. Views get the acting person, typed, from
``socle.core.request_actor``: they never read ``request.user`` nor silence the type checker.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import io
import re
import subprocess
import sys
import tokenize
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOCLE = ROOT / "socle"

# Modules allowed to query the ORM for now: none. A module added here must be removed once fixed.
PENDING: set[str] = set()


def _is_view_or_api(path: Path) -> bool:
    return (path.name in {"views.py", "api.py"} or path.name.endswith("_views.py")
            or "views" in path.relative_to(SOCLE).parts[:-1])


def view_and_api_modules() -> list[Path]:
    """Every view or API module of every app, and the project's own API module."""
    return sorted(path for path in SOCLE.rglob("*.py")
                  if "migrations" not in path.parts and _is_view_or_api(path))


def orm_queries(source: str) -> list[int]:
    """Return the line of every `.objects` attribute access in the source."""
    return sorted(node.lineno for node in ast.walk(ast.parse(source))
                  if isinstance(node, ast.Attribute) and node.attr == "objects")


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_the_detector_finds_a_query_however_it_is_written():
    source = ("from .models import Case\n"
              "def page(request):\n"
              "    first = Case.objects.filter(pk=1).first()\n"
              "    manager = Case.objects\n"
              "    return first, manager\n")
    assert orm_queries(source) == [3, 4]
    assert orm_queries("def page(request):\n"
                       "    return selectors.cases_for(actor=request_actor(request))\n") == []


def test_every_kind_of_view_module_is_inspected():
    found = {_relative(path) for path in view_and_api_modules()}
    assert {"socle/core/views.py", "socle/documents/circuit_views.py", "socle/documents/api.py",
            "socle/archives/views.py", "socle/mail/api.py", "socle/api.py"} <= found
    assert "socle/documents/selectors.py" not in found
    assert _is_view_or_api(SOCLE / "mail" / "views" / "register.py")


def test_no_view_or_api_module_queries_the_orm():
    offenders = {}
    for path in view_and_api_modules():
        lines = orm_queries(path.read_text(encoding="utf-8"))
        if lines and _relative(path) not in PENDING:
            offenders[_relative(path)] = lines
    assert offenders == {}, "Passez par un sélecteur (decisions/0013)."


def test_pending_files_still_need_their_exemption():
    # A file fixed by its owner leaves PENDING, so that the exemption cannot outlive its reason.
    stale = {name for name in PENDING if not orm_queries((ROOT / name).read_text(encoding="utf-8"))}
    assert stale == set()


def test_the_import_contracts_hold():
    # The contracts themselves are in pyproject.toml ([tool.importlinter], decision 0013).
    linter = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "3 kept, 0 broken" in result.stdout


def test_each_app_readme_stays_about_ten_lines():
    # Issue #9: a README says what the app owns and where its writes and reads are; the full
    # index of services and selectors is generated (`socle modules --index`), not kept by hand.
    readmes = sorted(SOCLE.glob("*/README.md"))
    assert len(readmes) >= 6
    long = {_relative(path): len(path.read_text(encoding="utf-8").splitlines()) for path in readmes}
    assert {name: n for name, n in long.items() if n > 12} == {}
    wide = [f"{_relative(path)}:{i}" for path in readmes
            for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if len(line) > 100]
    assert wide == []


# ------------------------------------------------------------------ selectors' signatures

_POSITIONAL = {inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
               inspect.Parameter.VAR_POSITIONAL}


def selector_modules() -> list[str]:
    """The dotted name of every selectors module of every app, selectors packages included."""
    paths = [*SOCLE.glob("*/selectors.py"), *SOCLE.glob("*/selectors/*.py")]
    return sorted(".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                  for path in paths)


def public_functions(module: Any) -> list[Callable[..., Any]]:
    """The public functions a module defines itself, not those it imports."""
    return [value for name, value in vars(module).items()
            if not name.startswith("_") and inspect.isfunction(value)
            and value.__module__ == module.__name__]


def signature_faults(function: Callable[..., Any]) -> list[str]:
    """Say what breaks the rule in a selector's signature: a positional parameter, an actor not first."""
    parameters = list(inspect.signature(function).parameters.values())
    faults = [f"{p.name} is positional" for p in parameters if p.kind in _POSITIONAL]
    names = [p.name for p in parameters]
    if "actor" in names and names[0] != "actor":
        faults.append("actor is not the first argument")
    return faults


def test_the_signature_detector_finds_positional_arguments_and_a_late_actor():
    def positional(actor, case): ...
    def starred(*cases, actor): ...
    def late_actor(*, case, actor): ...
    def sound(*, actor, case, today=None): ...
    def no_actor(*, case): ...

    assert signature_faults(positional) == ["actor is positional", "case is positional"]
    assert signature_faults(starred) == ["cases is positional", "actor is not the first argument"]
    assert signature_faults(late_actor) == ["actor is not the first argument"]
    assert signature_faults(sound) == signature_faults(no_actor) == []


def test_only_the_functions_a_selectors_module_defines_are_inspected():
    names = selector_modules()
    assert {"socle.core.selectors", "socle.portal.selectors", "socle.mail.selectors",
            "socle.documents.selectors", "socle.archives.selectors", "socle.mobility.selectors"} <= set(names)
    portal = importlib.import_module("socle.portal.selectors")
    functions = {function.__name__ for function in public_functions(portal)}
    assert "case_get_for" in functions
    assert "scope" not in functions and "effective" not in functions  # imported, not defined here
    assert "_published" not in functions


def test_every_selector_takes_keyword_only_arguments_with_the_actor_first():
    faults = {}
    for name in selector_modules():
        for function in public_functions(importlib.import_module(name)):
            if found := signature_faults(function):
                faults[f"{name}.{function.__name__}"] = found
    assert faults == {}, "def selector(*, actor, ...) : arguments nommés, l'acteur en premier (0013)."


# ------------------------------------------------------------------ the acting person, typed


def request_user_reads(source: str) -> list[int]:
    """Return the line of every `request.user` in the source."""
    return sorted(node.lineno for node in ast.walk(ast.parse(source))
                  if isinstance(node, ast.Attribute) and node.attr == "user"
                  and isinstance(node.value, ast.Name) and node.value.id == "request")


def type_ignores(source: str) -> list[int]:
    """Return the line of every `# type: ignore` comment (not strings that mention one)."""
    return [token.start[0] for token in tokenize.generate_tokens(io.StringIO(source).readline)
            if token.type == tokenize.COMMENT and "type: ignore" in token.string]


def test_the_detectors_find_request_user_and_type_ignores_in_comments_only():
    source = ("def page(request):\n"
              "    actor = request.user  # type: ignore[assignment]\n"
              "    note = '# type: ignore is a comment, not this string'\n"
              "    return actor.email, request_actor(request), other.request.user\n")
    assert request_user_reads(source) == [2]
    assert type_ignores(source) == [2]


def test_views_and_apis_get_the_actor_from_request_actor_and_need_no_type_ignore():
    # request_actor(request) is a User, so a service typed `actor: User` takes it as it is;
    # request.user (AbstractBaseUser | AnonymousUser) needed an ignore at every call.
    offenders = {}
    for path in view_and_api_modules():
        source = path.read_text(encoding="utf-8")
        found = {"request.user": request_user_reads(source), "type: ignore": type_ignores(source)}
        if any(found.values()):
            offenders[_relative(path)] = {name: lines for name, lines in found.items() if lines}
    assert offenders == {}, "request_actor(request) ou request_actor_or_none(request) (0013)."


_IGNORE = re.compile(r"#\s*type:\s*ignore(\[[a-z-, ]+\])?(.*)")


def unexplained_type_ignores(source: str) -> list[int]:
    """Return the line of every `# type: ignore` without an error code, or without a reason
    (a comment on the line above, or after the ignore on its own line)."""
    lines = source.splitlines()
    found = []
    for line in type_ignores(source):
        match = _IGNORE.search(lines[line - 1])
        code, after = (match.group(1), match.group(2).strip()) if match else (None, "")
        above = lines[line - 2].strip() if line > 1 else ""
        if not code or not (after.startswith("#") or above.startswith("#")):
            found.append(line)
    return found


def test_the_detector_asks_each_type_ignore_for_a_code_and_a_reason():
    source = ("a = f()  # type: ignore\n"
              "b = f()  # type: ignore[arg-type]\n"
              "# the stubs miss this overload\n"
              "c = f()  # type: ignore[arg-type]\n"
              "d = f()  # type: ignore[arg-type]  # the stubs miss this overload\n")
    assert unexplained_type_ignores(source) == [1, 2]


def test_every_type_ignore_left_in_socle_says_why():
    # The few left answer third-party stubs (django-stubs, joserfc); an ignore of our own
    # code is a type to fix instead.
    offenders = {}
    for path in sorted(SOCLE.rglob("*.py")):
        if "migrations" not in path.parts and (lines := unexplained_type_ignores(
                path.read_text(encoding="utf-8"))):
            offenders[_relative(path)] = lines
    assert offenders == {}, "# type: ignore[code], et la raison en commentaire juste au-dessus."
