"""Hostile input through the real command line, each call in a subprocess limited to 30 s of
CPU and 4 GiB of memory: the answer is a result (exit 0) or exactly one line
``clause-sim: error: ...`` (exit 2); never a traceback, a hang, a memory blow-up, a raw
terminal escape or a multi-line error.

Cases: the hand-written files of ``corpus/``, files made here (deep nesting, special files,
oversized files), absurd ``--set`` values and command-line sizes, and two ``hypothesis``
generators (scenario documents, ``--set`` values). A fast subset runs by default; everything
(more than 300 cases) with ``pytest -m fuzz tests/fuzz``.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "corpus"
FICHE = ROOT / "scenarios" / "erbm-fiche-2023.toml"
CPU_SECONDS = 30
MEMORY_BYTES = 4 * 1024**3
WALL_SECONDS = 60
RUN = ["-n", "2", "-j", "1", "--bottleneck-replications", "0", "-q"]
"""The fuzzing report's ``R``: ``clause-sim run -n 2 -j 1 --bottleneck-replications 0 -q``."""
CAL = ["--fit", "flow.facilitators.fte=1:5", "-n", "2", "-j", "1", "--out", "cal", "-q"]
SIZE = ["--resource", "facilitators", "--target", "lapsed_share<=0.5", "-n", "2", "-j", "1", "-q"]


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 1))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``clause-sim ARGS`` in a subprocess under the time and memory limits."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    env.pop("CLAUSE_SIM_DEBUG", None)
    try:
        return subprocess.run(
            [sys.executable, "-m", "sim", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            errors="backslashreplace",
            timeout=WALL_SECONDS,
            preexec_fn=_limits,
            stdin=subprocess.DEVNULL,
            env={**env, "PYTHONPATH": str(ROOT)},
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"hang: clause-sim {' '.join(args)[:300]} still running after {WALL_SECONDS} s")


def assert_clean(proc: subprocess.CompletedProcess[str], ok: tuple[int, ...] = (0,)) -> None:
    """A result, or exactly one error line; never a traceback, a crash or a raw escape."""
    what = f"clause-sim {' '.join(proc.args[3:])[:300]!r}"
    err = proc.stderr
    assert "Traceback" not in err, f"{what}: traceback\n{err[-3000:]}"
    assert "\x1b" not in proc.stdout + err, f"{what}: raw escape character on the terminal"
    assert "out of memory" not in err, f"{what}: ran into the memory limit"
    assert "internal error" not in err, f"{what}: {err}"
    if proc.returncode == 2:
        lines = err.splitlines()
        assert len(lines) == 1, f"{what}: {len(lines)} lines on stderr:\n{err[-3000:]}"
        assert lines[0].startswith("clause-sim: error: "), f"{what}: {err}"
    else:
        assert proc.returncode in ok, f"{what}: exit {proc.returncode}\n{err[-3000:]}"


# --------------------------------------------------------------------------------------------
# Cases


@dataclass(frozen=True)
class Case:
    """A command line; ``make(tmp)`` first writes its files; ``fast``: in the default run."""

    id: str
    args: tuple[str, ...]
    make: Callable[[Path], None] | None = None
    fast: bool = False
    ok: tuple[int, ...] = field(default=(0,))


def _write(name: str, text: str | bytes) -> Callable[[Path], None]:
    def make(tmp: Path) -> None:
        data = text.encode() if isinstance(text, str) else text
        (tmp / name).write_bytes(data)

    return make


def _fifo(name: str) -> Callable[[Path], None]:
    return lambda tmp: os.mkfifo(tmp / name)


def _symlink(name: str, to: str) -> Callable[[Path], None]:
    return lambda tmp: (tmp / name).symlink_to(to)


_GENERATED: dict[str, Callable[[Path], None]] = {
    "deep-array.toml": _write("deep-array.toml", "x = " + "[" * 1000 + "]" * 1000 + "\n"),
    "deep-inline.toml": _write("deep-inline.toml", "x = " + "{a=" * 1000 + "1" + "}" * 1000),
    "deep-header.toml": _write("deep-header.toml", "[" + ".".join(["a"] * 5000) + "]\n"),
    "deep-dotted.toml": _write("deep-dotted.toml", ".".join(["a"] * 50000) + " = 1\n"),
    "deep-array-of-tables.toml": _write(
        "deep-array-of-tables.toml", "".join(f"[[{'.'.join(['a'] * k)}]]\n" for k in range(1, 60))
    ),
    "big.toml": _write("big.toml", "# padding\n" * 300_000),
    "binary.toml": _write("binary.toml", bytes(range(256)) * 64),
    "fifo.toml": _fifo("fifo.toml"),
    "link-to-zero.toml": _symlink("link-to-zero.toml", "/dev/zero"),
    "folder.toml": lambda tmp: (tmp / "folder.toml").mkdir(),
    "dangling.toml": _symlink("dangling.toml", "/nonexistent/x.toml"),
}
_SPECIAL = ["/dev/zero", "/dev/urandom", "/dev/null", "/etc", "/nonexistent.toml"]


def _cases() -> list[Case]:
    cases: list[Case] = []
    fast_hours = {"deep-dotted.toml", "fifo.toml", "escape-in-names.toml", "huge-numbers.toml"}
    for f in sorted(CORPUS.glob("*.toml")):
        if f.name.startswith("sweep-"):
            cases.append(
                Case(
                    f"sweep:{f.name}",
                    ("sweep", str(f), "--out", "out", "-j", "1", "--no-figures", "-q"),
                    fast=f.name in ("sweep-sobol-2p30.toml", "sweep-formulas.toml"),
                )
            )
            continue
        cases.append(Case(f"hours:{f.name}", ("hours", str(f)), fast=f.name in fast_hours))
        cases.append(Case(f"run:{f.name}", ("run", str(f), *RUN, "--out", "out")))
        cases.append(Case(f"json:{f.name}", ("hours", "--json", str(f))))
    for name, make in _GENERATED.items():
        fast = name in fast_hours
        cases.append(Case(f"hours:{name}", ("hours", name), make, fast=fast))
        cases.append(Case(f"run:{name}", ("run", name, *RUN, "--out", "out"), make))
        cases.append(Case(f"sweep:{name}", ("sweep", name, "--out", "out", "-q"), make))
        cases.append(Case(f"size:{name}", ("size", name, *SIZE), make))
        cases.append(Case(f"calibrate:{name}", ("calibrate", "--observed", name, *CAL), make))
    for path in _SPECIAL:
        cases.append(Case(f"hours:{path}", ("hours", path), fast=path == "/dev/zero"))
        cases.append(Case(f"sweep:{path}", ("sweep", path, "--out", "out", "-q")))
        cases.append(Case(f"compare:{path}", ("compare", str(FICHE), path, *RUN[:-1], "-q")))
        cases.append(Case(f"calibrate:{path}", ("calibrate", "--observed", path, *CAL)))
    for i, ov in enumerate(ABSURD_SETS):
        cases.append(Case(f"run-set:{ov[:60]}", ("run", *RUN, "--out", "out", "--set", ov)))
        cases.append(Case(f"hours-set:{ov[:60]}", ("hours", "--set", ov), fast=i % 12 == 0))
    for i, args in enumerate(ABSURD_ARGS):
        ok = (0, 1) if args[0] == "size" else (0,)
        cases.append(Case(f"args:{' '.join(args)[:60]}", tuple(args), fast=i % 8 == 0, ok=ok))
    return cases


ABSURD_SETS = [
    "clause.hourly_cost_eur=1e-300",
    "works[0].cost_per_dwelling_eur=1e30",
    "clause.fte_hours=1e-300",
    "works[0].dwellings=1e15",
    "works[0].dwellings=" + "9" * 400,
    "works[0].dwellings=" + "9" * 5000,
    "flow.referrals.per_year=1e300",
    "flow.referrals.per_year=1e9",
    "flow.referrals.per_year=[1e9, 1, 1]",
    "flow.run_out_years=1e15",
    "flow.run_out_years=5000",
    'flow.missions.hours={dist = "fixed", value = 0.001}',
    "flow.missions.min_hours=0.001",
    'flow.missions.hours={dist = "empirical", values = [1, 2], weights = [1e308, 1e308]}',
    'flow.missions.weekly_hours={dist = "uniform", low = 1e-300, high = 1e-299}',
    'flow.facilitators.patience_days={dist = "exponential", mean = 1e300}',
    "flow.siae.posts.etti=1e12",
    "flow.facilitators.fte=1e300",
    "flow.facilitators.caseload_per_fte=1e-300",
    "flow.operations.dwellings_per_operation=1",
    "flow.operations.amount_per_operation_eur=1e-300",
    "scenario.horizon_years=100000000",
    "scenario.start_year=-999999999",
    "clause.insertion_rate=0.05\nhorizon_years = 99",
    "clause.insertion_rate=1e-320",
    "scenario.name=\x1b[31mred",
    'scenario.name="\\u001b[31mred\\nline"',
    "works[0].name=" + "[" * 500 + "]" * 500,
    "x" * 10000 + "=1",
    "works[99999999999999999999].dwellings=1",
    "works[0].\n=1",
    "=",
    "clause.hourly_cost_eur=nan",
    "clause.hourly_cost_eur=-inf",
    "flow.referrals.publics={rsa = 1e308, other = -1e308}",
]

ABSURD_ARGS = [
    ["run", "-n", "1000000000000", "-q", "--out", "o"],
    ["run", "-n", "1" + "0" * 400, "-q", "--out", "o"],
    ["run", "-n", "1" + "0" * 5000, "-q", "--out", "o"],
    ["run", "-n", "2", "-j", "1000000", "--bottleneck-replications", "0", "-q", "--out", "o"],
    ["run", "--seed", "1" + "0" * 400, "-n", "2", "-j", "1", "-q", "--out", "o"],
    ["run", "-n", "2", "-q", "--out", "o\nx", "--bottleneck-replications", "0", "-j", "1"],
    ["run", "-n", "2", "-q", "--out", "o\x1b[31m", "--bottleneck-replications", "0", "-j", "1"],
    ["run", "-n", "2", "-q", "--out", "/dev/null"],
    ["run", "-n", "2", "-q", "--out", "/proc/version/x"],
    ["run", "--max-work", "nan", "-q"],
    ["run", "--max-work", "1", "-q", "--out", "o"],
    ["size", *SIZE, "--max-level", "1e308"],
    ["size", *SIZE, "--step", "1e-300"],
    ["size", *SIZE, "--step", "1e-320"],
    ["size", *SIZE, "--step", "nan"],
    ["size", *SIZE, "--min-level", "-inf"],
    ["size", *SIZE, "-n", "1000000000000"],
    ["size", *SIZE, "--confidence", "nan"],
    ["size", "--resource", "facilitators", "--target", "lapsed_share<=10%%", "-q"],
    ["size", "--resource", "facilitators", "--target", "lapsed_share<=0.1\nx", "-q"],
    ["size", "--resource", "facili\ntators", "--target", "lapsed_share<=0.1", "-q"],
    ["size", "--resource", "facilitators", "--target", "\x1b[31m<=1", "-q"],
    ["size", *SIZE, "--out", "/dev/null"],
    ["sweep", "/nonexistent\n.toml"],
    ["sweep", str(FICHE)],
    ["sweep", str(CORPUS / "sweep-formulas.toml"), "--scheduler", "not a url", "--out", "o"],
    ["sweep", str(CORPUS / "sweep-formulas.toml"), "--scheduler", "/etc/hostname", "--out", "o"],
    ["sweep", str(CORPUS / "sweep-formulas.toml"), "--scheduler", "tcp://[::1", "--out", "o"],
    ["sweep", str(CORPUS / "sweep-formulas.toml"), "--resume", "--out", "/etc"],
    ["compare", str(FICHE), "-q"],
    ["compare", str(FICHE), str(FICHE), "-n", "1000000000", "-q"],
    ["hours", "--set", "clause.insertion_rate"],
    ["hours", str(FICHE), str(FICHE)],
    ["nonsense-command"],
]

CASES = _cases()


def _run_case(case: Case, tmp: Path) -> None:
    if case.make is not None:
        case.make(tmp)
    assert_clean(cli(list(case.args), tmp), case.ok)


@pytest.mark.parametrize("case", [c for c in CASES if c.fast], ids=lambda c: c.id)
def test_fast_hostile_inputs(case: Case, tmp_path: Path) -> None:
    _run_case(case, tmp_path)


@pytest.mark.fuzz
@pytest.mark.parametrize("case", [c for c in CASES if not c.fast], ids=lambda c: c.id)
def test_hostile_inputs(case: Case, tmp_path: Path) -> None:
    _run_case(case, tmp_path)


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) + FUZZ_DOCS + FUZZ_SETS >= 300


def test_points_csv_that_is_not_utf8_is_one_line_on_resume(tmp_path: Path) -> None:
    sweep = CORPUS / "sweep-formulas.toml"
    first = cli(["sweep", str(sweep), "--out", "out", "-j", "1", "--no-figures", "-q"], tmp_path)
    assert_clean(first)
    (tmp_path / "out" / "points.csv").write_bytes(b"point,\xff\xfe\n1,2\n")
    again = cli(["sweep", str(sweep), "--out", "out", "--resume", "-q"], tmp_path)
    assert again.returncode == 2
    assert_clean(again)
    assert "not UTF-8" in again.stderr


# --------------------------------------------------------------------------------------------
# Generated: scenario documents and --set values


def _paths(table: Any, prefix: str = "") -> list[str]:
    from sim import scenario as sc

    out: list[str] = []
    for name, key in table.keys.items():
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(key.check, sc.Table):
            out += _paths(key.check, path)
        elif isinstance(key.check, sc.TableArray):
            out += _paths(key.check.table, f"{path}[0]")
        else:
            out.append(path)
    return out


def _schema_paths() -> list[str]:
    from sim import scenario as sc

    return _paths(sc.SCHEMA)


_NUMBERS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 1e-300, 1e308, 2**53 + 1, 10**400, 1e-320, 0.5]),
)
_TEXT = st.text(max_size=20)
_LEAF = st.one_of(_NUMBERS, _TEXT, st.booleans())
_VALUE = st.recursive(
    _LEAF,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_TEXT, inner, max_size=3)),
    max_leaves=8,
)


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    node: Any = doc
    parts = path.replace("[0]", ".0").split(".")
    for part in parts[:-1]:
        if part == "0":
            if not isinstance(node, list) or not node:
                return
            node = node[0]
            continue
        if not isinstance(node, dict):
            return
        node = node.setdefault(part, {})
    if isinstance(node, dict):
        node[parts[-1]] = value


@st.composite
def scenario_docs(draw: st.DrawFn) -> str:
    """The fiche with one to four keys set to hostile values (or unknown keys added)."""
    doc = tomllib.loads(FICHE.read_text(encoding="utf-8"))
    paths = _schema_paths()
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.one_of(st.sampled_from(paths), _TEXT.map(lambda t: f"flow.{t}")))
        _set(doc, path, draw(_VALUE))
    try:
        return tomli_w.dumps(doc)
    except (TypeError, ValueError):  # a value TOML cannot hold: the plain fiche then
        return FICHE.read_text(encoding="utf-8")


@st.composite
def set_values(draw: st.DrawFn) -> str:
    """A --set KEY=VALUE: a schema key (or junk) and a TOML value (or raw text)."""
    key = draw(st.one_of(st.sampled_from(_schema_paths()), _TEXT))
    if draw(st.booleans()):
        from sim.scenario import toml_value

        try:
            value = toml_value(draw(_VALUE))
        except (TypeError, ValueError):
            value = "1"
    else:
        value = draw(_TEXT)
    return f"{key}={value}"


FUZZ_DOCS = 80
FUZZ_SETS = 80
_SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}


def _fuzz_doc(text: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if "\x00" in text:
            return
        (tmp / "s.toml").write_text(text, encoding="utf-8", errors="surrogatepass")
        assert_clean(cli(["run", "s.toml", *RUN, "--out", "out"], tmp))


def _fuzz_set(override: str) -> None:
    if "\x00" in override:  # not passable as a process argument
        return
    with tempfile.TemporaryDirectory() as d:
        assert_clean(cli(["hours", "--set", override], Path(d)))


@settings(max_examples=2, **_SETTINGS)
@given(scenario_docs())
def test_fast_generated_scenarios(text: str) -> None:
    _fuzz_doc(text)


@settings(max_examples=2, **_SETTINGS)
@given(set_values())
def test_fast_generated_set_values(override: str) -> None:
    _fuzz_set(override)


@pytest.mark.fuzz
@settings(max_examples=FUZZ_DOCS, **_SETTINGS)
@given(scenario_docs())
def test_generated_scenarios(text: str) -> None:
    _fuzz_doc(text)


@pytest.mark.fuzz
@settings(max_examples=FUZZ_SETS, **_SETTINGS)
@given(set_values())
def test_generated_set_values(override: str) -> None:
    _fuzz_set(override)
