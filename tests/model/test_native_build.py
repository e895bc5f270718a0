"""The compiled model's build (scripts/build_native.py): floating point as the interpreter's."""

from __future__ import annotations

import importlib.util
import os
import platform
import re
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUSED = re.compile(r"\bvfn?m(add|sub)\d{3}[sp][sd]\b")
"""x86 fused multiply-add instructions (vfmadd231sd, vfnmsub132pd...)."""


def build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_native", ROOT / "scripts/build_native.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_no_fused_multiply_add_even_for_a_cpu_that_has_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built for a CPU with FMA (-march=haswell), GCC would fuse ``a * b + c`` (in the
    parcours' fit of a mission, the caseload's slots...) and round once, not twice: the compiled
    model's results would then differ from the pure model's. The build turns that off."""
    if platform.machine() not in ("x86_64", "AMD64"):
        pytest.skip("looks for x86 instructions")
    objdump, cc = shutil.which("objdump"), shutil.which("gcc")
    if objdump is None or cc is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but gcc or objdump is missing")
        pytest.skip("needs gcc and objdump")
    monkeypatch.setenv("CFLAGS", "-march=haswell")
    built = build_script().build(ROOT, tmp_path)
    libraries = [p for p, _rel in built if p.suffix == ".so"]
    assert libraries
    code = "".join(
        subprocess.run(
            [objdump, "-d", "--no-show-raw-insn", str(p)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for p in libraries
    )
    assert "vmovsd" in code or "vaddsd" in code  # AVX code: the CPU flag took effect
    assert not FUSED.findall(code)
