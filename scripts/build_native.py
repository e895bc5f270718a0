"""Build the compiled flow model (``sim.model._native``, see sim/model/native.py).

Run by ``pip install`` (a hatchling build hook, ``[tool.hatch.build.hooks.custom]`` in
pyproject.toml): a wheel carries the compiled model; an editable install (``pip install -e``)
puts it beside the sources. If it cannot be built (no C compiler, say), the install goes on and
the pure-Python model runs; ``CLAUSE_SIM_PURE=1`` skips the build. By hand, after editing the
model in an editable install::

    python scripts/build_native.py          # build it in place, beside the sources

The merged module is type-checked and compiled in a scratch folder (with a copy of the package,
for the types), so nothing is written in the source tree but the compiled files of an editable
install.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FP_FLAGS = ("-ffp-contract=off", "-fno-fast-math")
"""C floating point exactly as the interpreter's: no fused multiply-add (``a * b + c`` rounded
once, which GCC emits by default wherever the CPU has it: ARM, or ``-march=native`` on x86) and
no fast-math, so that the compiled model's results stay bit-identical to the pure model's."""
MYPY_INI = """[mypy]
ignore_missing_imports = True
follow_imports = silent
"""


def _native(root: Path) -> ModuleType:
    """sim/model/native.py, loaded by path (the package's dependencies may not be installed)."""
    spec = importlib.util.spec_from_file_location(
        "_clause_sim_native", root / "sim/model/native.py"
    )
    if spec is None or spec.loader is None:
        raise ImportError("sim/model/native.py not found")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def build(root: Path, scratch: Path) -> list[tuple[Path, str]]:
    """Compile the merged model; the built files and their paths in the package."""
    native = _native(root)
    src = scratch / "src"
    shutil.copytree(root / "sim", src / "sim", ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    target = src / "sim" / "model" / f"{native.MODULE}.py"
    target.write_text(native.merge(root / "sim" / "model"), encoding="utf-8")
    (src / "mypy.ini").write_text(MYPY_INI, encoding="utf-8")
    out = scratch / "lib"
    here = Path.cwd()
    os.chdir(src)  # mypyc names the module from its path
    try:
        from mypyc.build import mypycify
        from setuptools import Distribution

        exts = mypycify([f"sim/model/{native.MODULE}.py"], opt_level="3", target_dir="build")
        for ext in exts:  # after the compiler's and the user's flags: these win
            ext.extra_compile_args = [*(ext.extra_compile_args or []), *FP_FLAGS]
        dist = Distribution({"name": "clause-sim-native", "ext_modules": exts})
        cmd: Any = dist.get_command_obj("build_ext")
        cmd.build_lib = str(out)
        cmd.build_temp = str(scratch / "tmp")
        cmd.ensure_finalized()
        cmd.run()
    finally:
        os.chdir(here)
    built = sorted(p for p in out.rglob("*") if p.is_file())
    if not built:
        raise RuntimeError("mypyc built nothing")
    return [(p, p.relative_to(out).as_posix()) for p in built]


def build_in_place(root: Path = ROOT) -> list[Path]:
    """Build the compiled model and put it beside the sources (an editable install)."""
    with tempfile.TemporaryDirectory(prefix="clause-sim-native-") as tmp:
        placed = []
        for path, rel in build(root, Path(tmp)):
            dest = root / rel
            shutil.copy2(path, dest)
            placed.append(dest)
        return placed


try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # run by hand, outside a build
    BuildHookInterface = object  # type: ignore[misc,assignment,unused-ignore]


class NativeModelHook(BuildHookInterface):  # type: ignore[misc,valid-type,unused-ignore]
    """Hatchling build hook: the compiled model in the wheel (or beside an editable install's
    sources); a warning, and the pure model, if it cannot be built."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if os.environ.get("CLAUSE_SIM_PURE", "") not in ("", "0"):
            return
        root = Path(self.root)
        try:
            if version == "editable":
                build_in_place(root)
                return
            self._scratch = tempfile.TemporaryDirectory(prefix="clause-sim-native-")
            for path, rel in build(root, Path(self._scratch.name)):
                build_data["force_include"][str(path)] = rel
        except Exception as e:  # the pure model still runs
            self.app.display_warning(
                f"clause-sim: the compiled model was not built ({type(e).__name__}: {e}); "
                "the pure-Python model will run"
            )
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        scratch = getattr(self, "_scratch", None)
        if scratch is not None:
            scratch.cleanup()


if __name__ == "__main__":
    for p in build_in_place():
        print(p.relative_to(ROOT))
    sys.exit(0)
