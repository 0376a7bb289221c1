"""The house rules of the layout: areas import each other without cycles, at module level, and matching/ stays pure."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app.core.exchange import EXCHANGE_KEYS, OPTION_KEYS
from app.projects.models import ENUM_FIELDS

ROOT = Path(__file__).resolve().parents[2]
AREAS = ("accounts", "projects", "deals", "suggestions", "incubation", "reporting", "meetings", "programme")


def _module_name(path: Path) -> str:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return name.removesuffix(".__init__")


def _modules(package: str) -> dict[str, Path]:
    return {_module_name(p): p for p in (ROOT / package).rglob("*.py")}


APP_MODULES = _modules("app")


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(inner) for inner in ast.walk(node)}
    return skipped


def _imported(node: ast.AST, known: dict[str, Path]) -> list[str]:
    """The known modules an import statement loads (a from-import of a submodule counts as that submodule)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name in known]
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        out = []
        for alias in node.names:
            full = f"{node.module}.{alias.name}"
            out.append(full if full in known else node.module)
        return [name for name in out if name in known]
    return []


def _imports(path: Path, known: dict[str, Path]) -> list[tuple[ast.AST, str, bool]]:
    """(statement, imported module, at module level) for every import of a known module, TYPE_CHECKING aside."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    top = {id(node) for node in tree.body}
    return [(node, target, id(node) in top) for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in skipped
            for target in _imported(node, known)]


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in APP_MODULES}
    for name, path in APP_MODULES.items():
        for _node, target, _top in _imports(path, APP_MODULES):
            if target != name:
                graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph[node]):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
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


def test_no_import_cycle_among_app_modules():
    assert _cycles(_graph()) == []


def test_the_graph_sees_a_cycle_when_there_is_one():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_app_modules_import_each_other_at_module_level():
    """An import inside a function hides a dependency (and usually a cycle); the factory's late imports aside."""
    offenders = [f"{path.relative_to(ROOT)}:{node.lineno} imports {target}"
                 for name, path in APP_MODULES.items() if name != "app"
                 for node, target, top in _imports(path, APP_MODULES) if not top]
    assert offenders == []


def test_core_depends_on_no_feature_area():
    """app.core is the bottom layer: the areas build on it, never the other way round.

    The one exception is the users and roles of app.accounts.models, which every part of the platform rests on.
    """
    offenders = [f"{path.relative_to(ROOT)}:{node.lineno} imports {target}"
                 for name, path in APP_MODULES.items() if name.startswith("app.core")
                 for node, target, _top in _imports(path, APP_MODULES)
                 if target.split(".")[1] in AREAS and target != "app.accounts.models"]
    assert offenders == []


@pytest.mark.parametrize("area", AREAS)
def test_every_area_has_models_and_views(area):
    folder = ROOT / "app" / area
    assert (folder / "models.py").is_file() and (folder / "views.py").is_file()
    assert "BLUEPRINTS" in (folder / "views.py").read_text(encoding="utf-8")


def test_the_exchange_contract_codes_the_forms_options():
    """The contract's option keys are exactly the project's enum fields it carries (so the two cannot drift)."""
    assert set(OPTION_KEYS) == set(ENUM_FIELDS) & set(EXCHANGE_KEYS)


def test_matching_stays_pure():
    """matching/ takes plain records: no Flask, no SQLAlchemy, nothing of the app."""
    offenders = []
    for path in (ROOT / "matching").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names
                          if n.split(".")[0] in ("app", "flask", "flask_sqlalchemy", "sqlalchemy", "forms")]
    assert offenders == []
