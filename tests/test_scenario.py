"""sim.scenario: reading, overriding and validating scenario files."""

from __future__ import annotations

import math
import pickle
import tomllib

import pytest
from conftest import FICHE, SCENARIOS

from sim import scenario as sc
from sim.errors import ScenarioError

SHIPPED = sorted(SCENARIOS.glob("*.toml"))


# --------------------------------------------------------------------------------------------
# Shipped scenarios


def test_four_shipped_scenarios():
    assert [p.name for p in SHIPPED] == [
        "erbm-30000-climat-resilience.toml",
        "erbm-actual-2017.toml",
        "erbm-fiche-2023.toml",
        "erbm-observed-ramp.toml",
    ]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenario_loads(path):
    s = sc.load(path)
    assert s.source == str(path)
    first = 2017 if path.stem == "erbm-actual-2017" else 2018  # the ERBM as it unfolded
    assert s.years == tuple(range(first, 2028))
    assert len(s.works) == 1
    assert s.clause.fte_hours == 1820
    assert s.works[0].method == "labour_share"


def test_fiche_scenario_values():
    s = sc.load(FICHE)
    assert s.clause == sc.Clause(
        method="labour_share",
        insertion_rate=0.05,
        hourly_cost_eur=28.0,
        rounding="floor_per_dwelling",
        fte_hours=1820,
        labour_share=None,
        hours_per_eur=None,
        hours_per_dwelling=None,
    )
    w = s.works[0]
    assert (w.dwellings, w.cost_per_dwelling_eur, w.labour_share) == (23000, 80000, 0.40)
    assert (w.profile, w.yearly_dwellings, w.amount_eur) == ("uniform", None, None)
    # Clause keys a works line does not give come from [clause].
    assert (w.insertion_rate, w.hourly_cost_eur) == (0.05, 28.0)


def test_observed_ramp_is_custom_and_sums():
    s = sc.load(SCENARIOS / "erbm-observed-ramp.toml")
    w = s.works[0]
    assert w.profile == "custom"
    assert w.yearly_dwellings == (600, 1100, 1300, 1800, 2200, 1300, 1200, 1250, 1250, 1250)
    assert w.dwellings == 13250


def test_default_scenario_is_the_fiche():
    assert sc.default_scenario_path().read_bytes() == FICHE.read_bytes()
    assert sc.load().raw == sc.load(FICHE).raw


# --------------------------------------------------------------------------------------------
# Works lines: merging with [clause], profiles, amounts


def test_works_line_overrides_clause_keys(raw_scenario):
    raw = raw_scenario(
        [
            {
                "dwellings": 10,
                "cost_per_dwelling_eur": 1000.0,
                "insertion_rate": 0.10,
                "hourly_cost_eur": 25.0,
            },
            {"dwellings": 10, "cost_per_dwelling_eur": 1000.0},
        ],
        labour_share=0.4,
        insertion_rate=0.05,
        hourly_cost_eur=30.0,
    )
    a, b = sc.from_dict(raw).works
    assert (a.insertion_rate, a.hourly_cost_eur, a.labour_share) == (0.10, 25.0, 0.4)
    assert (b.insertion_rate, b.hourly_cost_eur, b.labour_share) == (0.05, 30.0, 0.4)


def test_clause_defaults(raw_scenario):
    s = sc.from_dict(
        raw_scenario([{"dwellings": 1, "cost_per_dwelling_eur": 1.0, "labour_share": 0.5}])
    )
    c = s.clause
    assert (c.method, c.insertion_rate, c.hourly_cost_eur, c.rounding, c.fte_hours) == (
        "labour_share",
        0.05,
        28.0,
        "floor_per_dwelling",
        1820.0,
    )
    assert s.works[0].name == "works works[0]"


def test_yearly_dwellings_make_a_custom_profile(raw_scenario):
    raw = raw_scenario(
        [{"yearly_dwellings": [1, 2, 3], "cost_per_dwelling_eur": 10.0, "profile": "uniform"}],
        horizon=3,
        labour_share=0.5,
    )
    w = sc.from_dict(raw).works[0]
    assert w.profile == "custom"
    assert w.dwellings == 6  # taken from the list when not given


def test_amount_line_with_yearly_amounts(raw_scenario):
    raw = raw_scenario(
        [{"amount_eur": 3e6, "yearly_amount_eur": [1e6, 2e6, 0], "labour_share": 0.5}], horizon=3
    )
    w = sc.from_dict(raw).works[0]
    assert w.profile == "custom"
    assert w.yearly_amount_eur == (1e6, 2e6, 0.0)
    assert all(isinstance(a, float) for a in w.yearly_amount_eur)
    assert w.dwellings is None


def test_amount_from_yearly_amounts(raw_scenario):
    raw = raw_scenario([{"yearly_amount_eur": [1e6, 2e6], "labour_share": 0.5}], horizon=2)
    assert sc.from_dict(raw).works[0].amount_eur == 3e6


@pytest.mark.parametrize(
    ("works", "key", "words"),
    [
        ({"dwellings": 10, "amount_eur": 1e6}, "works[0]", "not both"),
        ({"name": "nothing"}, "works[0]", "give dwellings"),
        ({"dwellings": 10}, "works[0].cost_per_dwelling_eur", "missing"),
        (
            {"amount_eur": 1e6, "method": "hours_per_dwelling", "hours_per_dwelling": 5},
            "works[0].method",
            "needs dwellings",
        ),
        (
            {
                "dwellings": 10,
                "cost_per_dwelling_eur": 1.0,
                "labour_share": None,
                "method": "hours_per_eur",
            },
            "works[0].hours_per_eur",
            "missing",
        ),
        (
            {"dwellings": 10, "profile": "custom", "cost_per_dwelling_eur": 1.0},
            "works[0].yearly_dwellings",
            "give the list",
        ),
        ({"amount_eur": 10.0, "profile": "custom"}, "works[0].yearly_amount_eur", "give the list"),
        (
            {"amount_eur": 10.0, "yearly_amount_eur": [1.0, 2.0]},
            "works[0].yearly_amount_eur",
            "sums to 3 but amount_eur is 10",
        ),
        (
            {"amount_eur": 3.0, "yearly_amount_eur": [3.0]},
            "works[0].yearly_amount_eur",
            "has 1 year but horizon_years is 2",
        ),
        (
            {"dwellings": 4, "yearly_dwellings": [1, 2], "cost_per_dwelling_eur": 1.0},
            "works[0].yearly_dwellings",
            "sums to 3 but dwellings is 4",
        ),
    ],
)
def test_inconsistent_works_line(raw_scenario, works, key, words):
    works = {k: v for k, v in works.items() if v is not None}
    labour = {} if works.get("method") else {"labour_share": 0.4}
    with pytest.raises(ScenarioError) as info:
        sc.from_dict(raw_scenario([works], horizon=2, **labour), "my.toml")
    assert (info.value.file, info.value.key) == ("my.toml", key)
    assert words in info.value.message


def test_labour_share_method_needs_a_labour_share(raw_scenario):
    with pytest.raises(ScenarioError) as info:
        sc.from_dict(raw_scenario([{"dwellings": 1, "cost_per_dwelling_eur": 1.0}]), "f.toml")
    assert info.value.key == "works[0].labour_share"
    assert str(info.value).startswith("f.toml: works[0].labour_share: missing")


def test_hours_per_dwelling_needs_no_cost(raw_scenario):
    raw = raw_scenario([{"dwellings": 5, "method": "hours_per_dwelling", "hours_per_dwelling": 57}])
    w = sc.from_dict(raw).works[0]
    assert (w.cost_per_dwelling_eur, w.hours_per_dwelling) == (None, 57)


# --------------------------------------------------------------------------------------------
# Value checks (the CLI tests go through the same checks end to end)


@pytest.mark.parametrize(
    ("section", "key", "value", "words"),
    [
        ("clause", "insertion_rate", "0.05", "expected a number, got a string '0.05'"),
        ("clause", "insertion_rate", True, "expected a number, got a boolean"),
        ("clause", "insertion_rate", 1.01, "between 0 and 1"),
        ("clause", "insertion_rate", -0.01, "between 0 and 1"),
        ("clause", "insertion_rate", math.nan, "got nan"),
        ("clause", "hourly_cost_eur", 0, "must be positive"),
        ("clause", "hourly_cost_eur", -28.0, "must be positive"),
        ("clause", "hourly_cost_eur", math.inf, "finite"),
        ("clause", "fte_hours", -math.inf, "finite"),
        ("clause", "method", "labour", "expected one of labour_share, hours_per_eur"),
        ("clause", "rounding", "floor", "expected one of none, floor_per_dwelling"),
        ("scenario", "horizon_years", 0, "at least 1"),
        ("scenario", "horizon_years", 2.5, "whole number"),
        ("scenario", "horizon_years", 101, "at most 100 years"),
        ("scenario", "horizon_years", 10**20, "too large"),
        ("scenario", "start_year", 1e20, "too large"),
        ("scenario", "start_year", "2018", "expected a number"),
    ],
)
def test_bad_values(raw_scenario, section, key, value, words):
    raw = raw_scenario([{"dwellings": 1, "cost_per_dwelling_eur": 1.0, "labour_share": 0.4}])
    raw[section][key] = value
    with pytest.raises(ScenarioError) as info:
        sc.from_dict(raw, "x.toml")
    assert info.value.key == f"{section}.{key}"
    assert words in info.value.message


@pytest.mark.parametrize("dwellings", [2**53 + 1, 1e20, -(2**70)])
def test_dwellings_beyond_exact_integers(raw_scenario, dwellings):
    # numpy counts dwellings in int64 and hours in floats: larger values would overflow
    raw = raw_scenario(
        [{"dwellings": dwellings, "cost_per_dwelling_eur": 1.0, "labour_share": 0.4}]
    )
    with pytest.raises(ScenarioError, match=r"works\[0\]\.dwellings: too large"):
        sc.from_dict(raw, "x.toml")


def test_whole_float_is_accepted_as_integer(raw_scenario):
    raw = raw_scenario([{"dwellings": 10.0, "cost_per_dwelling_eur": 1.0, "labour_share": 0.4}])
    d = sc.from_dict(raw).works[0].dwellings
    assert d == 10 and isinstance(d, int)


def test_unknown_key_suggests_the_closest(raw_scenario):
    raw = raw_scenario([{"dwellings": 1, "cost_per_dwelling_eur": 1.0, "labour_share": 0.4}])
    raw["clause"]["insertion_rat"] = 0.05
    with pytest.raises(ScenarioError) as info:
        sc.from_dict(raw, "x.toml")
    assert str(info.value) == (
        "x.toml: clause.insertion_rat: unknown key (did you mean 'insertion_rate'?)"
    )


def test_unknown_key_in_works_line(raw_scenario):
    raw = raw_scenario([{"dwelings": 1, "cost_per_dwelling_eur": 1.0, "labour_share": 0.4}])
    with pytest.raises(
        ScenarioError,
        match=r"works\[0\]\.dwelings: unknown key "
        r"\(did you mean 'dwellings'\?\)",
    ):
        sc.from_dict(raw, "x.toml")


def test_missing_required_sections():
    with pytest.raises(ScenarioError, match="scenario: missing required key"):
        sc.from_dict({"works": [{"dwellings": 1}]})
    with pytest.raises(ScenarioError, match="works: missing required key"):
        sc.from_dict({"scenario": {"name": "n", "start_year": 2020, "horizon_years": 1}})


def test_empty_works_list(raw_scenario):
    with pytest.raises(ScenarioError, match="works: expected at least 1 line"):
        sc.from_dict(raw_scenario([]))


# --------------------------------------------------------------------------------------------
# Reading files


def test_read_toml_missing_file(tmp_path):
    with pytest.raises(ScenarioError) as info:
        sc.read_toml(tmp_path / "nope.toml")
    assert str(info.value) == f"{tmp_path / 'nope.toml'}: no such file"


def test_read_toml_syntax_error_names_the_line(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("[clause]\ninsertion_rate = = 0.05\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        sc.read_toml(p)
    assert info.value.file == str(p)
    assert "not valid TOML" in info.value.message
    assert "line 2" in info.value.message


def test_read_toml_folder_and_not_utf8(tmp_path):
    with pytest.raises(ScenarioError, match="is a folder"):
        sc.read_toml(tmp_path)
    p = tmp_path / "latin1.toml"
    p.write_bytes("name = 'Liévin'".encode("latin-1"))
    with pytest.raises(ScenarioError, match="not UTF-8"):
        sc.read_toml(p)


# --------------------------------------------------------------------------------------------
# Overrides


def test_overrides_parse_as_toml_and_do_not_mutate():
    raw = tomllib.loads(FICHE.read_text(encoding="utf-8"))
    out = sc.apply_overrides(
        raw,
        [
            "clause.insertion_rate=0.07",
            "works[0].dwellings = 30000",
            "clause.rounding=none",
            "works[0].yearly_dwellings=[1, 2]",
            'scenario.name="a b"',
        ],
        "f.toml",
    )
    assert out["clause"]["insertion_rate"] == 0.07
    assert out["clause"]["rounding"] == "none"  # a bare word is a string
    assert out["works"][0]["dwellings"] == 30000
    assert out["works"][0]["yearly_dwellings"] == [1, 2]
    assert out["scenario"]["name"] == "a b"
    assert raw["clause"]["insertion_rate"] == 0.05
    assert raw["works"][0]["dwellings"] == 23000


def test_override_creates_missing_table():
    out = sc.apply_overrides({"scenario": {}}, ['flow.placement.patience_days="none"'], "f")
    assert out["flow"]["placement"]["patience_days"] == "none"


@pytest.mark.parametrize(
    ("item", "file", "key", "words"),
    [
        (
            "clause.insertion_rat=0.07",
            "--set",
            "clause.insertion_rat",
            "(did you mean 'insertion_rate'?)",
        ),
        ("clause.nope=1", "--set", "clause.nope", "no such key 'clause.nope'"),
        ("works[3].dwellings=1", "f.toml", "works[3].dwellings", "no item 3: works has 1"),
        ("works.dwellings=1", "--set", "works.dwellings", "say works[0]"),
        ("works[0]=1", "--set", "works[0]", "name a key inside"),
        ("clause[0].method=x", "--set", "clause[0].method", "not a list of tables"),
        ("clause.method.x=1", "--set", "clause.method.x", "is a value, not a table"),
        ("clause.insertion_rate", "--set", "clause.insertion_rate", "expected KEY=VALUE"),
        ("clause.insertion_rate=[1,", "--set", "clause.insertion_rate", "cannot read value"),
        ("clause.9x=1", "--set", "clause.9x", "cannot read key"),
    ],
)
def test_bad_overrides(item, file, key, words):
    raw = tomllib.loads(FICHE.read_text(encoding="utf-8"))
    with pytest.raises(ScenarioError) as info:
        sc.apply_overrides(raw, [item], "f.toml")
    assert (info.value.file, info.value.key) == (file, key)
    assert words in info.value.message


def test_load_with_overrides_and_with_overrides():
    s = sc.load(FICHE, ["clause.insertion_rate=0.07"])
    assert s.clause.insertion_rate == 0.07
    assert s.works[0].insertion_rate == 0.07  # inherited by the works line
    assert s.raw["clause"]["insertion_rate"] == 0.07
    t = s.with_overrides(["works[0].dwellings=30000"])
    assert (t.works[0].dwellings, t.clause.insertion_rate) == (30000, 0.07)
    assert s.works[0].dwellings == 23000  # the original is untouched


# --------------------------------------------------------------------------------------------
# Records


def test_scenario_is_immutable():
    s = sc.load(FICHE)
    with pytest.raises(AttributeError):
        s.horizon_years = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        s.raw["clause"]["insertion_rate"] = 0.5  # type: ignore[index]


def test_to_toml_round_trip():
    s = sc.load(FICHE, ["clause.insertion_rate=0.07"])
    again = sc.from_dict(tomllib.loads(s.to_toml()), s.source)
    assert again == s


def test_pickle_round_trip():
    s = sc.load(FICHE, ["works[0].dwellings=30000"])
    again = pickle.loads(pickle.dumps(s))
    assert again == s
    assert again.works[0].dwellings == 30000
    # read-only mappings stay read-only; what a run needs travels with it
    with pytest.raises(TypeError):
        again.flow.missions.mode_shares["direct"] = 1.0  # type: ignore[index]
    drawn = s.with_overrides(["flow.siae.posts.etti=21"]).for_replications(7)
    back = pickle.loads(pickle.dumps(drawn))
    assert back == drawn and back.draws == 7 and back.pinned == drawn.pinned
    assert back.provenance == drawn.provenance and back.uncertainty == drawn.uncertainty


def test_dist_means():
    assert sc.Dist("none").mean == math.inf
    assert sc.Dist("fixed", {"value": 730}).mean == 730
    assert sc.Dist("uniform", {"low": 20, "high": 35}).mean == 27.5
    assert sc.Dist("triangular", {"low": 20, "mode": 45, "high": 90}).mean == pytest.approx(155 / 3)
    assert sc.Dist("empirical", {"values": (1, 3), "weights": (3, 1)}).mean == 1.5
    assert sc.Dist("empirical", {"values": (1, 3)}).mean == 2.0


def test_toml_value_writes_inline_toml_that_reads_back():
    assert sc.toml_value({"dist": "fixed", "value": 3}) == '{ dist = "fixed", value = 3 }'
    assert sc.toml_value([1, 2.5, "a"]) == '[1, 2.5, "a"]'
    assert sc.toml_value(True) == "true"
    assert sc.toml_value(28.0) == "28.0"
    assert sc.toml_value(198.00000000000003, digits=9) == "198.0"
    for value in ('say "hi"\n\tà', [1, [2.5, "x"]], {"a": {"b": [True, 3]}}, 1e-300):
        assert tomllib.loads(f"v = {sc.toml_value(value)}")["v"] == value


@pytest.mark.parametrize(
    ("override", "key", "words"),
    [
        ('flow.missions.hours={dist="fixed", value=0}', "flow.missions.hours.value", "positive"),
        (
            'flow.missions.weekly_hours={dist="uniform", low=0, high=35}',
            "flow.missions.weekly_hours.low",
            "positive",
        ),
        ("flow.siae.posts={etti=20}", "flow.siae.posts", "missing ai, geiq, ei, aci"),
        (
            'flow.facilitators.priority=["rsa", "rsa"]',
            "flow.facilitators.priority",
            "more than once",
        ),
    ],
)
def test_flow_values_that_would_mislead_are_refused(override, key, words):
    with pytest.raises(ScenarioError) as err:
        sc.load(None, [override])
    assert err.value.key == key
    assert words in err.value.message
    assert "from --set" in err.value.message
