"""Layers import only toward the bottom (STYLE.md section 1).

Every module under ``symbolic/`` is parsed with ``ast``. Each import it
makes counts: at module level, inside functions, and the module names given
to ``importlib.import_module`` as string literals. An import of a package
ranked above the importer's is a violation unless :data:`ALLOWED` lists it
with its reason. Sub-packages take the rank of their top-level package,
except those :data:`BASE_SUBPACKAGES` puts below the rest of it.
"""

import ast
import importlib.util
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(importlib.util.find_spec("symbolic").origin).parent

#: The top-level packages and modules of ``symbolic/``, bottom first. A
#: module may import its own package and the ranks below its package's.
RANKS = (
    ("config",),
    ("utils",),
    ("graph",),
    ("types",),
    ("ops",),
    ("gradient",),
    ("rewriting",),
    ("compile",),
    # Features built on compiled functions.
    ("scan", "random", "ifelse", "printing"),
    ("backends",),
    # Helpers for tests and for running Theano scripts.
    ("testing", "theano_alias"),
    # Theano's paths: import-only shims.
    (
        "compat",
        "gof",
        "misc",
        "sandbox",
        "scalar",
        "scan_module",
        "sparse",
        "tensor",
        "tests",
        "typed_list",
        "updates",
    ),
    # symbolic/__init__.py: it assembles the public API from everything.
    ("",),
)

RANK = {name: rank for rank, names in enumerate(RANKS) for name in names}

#: Sub-packages below the rest of their layer: they import nothing else of
#: it. Scalar ops are what elemwise ops are made of; the Python backend is
#: the reference every other backend falls back to.
BASE_SUBPACKAGES = ("ops.scalar", "backends.python")

#: (importer module, imported module or package, why the import goes up).
ALLOWED = (
    (
        "symbolic.config",
        "symbolic.utils.linkers",
        "the linker flag is checked against the linker registry, which imports "
        "nothing but importlib",
    ),
    (
        "symbolic.compile.linker",
        "symbolic.backends",
        "a mode's linker name is looked up among the backends, and the Python "
        "reference linker is the default",
    ),
    (
        "symbolic.compile.nanguardmode",
        "symbolic.backends.python",
        "NanGuardMode checks the values between the reference perform thunks",
    ),
    (
        "symbolic.ops.builders",
        "symbolic.compile.builders",
        "former home of OpFromGraph, kept for pickles that name it",
    ),
)


def _modules():
    """``{dotted name: (path, is_package)}`` for every module of symbolic/."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        found[".".join(parts)] = (path, is_package)
    return found


MODULES = _modules()


def _package(module):
    """The top-level name under symbolic/ that ranks ``module``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _unit(module):
    """``(package or base sub-package, sort key)``: a module may import its
    own unit and units with a smaller key."""
    package = _package(module)
    for sub in BASE_SUBPACKAGES:
        if module == f"symbolic.{sub}" or module.startswith(f"symbolic.{sub}."):
            return sub, (RANK[package], 0)
    return package, (RANK[package], 1)


def _resolve(name):
    """The longest prefix of ``name`` that is a module of symbolic/."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imported_names(node, package):
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            stem = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*stem, base] if base else stem)
        # ``from a import b`` imports the module a.b when there is one.
        return [
            f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
            for a in node.names
        ]
    if isinstance(node, ast.Call):
        func = node.func
        called = getattr(func, "attr", getattr(func, "id", None))
        if called in ("import_module", "__import__") and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                return [first.value]
    return []


def _imports(module):
    """``(imported module, line, 'module'|'function')`` for each import."""
    path, is_package = MODULES[module]
    package = module if is_package else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(), filename=str(path))
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        for name in _imported_names(node, package):
            if not name.startswith("symbolic"):
                continue
            target = _resolve(name)
            if target is not None and target != module:
                where = "module" if id(node) in top_level else "function"
                yield target, node.lineno, where


def _allowed(importer, imported):
    return any(
        importer == allowed_importer
        and (imported == prefix or imported.startswith(prefix + "."))
        for allowed_importer, prefix, _ in ALLOWED
    )


def _violations():
    found = []
    for module in MODULES:
        here, here_key = _unit(module)
        for target, line, where in _imports(module):
            there, there_key = _unit(target)
            if there == here or there_key < here_key:
                continue
            if not _allowed(module, target):
                found.append(f"{module}:{line} imports {target} ({where} level)")
    return sorted(set(found))


def test_every_package_is_ranked():
    unranked = sorted({_package(m) for m in MODULES} - set(RANK))
    assert unranked == [], f"add these to RANKS in {__file__}: {unranked}"


def test_imports_only_go_down_the_layers():
    assert _violations() == []


def test_every_allowed_import_is_still_made():
    # An entry nobody needs any more is removed, so the list stays short.
    made = {(m, target) for m in MODULES for target, _, _ in _imports(m)}
    stale = [
        (importer, prefix)
        for importer, prefix, _ in ALLOWED
        if not any(
            m == importer and (t == prefix or t.startswith(prefix + "."))
            for m, t in made
        )
    ]
    assert stale == []


def test_the_checker_sees_function_level_and_importlib_imports(tmp_path):
    source = (
        "import importlib\n"
        "def late():\n"
        "    from symbolic.compile.function import function\n"
        "    return importlib.import_module('symbolic.ops')\n"
    )
    tree = ast.parse(source)
    names = [n for node in ast.walk(tree) for n in _imported_names(node, "symbolic")]
    assert "symbolic.compile.function" in names
    assert "symbolic.ops" in names


@pytest.mark.parametrize("layer", ["graph", "types", "ops", "gradient", "rewriting"])
def test_importing_a_layer_loads_nothing_above_it(layer):
    probe = (
        "import sys\n"
        f"import symbolic.{layer}\n"
        "print(' '.join(m for m in sys.modules if m.startswith('symbolic.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT.parent,
    )
    loaded = result.stdout.split()
    above = [m for m in loaded if RANK[_package(m)] > RANK[layer]]
    assert f"symbolic.{layer}" in loaded
    assert above == []


def test_importing_the_graph_layer_loads_only_graph_and_config():
    probe = (
        "import sys\n"
        "import symbolic.graph.fgraph, symbolic.graph.op, symbolic.graph.replace\n"
        "print(' '.join(m for m in sys.modules if m.startswith('symbolic')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT.parent,
    )
    loaded = set(result.stdout.split())
    foundation = {
        "symbolic",
        "symbolic.config",
        "symbolic.utils",
        "symbolic.utils.hooks",
        # config checks the linker flag against the registry of names.
        "symbolic.utils.linkers",
    }
    others = sorted(m for m in loaded - foundation if _package(m) != "graph")
    assert others == []
    assert "symbolic.graph.fgraph" in loaded
