"""Module-level imports only go toward lower layers (STYLE.md section 1)."""

import ast
import pathlib

import symbolic

ORDER = ["graph", "types", "ops", "gradient", "rewriting", "compile", "backends"]
ROOT = pathlib.Path(symbolic.__file__).parent


def _layer(module):
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "symbolic":
        return None
    return ORDER.index(parts[1]) if parts[1] in ORDER else None


def test_module_level_imports_go_left():
    violations = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        module = ".".join(rel.parts)
        here = _layer(module)
        if here is None:
            continue
        tree = ast.parse(path.read_text())
        for node in tree.body:
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module]
            for target in targets:
                there = _layer(target)
                if there is not None and there > here:
                    violations.append(f"{module} imports {target}")
    # The linker is the one place where compile meets the reference backend.
    allowed = {"symbolic.compile.linker imports symbolic.backends.python.thunks"}
    assert sorted(set(violations) - allowed) == []
