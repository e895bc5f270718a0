"""The compiled twin of the flow model (sim/model/native.py): merged as Python resolves the
mixins, used only when built from the current sources, and bit-identical to the pure model."""

from __future__ import annotations

import ast
import dataclasses
import importlib.machinery
import importlib.util
import inspect
import os
import shutil
import sys
import textwrap
import types
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import sim.model as model
from sim.model import FlowModel, native
from sim.model.engine import collector_paused
from sim.scenario import load
from sim.streams import replication_seed

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))


def compiled_or_skip() -> type:
    """The compiled class; in CI (env CI) its absence is a failure, elsewhere a skip."""
    cls, why = native.status()
    if cls is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but the flow model runs as {why}")
        pytest.skip(why)
    return cls


def merged_class(text: str) -> dict[str, str]:
    """Method name -> dedented source of the merged module's one class ``FlowModel``."""
    tree = ast.parse(text)
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    cls = next(c for c in classes if c.name == "FlowModel")
    return {
        f.name: textwrap.dedent(ast.get_source_segment(text, f, padded=True) or "")
        for f in cls.body
        if isinstance(f, ast.FunctionDef)
    }


def test_merge_takes_each_method_as_python_resolves_it() -> None:
    methods = merged_class(native.merge())
    expected = {
        name: fn
        for klass in reversed(FlowModel.__mro__[:-1])
        for name, fn in vars(klass).items()
        if inspect.isfunction(fn)
    }  # later (nearer) classes overwrite: Python's resolution
    assert set(methods) == set(expected)
    for name, fn in expected.items():
        assert methods[name].rstrip() == textwrap.dedent(inspect.getsource(fn)).rstrip(), name
    # the MRO's first definition of __init__ is the model's, not the engine's
    assert "self.init_engine(self.T, " in methods["__init__"]


def test_merge_keeps_every_top_level_definition_once() -> None:
    text = native.merge()
    tree = ast.parse(text)
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)]
    assert names.count("FlowModel") == 1
    for name in ("Level", "group_mean_p90", "caseload_slots", "run_out_factors", "arrivals"):
        assert names.count(name) == 1, name
    assert "SimPyEngine" not in names  # the tests' SimPy twin stays out
    assert "from .intake import" not in text and "from .engine import" not in text
    assert text.rstrip().endswith(f'SOURCE_DIGEST = "{native.digest()}"')
    compile(text, "merged", "exec")


def merged_module() -> object:
    """The merged module run as plain Python, as a module of ``sim.model`` (not compiled)."""
    spec = importlib.util.spec_from_loader("sim.model._merged_for_test", loader=None)
    assert spec is not None
    mod = importlib.util.module_from_spec(spec)
    mod.__package__ = "sim.model"
    exec(compile(native.merge(), "<merged>", "exec"), mod.__dict__)
    return mod


def test_the_merged_module_runs_as_the_model_does() -> None:
    cls = merged_module().FlowModel  # type: ignore[attr-defined]
    sc = load(ROOT / "scenarios" / "erbm-fiche-2023.toml")
    for seed in (0, 7):
        with collector_paused():
            pure = fields(FlowModel(sc, replication_seed(seed, 1)).simulate())
            merged = fields(cls(sc, replication_seed(seed, 1)).simulate())
        assert_identical(pure, merged, seed)


def test_the_merged_class_declares_every_components_attributes() -> None:
    """mypyc needs the class-level declarations: the first of each name along the MRO."""
    text = native.merge()
    cls = next(
        n for n in ast.parse(text).body if isinstance(n, ast.ClassDef) and n.name == "FlowModel"
    )
    declared = [
        (ast.unparse(a.target), ast.unparse(a.annotation))
        for a in cls.body
        if isinstance(a, ast.AnnAssign)
    ]
    expected: dict[str, str] = {}
    for klass in FlowModel.__mro__[:-1]:
        tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        for a in tree.body[0].body:  # type: ignore[attr-defined]
            if isinstance(a, ast.AnnAssign):
                expected.setdefault(ast.unparse(a.target), ast.unparse(a.annotation))
    assert expected  # the components do declare some (capacity, slots, ...)
    assert dict(declared) == expected and len(declared) == len(expected)


def copy_model(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(Path(native.__file__).parent, folder, ignore=shutil.ignore_patterns("*.so"))
    return folder


def refusal(folder: Path, edits: dict[str, Callable[[str], str]]) -> str:
    """Why ``merge()`` refuses ``folder`` with each named component's text edited (restored
    after)."""
    saved = {name: (folder / f"{name}.py").read_text() for name in edits}
    try:
        for name, edit in edits.items():
            (folder / f"{name}.py").write_text(edit(saved[name]))
        with pytest.raises(ValueError) as refused:
            native.merge(folder)
        return str(refused.value)
    finally:
        for name, text in saved.items():
            (folder / f"{name}.py").write_text(text)


def define_floor(text: str) -> str:
    return text + "\n\ndef floor(x: float) -> int:\n    return round(x)\n"


def import_floor(text: str, source: str = "from math import floor") -> str:
    return text.replace(
        "from __future__ import annotations\n", f"from __future__ import annotations\n{source}\n", 1
    )


def test_merge_refuses_what_would_change_what_runs(tmp_path: Path) -> None:
    folder = copy_model(tmp_path)
    why = refusal(folder, {"posts": lambda t: t + "\n\ndef caseload_slots() -> None:\n    pass\n"})
    assert why == "caseload_slots defined in posts and intake"
    why = refusal(
        folder,
        {"posts": lambda t: t.replace("self.busy[m] = self.busy[m] + share", "super().x()", 1)},
    )
    assert why == "Posts.take_post calls super()"
    # a name bound to different things in two components: each module saw its own
    why = refusal(folder, {"posts": define_floor, "intake": import_floor})
    assert why == "floor defined in posts and imported in intake"
    why = refusal(folder, {"recorder": import_floor, "intake": define_floor})  # recorder first
    assert why == "floor imported in recorder and defined in intake"
    why = refusal(
        folder,
        {"posts": lambda t: import_floor(t, "from numpy import floor"), "intake": import_floor},
    )
    assert why == "floor imported from numpy:floor in posts and from math:floor in intake"
    why = refusal(
        folder, {"parcours": lambda t: import_floor(t, "from .intake import caseload_slots as s")}
    )
    assert why == "parcours renames an import from .intake"
    native.merge(folder)  # as it was: merges


def test_digest_covers_every_source_of_the_model(tmp_path: Path) -> None:
    folder = copy_model(tmp_path)
    before = native.digest(folder)
    assert before == native.digest()
    for name in native.DIGESTED:
        f = folder / f"{name}.py"
        text = f.read_text()
        f.write_text(text + "\n")
        assert native.digest(folder) != before, name
        f.write_text(text)
    assert native.digest(folder) == before


def test_the_pure_model_runs_when_asked_or_when_sources_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled_or_skip()
    folder = copy_model(tmp_path)
    f = folder / "matching.py"
    f.write_text(f.read_text() + "\n")
    cls, why = native.status(folder)
    assert cls is None and "changed" in why
    monkeypatch.setenv(native.PURE_ENV, "1")
    cls, why = native.status()
    assert cls is None and native.PURE_ENV in why
    monkeypatch.setenv(native.PURE_ENV, "0")
    assert native.status()[1] == "compiled"


def test_status_says_which_model_runs_and_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every branch, with a stand-in for the compiled module (no compiler needed)."""
    monkeypatch.delenv(native.PURE_ENV, raising=False)
    folder = copy_model(tmp_path)
    so = f"/x/_native{importlib.machinery.EXTENSION_SUFFIXES[0]}"
    fake = types.SimpleNamespace(__file__=so, SOURCE_DIGEST=native.digest(folder), FlowModel=int)
    assert native.status(folder, lambda name: fake) == (int, "compiled")
    asked: list[str] = []
    native.status(folder, lambda name: asked.append(name) or fake)
    assert asked == ["sim.model._native"]

    fake.SOURCE_DIGEST = "0" * 64
    cls, why = native.status(folder, lambda name: fake)
    assert cls is None and "sources changed" in why
    del fake.SOURCE_DIGEST
    assert native.status(folder, lambda name: fake)[0] is None

    fake.SOURCE_DIGEST = native.digest(folder)
    fake.__file__ = "/x/_native.py"  # the merged module as plain Python: not compiled
    assert native.status(folder, lambda name: fake) == (None, native.NOT_BUILT)
    fake.__file__ = so

    def missing(name: str) -> object:
        raise ImportError(name)

    assert native.status(folder, missing) == (None, native.NOT_BUILT)
    for value, pure in (("1", True), ("yes", True), ("0", False), ("", False)):
        monkeypatch.setenv(native.PURE_ENV, value)
        cls, why = native.status(folder, lambda name: fake)
        assert (cls is None) == pure, value
        assert (native.PURE_ENV in why) == pure


def test_is_compiled_reads_the_modules_file() -> None:
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    assert native.is_compiled(types.SimpleNamespace(__file__=f"/a/b{suffix}"))
    assert not native.is_compiled(types.SimpleNamespace(__file__="/a/b.py"))
    assert not native.is_compiled(types.SimpleNamespace(__file__=None))
    assert not native.is_compiled(types.SimpleNamespace())


def test_simulate_runs_the_compiled_model_when_built() -> None:
    cls = compiled_or_skip()
    assert model.COMPILED is cls and model.MODEL_STATUS == "compiled"
    assert native.is_compiled(inspect.getmodule(cls))


def test_a_compiled_person_record_is_three_cache_lines() -> None:
    """192 bytes with the collector's header (sim/model/person.py): the allocator then starts
    each record's reference count on a cache line, with the fields read by most calls."""
    cls = compiled_or_skip()
    person = inspect.getmodule(cls).Person  # type: ignore[union-attr]
    assert sys.getsizeof(person()) == 192


def fields(run: object) -> dict[str, object]:
    out: dict[str, object] = {}
    for f in dataclasses.fields(run):  # type: ignore[arg-type]
        v = getattr(run, f.name)
        if hasattr(v, "items"):
            out.update({f"{f.name}.{k}": x for k, x in v.items()})
        else:
            out[f.name] = v
    return out


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_compiled_and_pure_models_are_bit_identical(path: Path) -> None:
    cls = compiled_or_skip()
    sc = load(path)
    for seed in range(6):
        with collector_paused():
            pure = fields(FlowModel(sc, replication_seed(seed, 2)).simulate())
            fast = fields(cls(sc, replication_seed(seed, 2)).simulate())
        assert_identical(pure, fast, seed)


def assert_identical(pure: dict[str, object], other: dict[str, object], seed: int) -> None:
    assert pure.keys() == other.keys()
    for k, a in pure.items():
        b = other[k]
        if isinstance(a, np.ndarray | list | float | int):
            x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
            assert x.shape == y.shape and np.array_equal(x, y, equal_nan=True), (seed, k)
        else:
            assert repr(a) == repr(b), (seed, k)


def test_components_do_not_augment_list_items_in_place() -> None:
    """``a[i] += x`` compiles to a generic operation on Python objects in the compiled model
    (about a twentieth of its loop when it was everywhere); the model's methods write
    ``a[i] = a[i] + x``."""
    for module in native.COMPONENTS:
        tree = ast.parse((native.HERE / f"{module}.py").read_text(encoding="utf-8"))
        found = [
            node.lineno
            for cls in tree.body
            if isinstance(cls, ast.ClassDef) and cls.name in native.CLASSES
            for node in ast.walk(cls)
            if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Subscript)
        ]
        assert not found, f"{module}.py lines {found}"
