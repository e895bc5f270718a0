"""The compiled twin of the flow model: the same code, compiled to C for speed (optional).

mypyc compiles typed Python to a C extension, but not a class made of mixins that share their
state, as :class:`~sim.model.flow.FlowModel` is (one mixin a mechanism, for reading). So the
install (``scripts/build_native.py``, run by ``pip install``) merges the components into one class
in one module, ``sim.model._native``, exactly as Python's method resolution would (the first
definition along ``FlowModel``'s MRO), and compiles it. Nothing is rewritten: every statement is
the component's own, so the compiled model makes the same calls, in the same order, with the same
draws, and its results are bit-identical (tests/model/test_native.py).

What helps the compiler, in the components: constants ``Final`` (inlined), calls as ints
(:mod:`sim.model.engine`), typed lists, and ``a[i] = a[i] + x`` rather than ``a[i] += x`` (mypyc
makes an augmented assignment to a list item a generic Python operation on objects).

At run time :func:`status` gives the compiled class if it was built from the sources as they
are now (a digest of them is stored in it), else the pure-Python ``FlowModel``: an edited source,
a mutation run or a machine without a C compiler all run the pure model. ``CLAUSE_SIM_PURE=1``
asks for the pure model (at run time, and at install time to skip the build).

This module imports only the standard library: the build loads it by path, before the package's
dependencies are installed.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.machinery
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

COMPONENTS = (
    "flow",
    "referrals",
    "intake",
    "preparation",
    "matching",
    "posts",
    "parcours",
    "recorder",
    "engine",
    "person",
)
"""The component modules, in the order of ``FlowModel``'s bases (its MRO): ``flow`` first; then
``person``, the record the components share."""

CLASSES = (
    "FlowModel",
    "Referrals",
    "Caseload",
    "Preparation",
    "Matching",
    "Posts",
    "Parcours",
    "Recorder",
    "Engine",
)
"""``FlowModel``'s MRO (without ``object``): the classes merged into one."""

LEFT_OUT = frozenset({"SimPyEngine", "_Call", "_dispatch", "_DISPATCH", "SIMPY_VERSION"})
"""Top-level names of the components that the compiled model does not need (the SimPy twin of
the engine, a reference for the tests)."""

DIGESTED = (*COMPONENTS, "states", "native")
"""Modules whose text the compiled model is valid for (``native``: the merge rules)."""

MODULE = "_native"
PURE_ENV = "CLAUSE_SIM_PURE"
NOT_BUILT = "pure Python (the compiled model is not built)"


def digest(folder: Path = HERE) -> str:
    """SHA-256 of the model's source files in ``folder`` (hex)."""
    h = hashlib.sha256()
    for name in DIGESTED:
        h.update(name.encode() + b"\0" + (folder / f"{name}.py").read_bytes() + b"\0")
    return h.hexdigest()


def _decorated(src: str, node: ast.AST, indent: str = "") -> str:
    """A definition's text with its decorators (``ast`` leaves them out of its segment)."""
    decos = getattr(node, "decorator_list", [])
    head = "".join(f"{indent}@{ast.get_source_segment(src, d)}\n" for d in decos)
    return head + (ast.get_source_segment(src, node, padded=bool(indent)) or "")


def merge(folder: Path = HERE) -> str:
    """The components of ``folder`` merged into one module defining one class ``FlowModel``.

    Imports are kept (but those between components), then each component's top-level
    definitions in turn, then the class: the class-level annotations of every component and, for
    each method name, the first definition along the MRO, as Python would resolve it. Raises
    ``ValueError`` where the merge would change what runs: a top-level name bound to different
    things in two components (defined in both, defined in one and imported in another, imported
    from two places), an import between components under another name, a method calling
    ``super()``.
    """
    component_imports = {f".{m}" for m in COMPONENTS}
    imports: list[str] = []
    top: list[str] = []
    top_names: dict[str, str] = {}  # name -> the module defining it
    imported: dict[str, tuple[str, str]] = {}  # name -> (what it imports, the module importing)
    notes: list[str] = []  # class-level annotations
    declared: set[str] = set()
    methods: dict[str, str] = {}
    classes: dict[str, tuple[str, ast.ClassDef]] = {}
    for module in reversed(COMPONENTS):  # definitions before their use: engine first
        src = (folder / f"{module}.py").read_text(encoding="utf-8")
        for node in ast.parse(src).body:
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                continue
            if isinstance(node, ast.Import | ast.ImportFrom):
                rel = "." * getattr(node, "level", 0) + (getattr(node, "module", None) or "")
                if rel in component_imports:  # the name is the component's own definition
                    if any(a.asname not in (None, a.name) for a in node.names):
                        raise ValueError(f"{module} renames an import from {rel}")
                    continue
                for alias in node.names:
                    name = alias.asname or alias.name.split(".")[0]
                    source = (
                        f"{rel}:{alias.name}" if isinstance(node, ast.ImportFrom) else alias.name
                    )
                    if name in top_names:
                        raise ValueError(
                            f"{name} defined in {top_names[name]} and imported in {module}"
                        )
                    seen = imported.setdefault(name, (source, module))
                    if seen[0] != source:
                        first = f"{seen[0]} in {seen[1]}"
                        raise ValueError(
                            f"{name} imported from {first} and from {source} in {module}"
                        )
                text = _decorated(src, node)
                if text not in imports:
                    imports.append(text)
                continue
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue  # docstrings
            if isinstance(node, ast.ClassDef) and node.name in CLASSES:
                classes[node.name] = (src, node)
                continue
            names = _defined(node)
            if names & LEFT_OUT:
                continue
            for name in names:
                if name in top_names:
                    raise ValueError(f"{name} defined in {top_names[name]} and {module}")
                if name in imported:
                    raise ValueError(
                        f"{name} imported in {imported[name][1]} and defined in {module}"
                    )
                top_names[name] = module
            top.append(_decorated(src, node))
    for cls in CLASSES:  # the MRO: the first definition of a name wins
        src, node = classes[cls]
        for item in node.body:
            if isinstance(item, ast.FunctionDef):
                if "super" in {n.id for n in ast.walk(item) if isinstance(n, ast.Name)}:
                    raise ValueError(f"{cls}.{item.name} calls super()")
                methods.setdefault(item.name, _decorated(src, item, "    "))
            elif (
                isinstance(item, ast.AnnAssign)
                and isinstance(item.target, ast.Name)
                and item.target.id not in declared
            ):
                declared.add(item.target.id)
                notes.append("    " + (ast.get_source_segment(src, item) or ""))
    return "\n\n".join(
        [
            '"""The flow model as one class, merged from its components by sim/model/native.py'
            ' (generated at install; do not edit)."""',
            "from __future__ import annotations",
            "\n".join(imports),
            *top,
            "\n".join(["class FlowModel:", *notes, *methods.values()]),
            f'SOURCE_DIGEST = "{digest(folder)}"',
        ]
    )


def _defined(node: ast.stmt) -> set[str]:
    """Top-level names a statement defines."""
    if isinstance(node, ast.FunctionDef | ast.ClassDef):
        return {node.name}
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign):
        targets = [node.target]
    names: set[str] = set()
    for t in targets:
        names |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def is_compiled(module: Any) -> bool:
    """Whether ``module`` was loaded from a C extension."""
    file = str(getattr(module, "__file__", "") or "")
    return file.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))


def status(
    folder: Path = HERE, load: Callable[[str], Any] = importlib.import_module
) -> tuple[Any, str]:
    """The compiled ``FlowModel`` class (or ``None``) and why, in a few words. ``load`` imports
    the compiled module by name."""
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        return None, f"pure Python ({PURE_ENV} is set)"
    try:
        mod = load(f"{__package__}.{MODULE}")
    except ImportError:
        return None, NOT_BUILT
    if not is_compiled(mod):
        return None, NOT_BUILT
    if getattr(mod, "SOURCE_DIGEST", None) != digest(folder):
        return None, "pure Python (the model's sources changed since the compiled model was built)"
    return mod.FlowModel, "compiled"
