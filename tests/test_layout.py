"""The house's layout rules, checked on the source: dependencies point down, no cycles, no sprawling modules."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("data_access", "components", "pages", "sample_data")
# A module longer than this says at its top why (a line starting with LONG_MODULE_MARK).
MAX_MODULE_LINES = 500
LONG_MODULE_MARK = "Long module:"


def product_modules() -> dict[str, Path]:
    """Every module of the product by dotted name (app.py and the four packages)."""
    modules = {"app": ROOT / "app.py"}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def imported_modules(path: Path, name: str, known: dict[str, Path]) -> set[str]:
    """First-party modules a file imports anywhere in it (inside functions too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            # `from package import module` imports the module; `from module import name` the module itself.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    known = product_modules()
    return {name: imported_modules(path, name, known) for name, path in known.items()}


def all_imports(path: Path) -> set[str]:
    """Top-level names of every module a file imports, third-party included."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_product_has_no_import_cycle():
    graph = import_graph()
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycles.append(" → ".join([*path[path.index(target):], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_cycle_check_finds_a_cycle(tmp_path, monkeypatch):
    for package in PACKAGES:
        (tmp_path / package).mkdir()
    (tmp_path / "app.py").write_text("")
    (tmp_path / "data_access" / "a.py").write_text("def f():\n    from data_access import b\n")
    (tmp_path / "data_access" / "b.py").write_text("from data_access.a import f\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    try:
        test_the_product_has_no_import_cycle()
    except AssertionError as error:
        assert "data_access.a → data_access.b → data_access.a" in str(error)
    else:
        raise AssertionError("a cycle through a function-level import went unnoticed")


def test_the_data_layer_imports_neither_streamlit_nor_the_sample_data():
    offenders = {}
    for path in sorted((ROOT / "data_access").rglob("*.py")):
        wrong = all_imports(path) & {"streamlit", "sample_data", "components", "pages", "app"}
        if wrong:
            offenders[str(path.relative_to(ROOT))] = sorted(wrong)
    assert not offenders, f"data_access must depend on nothing above it: {offenders}"


def test_components_do_not_import_pages():
    offenders = [str(path.relative_to(ROOT)) for path in sorted((ROOT / "components").rglob("*.py"))
                 if all_imports(path) & {"pages", "app"}]
    assert not offenders


def test_long_modules_say_why_at_their_top():
    unexplained = []
    for path in product_modules().values():
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) > MAX_MODULE_LINES and not any(LONG_MODULE_MARK in line for line in lines[:20]):
            unexplained.append(f"{path.relative_to(ROOT)} ({len(lines)} lines)")
    assert not unexplained, f"over {MAX_MODULE_LINES} lines without '{LONG_MODULE_MARK} …' at the top: {unexplained}"
