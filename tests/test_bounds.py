"""Domain bounds: every numeric scenario key has one, each is enforced with its reason, and the
absurd values of the fuzzing report are refused before any work."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sim import scenario as sc
from sim.errors import ScenarioError
from sim.presentation import i18n

ROOT = Path(__file__).resolve().parent.parent


def _leaves(table: sc.Table, prefix: str = ""):
    for name, key in table.keys.items():
        path = f"{prefix}.{name}" if prefix else name
        check = key.check
        if isinstance(check, sc.Table):
            yield from _leaves(check, path)
        elif isinstance(check, sc.TableArray):
            yield from _leaves(check.table, f"{path}[]")
        else:
            yield path, key


def test_every_numeric_key_has_a_bound():
    numeric = [p for p, k in _leaves(sc.SCHEMA) if getattr(k.check, "numeric", False)]
    assert len(numeric) > 20  # the walk found the schema's numbers
    missing = [p for p in numeric if p not in sc.BOUNDS]
    assert not missing, f"numeric keys without a domain bound in scenario.BOUNDS: {missing}"
    unknown = [p for p in sc.BOUNDS if p not in dict(_leaves(sc.SCHEMA))]
    assert not unknown, f"bounds of keys the schema does not have: {unknown}"


def _key(path: str) -> sc.Key:
    return dict(_leaves(sc.SCHEMA))[path]


def _too_big(path: str) -> tuple[str, str]:
    """An override of ``path`` ten times over its bound (set path, TOML value)."""
    bound = sc.BOUNDS[path]
    x = bound.high * 10
    x_text = str(int(x)) if float(x).is_integer() else repr(x)
    target = path.replace("[]", "[0]")
    default = _key(path).default
    if isinstance(default, dict) and "dist" in default:
        return target, f'{{dist = "fixed", value = {x_text}}}'
    if isinstance(default, dict):  # a table of named values: set one entry
        first, value = next(iter(default.items()))
        if isinstance(value, dict):  # a table of distributions
            return f"{target}.{first}", f'{{dist = "fixed", value = {x_text}}}'
        return f"{target}.{first}", x_text
    if path.rsplit(".", 1)[-1].startswith("yearly_"):  # a list of years
        return target, f"[{x_text}]"
    return target, x_text


@pytest.mark.parametrize("path", sorted(sc.BOUNDS))
def test_each_bound_is_enforced_with_its_reason_in_both_languages(path):
    target, value = _too_big(path)
    with pytest.raises(ScenarioError) as info:
        sc.load(None, [f"{target}={value}"])
    bound = sc.BOUNDS[path]
    msg = str(info.value)
    assert info.value.key.startswith(target.split(".")[0])
    limit = f"{bound.high:,g}" if bound.grouped else f"{bound.high:g}"  # not "2,150" for a year
    assert f"at most {limit}" in msg and bound.why in msg, msg
    # the French page shows the same refusal in French: limit, unit and reason included
    fr = i18n.scenario_message(info.value.message, "fr")
    assert fr.startswith("doit valoir au plus "), fr
    assert fr.endswith(f" (depuis --set {target})"), fr
    assert bound.why not in fr and "got" not in fr, fr
    said = fr.rsplit(" (depuis --set", 1)[0]  # the key's name stays as it is
    english = r"\b(days?|years?|people|dwellings?|posts?|week|hours?|most|least)\b"
    assert not re.findall(english, said), fr


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ("clause.hourly_cost_eur=1e-300", "at least 5 EUR an hour"),
        ("clause.hourly_cost_eur=4.99", "at least 5 EUR an hour"),
        ("clause.fte_hours=1e-300", "at least 1,000 h"),
        ("clause.fte_hours=2501", "at most 2,500 h"),
        ("works[0].cost_per_dwelling_eur=1e30", "at most 2e+06 EUR"),
        ("works[0].dwellings=1e15", "dwellings"),
        ("flow.referrals.per_year=1e300", "at most 100,000 people a year"),
        ("flow.referrals.per_year=1e9", "at most 100,000 people a year"),
        ("flow.run_out_years=1e15", "run_out_years"),
        ("flow.run_out_years=5000", "at most 50 years"),
        (
            "scenario.horizon_years=60 && flow.run_out_years=41",
            "horizon_years + run_out_years must be at most 100",
        ),
        ("flow.missions.min_hours=0.001", "at least 1 h"),
        ('flow.missions.hours={dist = "fixed", value = 0.001}', "below min_hours"),
        (
            'flow.missions.hours={dist = "empirical", values = [900, 1000], weights = [1e308, 1]}',
            "weights are relative",
        ),
        ('flow.missions.weekly_hours={dist = "uniform", low = 0.01, high = 1}', "at least 1 h"),
        ("scenario.start_year=10", "at least 1950 (a calendar year), got 10"),
    ],
)
def test_absurd_values_of_the_report_are_refused(override, words):
    with pytest.raises(ScenarioError) as info:
        sc.load(None, override.split(" && "))
    assert words in str(info.value), str(info.value)


def test_a_reference_scenario_and_the_lognormal_sd_are_within_bounds():
    # sd is not a location: a small sd is fine even where values must be at least 1 h a week
    s = sc.load(None, ['flow.missions.weekly_hours={dist = "lognormal", mean = 30, sd = 0.5}'])
    assert s.flow.missions.weekly_hours.params["sd"] == 0.5
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        sc.load(path)


@pytest.mark.parametrize(
    "args",
    [
        ["run", "-n", "1000000000000"],
        ["run", "-n", "1" + "0" * 400],
        ["run", "--bottleneck-replications", "1000000000"],
        ["size", "--resource", "facilitators", "--target", "lapsed_share<=0.1", "-n", "10**9"],
        ["size", "--resource", "facilitators", "--target", "lapsed_share<=0.1", "--step", "1e-300"],
        [
            "size",
            "--resource",
            "facilitators",
            "--target",
            "lapsed_share<=0.1",
            "--max-level",
            "1e308",
        ],
        ["size", "--resource", "facilitators", "--target", "lapsed_share<=10%%"],
    ],
)
def test_absurd_command_line_sizes_are_one_line_errors(tmp_path, args):
    proc = subprocess.run(
        [sys.executable, "-m", "sim", *args, "-q", "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("clause-sim: error: "), proc.stderr
    assert not (tmp_path / "o").exists()


def test_bound_messages_are_finite_numbers():
    for path, bound in sc.BOUNDS.items():
        assert math.isfinite(bound.high), path
        assert bound.low is None or bound.low <= bound.high, path


@pytest.mark.parametrize(
    ("low", "given", "words"),
    [
        (1, 0, "must be at least 1 day (why), got 0"),
        (0, -1, "must be at least 0 day (why), got -1"),
        (2, 1, "must be at least 2 days (why), got 1"),
        (3, 2, "must be at least 3 days (why), got 2"),
    ],
)
def test_a_bound_names_its_unit_in_the_singular_after_0_or_1(low, given, words):
    bound = sc.Bound(low, 1000, "days", "why")
    with pytest.raises(ScenarioError) as info:
        bound.apply(given, sc._Where("f.toml", "k"))
    assert info.value.message == words
