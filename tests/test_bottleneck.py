"""Bottleneck diagnosis: the levers (+1 unit), the measures per constraint, common random numbers,
the binding constraint and its sentences, JSON and the HTML fragment."""

from __future__ import annotations

import json
import math
import string
import subprocess
import sys

import numpy as np
import pytest
from model.conftest import ABUNDANT_PEOPLE

import sim.runner
from sim.analysis import bottleneck as bn
from sim.presentation import bottleneck as pb
from sim.presentation import i18n
from sim.results import LAPSE_CAUSES
from sim.runner import replicate, run_replications
from sim.scenario import load

SMALL = [
    "scenario.horizon_years=2",
    "works[0].dwellings=2000",
    "flow.referrals.per_year=50",
    "flow.siae.posts.etti=2",
    "flow.siae.fallback_to=[]",  # ETTI offers wait for ETTI posts: the binding constraint
]


@pytest.fixture(scope="module")
def small():
    return load(None, SMALL)


@pytest.fixture(scope="module")
def diag(small):
    runs = replicate(small, 8, seed=4, jobs=1)
    return pb.with_texts(bn.diagnose(small, runs, replications=6, jobs=1)), runs


def test_levers_on_the_fiche():
    sc = load()
    lv = bn.levers(sc)
    assert set(lv) == set(bn.CONSTRAINTS)
    assert lv["facilitators"].overrides == ("flow.facilitators.fte=4.0",)  # 3 FTE + 1
    assert lv["referrals"].overrides == ("flow.referrals.per_year=275.0",)  # 250 + 10 %
    assert lv["siae_etti"].overrides == ("flow.siae.posts.etti=21",)
    assert lv["preparation"] is None  # places not capped in the fiche
    works = lv["works_timing"]
    shifted = sc.with_overrides(list(works.overrides)).flow.operations.duration_days
    assert shifted.kind == "triangular"
    assert dict(shifted.params) == {"low": 210.0, "mode": 395.0, "high": 570.0}
    for lever in lv.values():  # every override applies cleanly
        if lever is not None:
            sc.with_overrides(list(lever.overrides))


def test_levers_follow_the_scenario():
    sc = load(
        None,
        [
            "flow.preparation.places_per_year=20",
            "flow.facilitators.fte=[1, 2, 2, 2, 2, 2, 2, 2, 2, 3]",
            "flow.missions.mode_shares={direct = 0.7, etti = 0.3}",
            'flow.operations.duration_days={dist = "exponential", mean = 300}',
        ],
    )
    lv = bn.levers(sc)
    assert lv["preparation"].overrides == ("flow.preparation.places_per_year=25",)
    new = sc.with_overrides(list(lv["facilitators"].overrides))
    assert new.flow.facilitators.fte == (2, 3, 3, 3, 3, 3, 3, 3, 3, 4)
    assert lv["siae_ai"] is None and lv["siae_etti"] is not None
    dur = sc.with_overrides(list(lv["works_timing"].overrides)).flow.operations.duration_days
    assert dur.mean == 330.0


def test_diagnose_measures(diag, small):
    d, runs = diag
    json.dumps(d, allow_nan=False)  # JSON-ready
    by = {e["constraint"]: e for e in d["constraints"]}
    assert list(by) == list(bn.CONSTRAINTS)
    # lapsed hours by cause add up to the hours lapsed
    total = sum(by[c]["hours_lapsed"]["mean"] for c in LAPSE_CAUSES)
    assert math.isclose(total, d["hours_lapsed"], rel_tol=1e-9)
    shares = sum(by[c]["share_of_lapsed"] for c in LAPSE_CAUSES)
    assert math.isclose(shares, 1.0, rel_tol=1e-9)
    assert math.isclose(
        by["siae_etti"]["time_at_capacity"]["mean"],
        float(np.mean(runs.totals["time_full_siae_etti"])),
    )
    assert by["referrals"]["time_at_capacity"] is None
    assert by["works_timing"]["time_at_capacity"] is None
    assert (
        by["preparation"]["hours_gained"] is None and by["preparation"]["note"] == "na_preparation"
    )
    assert "not applicable" in by["preparation"]["note_en"]
    assert by["preparation"]["note_fr"] == "non applicable : places non plafonnées"
    assert d["method"]["replications"] == 6 and d["method"]["replications_run"] == 8


def test_diagnose_binding_and_sentences(diag):
    d, _ = diag
    assert d["binding"] == "siae_etti"
    assert d["sentence_fr"].startswith("Contrainte limitante : postes ETTI.")
    assert d["sentence_en"].startswith("Binding constraint: ETTI posts.")
    assert "+1 poste ETTI" in d["sentence_fr"] and "+1 ETTI post" in d["sentence_en"]
    assert "IC 95 %" in d["sentence_fr"] and "95% CI" in d["sentence_en"]


def test_gain_is_a_paired_difference_with_common_random_numbers(diag, small):
    d, runs = diag
    by = {e["constraint"]: e for e in d["constraints"]}
    # the same replications (the fiche's uncertain parameters drawn as in the run's 8), one more
    # ETTI post
    more = small.with_overrides(["flow.siae.posts.etti=3"]).for_replications(runs.n)
    new = np.array([r.totals["hours_realised"] for r in run_replications(more, 4, range(6))])
    diff = new - runs.totals["hours_realised"][:6]
    g = by["siae_etti"]["hours_gained"]
    assert math.isclose(g["mean"], float(diff.mean()), rel_tol=1e-12)
    assert g["mean"] > 0 and g["ci_low"] > 0  # one more post in the binding type helps


def test_never_at_capacity_is_not_simulated(small, monkeypatch):
    sc = small.with_overrides(
        [
            "flow.facilitators.fte=20",
            "flow.run_out_rule='hold'",  # the caseload keeps its size after the horizon
            "flow.siae.posts.ai=50",
            "flow.siae.posts.geiq=50",
            "flow.siae.posts.ei=50",
            "flow.siae.posts.aci=50",
        ]
    )
    runs = replicate(sc, 3, seed=2, jobs=1)
    assert not np.any(runs.totals["time_full_facilitators"] > 0)
    calls = {"n": 0}
    real = sim.runner.simulate

    def counting(*args, **kwargs):
        calls["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(sim.runner, "simulate", counting)
    d = bn.diagnose(sc, runs, replications=3, jobs=1)
    by = {e["constraint"]: e for e in d["constraints"]}
    fac = by["facilitators"]
    assert fac["hours_gained"]["mean"] == 0.0
    assert fac["note"] == "never_full" and "sentence_en" not in d  # keys, no words
    simulated = [c for c, e in by.items() if e["hours_gained"] is not None and e["note"] is None]
    assert "facilitators" not in simulated and "siae_ai" not in simulated
    assert calls["n"] == 3 * len(simulated)


def test_other_seed_reruns_the_base(small):
    runs = replicate(small, 3, seed=4, jobs=1)
    d = bn.diagnose(small, runs, seed=9, replications=3, jobs=1)
    assert d["method"]["seed"] == 9
    by = {e["constraint"]: e for e in d["constraints"]}
    base = run_replications(small.for_replications(3), 9, range(3))
    more = run_replications(
        small.with_overrides(["flow.siae.posts.etti=3"]).for_replications(3), 9, range(3)
    )
    diff = [
        b.totals["hours_realised"] - a.totals["hours_realised"]
        for a, b in zip(base, more, strict=True)
    ]
    assert math.isclose(by["siae_etti"]["hours_gained"]["mean"], float(np.mean(diff)))


def _fake(binding: str | None) -> dict:
    entry = {
        "constraint": "siae_etti",
        "time_at_capacity": {"mean": 0.8},
        "hours_lapsed": {"mean": 1000.0},
        "share_of_lapsed": 0.5,
        "lever": {"kind": "siae", "values": {"n": 1, "type": "ETTI"}, "overrides": []},
        "hours_gained": {"mean": 200.0, "ci_low": 150.0, "ci_high": 250.0},
        "note": None,
    }
    d = {
        "method": {"replications": 5, "replications_run": 10},
        "lapsed_share": 0.004,
        "constraints": [entry],
        "binding": binding,
        "best_lever": None,
    }
    return pb.with_texts(d)


def test_sentence_when_nothing_binds():
    d = _fake(None)
    assert d["sentence_fr"] == (
        "Aucune contrainte ne limite nettement : 0,4\u202f% des heures offertes sont perdues."
    )
    assert d["sentence_en"] == "No constraint binds materially: 0.4% of the offered hours lapse."


def test_sentences_in_both_languages_written_by_hand():
    d = _fake("siae_etti")
    nb = "\u202f"  # French thousands and percent separator
    assert d["sentence_fr"] == (
        f"Contrainte limitante : postes ETTI. 1{nb}000 h perdues lui sont imputées (50{nb}% des "
        f"heures perdues) ; à pleine capacité 80{nb}% du temps. Avec +1 poste ETTI : 200 h "
        f"(IC 95 % : 150 à 250 h) réalisées en plus."
    )
    assert d["sentence_en"] == (
        "Binding constraint: ETTI posts. 1,000 h lapsed are attributed to it (50% of the lapsed "
        "hours); at capacity 80% of the time. With +1 ETTI post: 200 h (95% CI 150 to 250 h) "
        "more realised."
    )
    e = d["constraints"][0]
    assert (e["label_fr"], e["label_en"]) == ("postes ETTI", "ETTI posts")
    assert (e["lever"]["fr"], e["lever"]["en"]) == ("+1 poste ETTI", "+1 ETTI post")


def test_french_diagnosis_has_no_english_words(diag):
    real, _ = diag
    fr = pb.bottleneck_text(real, "fr") + pb.bottleneck_html(real, "fr")
    for word in (
        "posts",
        "referrals",
        "lapsed",
        "not applicable",
        "never",
        "95% CI",
        "longer",
        "timing",
        "caseload",
        "places a year",
        "Binding",
        "realised",
    ):
        assert word not in fr, word
    levers = [pb.lever_text(e["lever"], "fr") for e in real["constraints"]]
    assert "+10 % d'orientations par an" in levers
    assert "des opérations plus longues de 30 jours" in levers


def test_table_texts_match_in_both_languages():
    t = i18n.section("diagnosis")
    assert set(t["fr"]) == set(t["en"])
    for key in t["fr"]:
        fields = [
            {f for _l, f, _s, _c in string.Formatter().parse(t[lg][key]) if f}
            for lg in ("fr", "en")
        ]
        assert fields[0] == fields[1], key
    kinds = {
        f"lever_{k}" for k in ("referrals", "facilitators", "preparation", "siae", "works_timing")
    }
    assert kinds <= set(t["fr"])


def test_analysis_does_not_import_the_presentation():
    code = (
        "import sys, sim.analysis.bottleneck; "
        "print(sorted(m for m in sys.modules if m.startswith('sim.presentation')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_html_fragment_is_escaped(diag, monkeypatch):
    d = _fake("siae_etti")
    table = {lg: dict(i18n.section("diagnosis")[lg]) for lg in ("fr", "en")}
    table["fr"]["label_siae"] = 'postes <script>alert("x")</script> {type}'
    monkeypatch.setattr(pb, "_t", lambda lang: table[i18n.norm(lang)])
    frag = pb.bottleneck_html(d, "fr")
    assert "<script>" not in frag and "&lt;script&gt;" in frag
    assert frag.startswith('<section class="bottleneck" lang="fr">')
    assert '<tr class="binding">' in frag
    monkeypatch.undo()
    real, _ = diag
    en = pb.bottleneck_html(real, "en")
    assert "Binding constraint: ETTI posts." in en and "<table" in en
    assert en.count("<tr") == 1 + len(bn.CONSTRAINTS)
    text = pb.bottleneck_text(real, "fr")
    assert "Contrainte limitante" in text and "postes ETTI" in text


def test_a_lever_on_an_uncertain_key_adds_one_unit_to_each_replications_draw():
    """With ETTI posts drawn between 2 and 20, "+1 ETTI post" gives replication i its own draw
    plus one post, not the central value plus one in place of the draw."""
    from sim.model import simulate
    from sim.uncertainty import parameter_set

    base = [o for o in SMALL if not o.startswith("flow.siae.posts.etti")]  # a set key is pinned
    sc = load(
        None,
        [*base, 'uncertainty={"flow.siae.posts.etti"={dist="uniform", low=2, high=20}}'],
    ).for_replications(6)
    seed = 4
    got = bn.lever_batch(sc, "siae_etti", seed, [0, 1, 2])
    for i, hours in zip([0, 1, 2], got, strict=True):
        drawn = parameter_set(sc, seed, i)["flow.siae.posts.etti"]
        by_hand = load(None, [*base, "uncertainty={}", f"flow.siae.posts.etti={int(drawn) + 1}"])
        assert hours == simulate(by_hand, seed, replication=i).totals["hours_realised"]
    draws = [parameter_set(sc, seed, i)["flow.siae.posts.etti"] for i in range(3)]
    assert len(set(draws)) > 1  # the replications did draw different posts


def test_under_uncertainty_the_diagnosis_compares_each_replication_with_its_own_draws():
    """People never short (hours do not depend on them) and ETTI posts uncertain: one more
    referral rate or FTE changes nothing in any replication, so it gains exactly 0 h. Levers
    run at the central posts instead of each replication's draw would show a gain."""
    base = [o for o in SMALL if not o.startswith("flow.siae.posts.etti")]
    sc = load(
        None,
        [
            *base,
            *ABUNDANT_PEOPLE,
            'uncertainty={"flow.siae.posts.etti"={dist="uniform", low=1, high=6}}',
        ],
    )
    runs = replicate(sc, 4, seed=2, jobs=1)
    assert np.ptp(runs.totals["hours_realised"]) > 0  # the draws do move the hours
    diag = bn.diagnose(sc, runs, replications=4)
    gained = {c["constraint"]: c["hours_gained"] for c in diag["constraints"]}
    assert gained["referrals"]["mean"] == 0.0
    assert gained["facilitators"]["mean"] == 0.0
