"""The house rules of src/spindle (docs/architecture.md): sub-packages by pipeline stage, imports
running one way between them, no import cycles, few top-level modules, a docstring on every
sub-package. Read from the source with ast, so every import counts, function-local ones too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "spindle"

# Lowest first: a package may import its own layer and the ones before it, never one after it.
LAYERS = ["core", "project", "manuscript", "theme", "editions", "checks", "build", "cli"]
# Inside editions: paged is the engine; epub and print finish from it; layouts drives them all;
# preview (one part laid out first, for spindle serve) uses layouts.
EDITIONS = {"paged": 0, "epub": 1, "print": 1, "layouts": 2, "preview": 3}


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def imports_of(name: str) -> set[str]:
    """The spindle modules that module *name* imports (a submodule where one is named)."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets = []
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                targets.append(sub if sub in MODULES else base)
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target.startswith("spindle") and target != name:
                found.add(target)
    return found


GRAPH = {name: imports_of(name) for name in MODULES}


def stage(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def test_the_package_has_few_top_level_modules_and_every_sub_package_says_what_it_owns():
    top = [p.name for p in SRC.glob("*.py")]
    assert len(top) <= 8, top
    for init in sorted(SRC.rglob("__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc) > 40, f"{init.relative_to(SRC)} has no docstring saying what it owns"
    assert {p.name for p in SRC.iterdir() if (p / "__init__.py").exists()} == set(LAYERS)


def test_no_import_cycles():
    seen: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> None:
        seen[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH[node]):
            if seen.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in seen:
                visit(nxt)
        stack.pop()
        seen[node] = 2

    for name in sorted(GRAPH):
        if name not in seen:
            visit(name)


def climbing(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """The imports in *graph* that go from a stage to a later one."""
    wrong = []
    for name, targets in graph.items():
        here = stage(name)
        for target in targets:
            there = stage(target)
            if here is None or there is None:
                # spindle/__init__ sits below everything, spindle/__main__ above everything
                if name == "spindle" and target != "spindle":
                    wrong.append((name, target))
                continue
            if LAYERS.index(there) > LAYERS.index(here):
                wrong.append((name, target))
    return sorted(wrong)


def test_imports_run_one_way_between_the_stages():
    wrong = climbing(GRAPH)
    assert not wrong, "imports that climb a layer:\n" + "\n".join(f"{a} -> {b}" for a, b in wrong)


def test_the_rule_catches_a_climbing_import():
    assert climbing({"spindle.core.errors": {"spindle.cli"}}) == [("spindle.core.errors", "spindle.cli")]
    assert climbing({"spindle.cli": {"spindle.core.errors"}}) == []


def test_inside_editions_paged_is_below_epub_and_print_and_layouts_drives_them():
    def sub(name: str) -> str | None:
        parts = name.split(".")
        return parts[2] if len(parts) > 2 and parts[1] == "editions" else None

    wrong = []
    for name, targets in GRAPH.items():
        here = sub(name)
        for target in targets:
            there = sub(target)
            if here is None or there is None or here == there:
                continue
            if EDITIONS[there] >= EDITIONS[here]:
                wrong.append((name, target))
    assert not wrong, wrong
