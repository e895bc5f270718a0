"""The one translation table: both languages say the same things, with the same figures, and
the page's form takes its words from it."""

from __future__ import annotations

import string
from collections.abc import Mapping

import pytest

from sim.presentation import i18n


def _fields(text: str) -> set[str]:
    return {f for _lit, f, _spec, _conv in string.Formatter().parse(text) if f is not None}


@pytest.mark.parametrize("name", ["web", "diagnosis", "cli", "summary", "figures", "xlsx"])
def test_both_languages_have_the_same_keys_and_placeholders(name):
    fr, en = i18n.section(name)["fr"], i18n.section(name)["en"]
    assert isinstance(fr, Mapping) and set(fr) == set(en)
    for key, text in fr.items():
        if isinstance(text, str):
            assert _fields(text) == _fields(en[key]), (name, key)


def test_the_page_words_differ_by_language():
    fr, en = i18n.section("web")["fr"], i18n.section("web")["en"]
    same = {k for k in fr if fr[k] == en[k]}
    assert same <= {"api_docs", "date", "figures", "simulation"}, same  # shared words
    assert fr["err_where"].format(file="s.toml", key="k", message="m") == "s.toml, clé k : m"
    assert en["err_where"].format(file="s.toml", key="k", message="m") == "s.toml: k: m"


def test_the_form_takes_its_words_from_the_table():
    from sim.web.scenarios import GROUPS, form

    keys = [f.key for _g, fields in GROUPS for f in fields]
    assert set(keys) == set(i18n.FORM_FIELDS) and len(keys) == len(set(keys))
    assert {g for g, _f in GROUPS} == set(i18n.FORM_GROUPS)
    fields = {x["key"]: x for g in form()["groups"] for x in g["fields"]}
    d = fields["works[0].cost_per_dwelling_eur"]
    assert (d["fr"], d["en"], d["unit_fr"], d["unit_en"]) == (
        "Coût par logement",
        "Cost per dwelling",
        "EUR HT",
        "EUR excl. VAT",
    )
    for key, (fr, en, _ufr, _uen) in i18n.FORM_FIELDS.items():
        assert fr and en, key


@pytest.mark.parametrize(
    ("override", "french"),
    [
        ("scenario.horizon_years=2.5", "attendu : un nombre entier ; reçu : 2,5"),
        ('scenario.horizon_years="x"', "attendu : un nombre ; reçu : un texte 'x'"),
        ("scenario.name=3", "attendu : un texte ; reçu : un entier 3"),
        ("flow.facilitators.fte=-1", "doit valoir au moins 0 ; reçu : -1"),
        ("clause.insertion_rate=2", "doit être une part entre 0 et 1 ; reçu : 2"),
        (
            "flow.referrals.per_year=1e9",
            "doit valoir au plus 100\u202f000 personnes par an (un plafond d’orientations de "
            "programme national) ; reçu : 1000000000,0",
        ),
        (
            'works[0].profile="flatt"',
            "valeur inconnue 'flatt' ; valeurs possibles : uniform, ramp, custom",
        ),
        ('flow.missions.hours={dist="uniform", low=5, high=1}', "uniform demande low <= high"),
        (
            "flow.missions.hours=3",
            'attendu : une loi comme {dist = "exponential", mean = 90} ; reçu : 3',
        ),
        (
            'flow.missions.hours={dist="uniform", low=1, hi=2}',
            "paramètre inconnu pour uniform (vouliez-vous dire 'high' ?) ; attendus : low, high",
        ),
        (
            "works[0].amount_eur=1e6",
            "donnez dwellings (avec cost_per_dwelling_eur) ou amount_eur, pas les deux",
        ),
        (
            "flow.siae.posts={ai=1, etti=2, foo=3}",
            "clé inconnue ; clés connues : etti, ai, geiq, ei, aci",
        ),
    ],
)
def test_scenario_errors_read_in_french(override, french):
    from sim.errors import ScenarioError
    from sim.scenario import load

    with pytest.raises(ScenarioError) as info:
        load(None, [override])
    key = override.split("=", 1)[0]
    assert i18n.scenario_message(info.value.message, "fr") == f"{french} (depuis --set {key})"
    assert i18n.scenario_message(info.value.message, "en") == info.value.message


def test_scenario_errors_of_the_key_path_read_in_french():
    from sim.errors import ScenarioError
    from sim.scenario import load

    with pytest.raises(ScenarioError) as info:
        load(None, ["scenario.horizon_yeers=3"])
    assert i18n.scenario_message(info.value.message, "fr") == (
        "pas de clé 'scenario.horizon_yeers' dans un scénario (vouliez-vous dire 'horizon_years' ?)"
    )
    # a message the table does not know is shown as it is
    assert i18n.scenario_message("a new check's words", "fr") == "a new check's words"


@pytest.mark.parametrize(
    ("english", "french"),
    [
        # a limit with decimals or an exponent; no unit; a unit and no reason; words the table
        # does not know stay as they are
        (
            "must be at most 0.2 h/EUR (one hour per 5 EUR of works at most), got 2",
            "doit valoir au plus 0,2 h/EUR (une heure pour 5 EUR de travaux au plus) ; reçu : 2",
        ),
        (
            "must be at most 1e+06 (weights are relative), got 2000000.0",
            "doit valoir au plus 1e+06 (les poids sont relatifs) ; reçu : 2000000,0",
        ),
        ("must be at most 2.5e+06 EUR, got 3e6", "doit valoir au plus 2,5e+06 EUR ; reçu : 3e6"),
        (
            "must be at least 1,000 h (a new reason), got 1.5",
            "doit valoir au moins 1\u202f000 h (a new reason) ; reçu : 1,5",
        ),
        (
            "must be at most 12 furlongs, got 13",
            "doit valoir au plus 12 furlongs ; reçu : 13",
        ),
        # an uncertain key's range outside the key's domain: the inner message too
        (
            "its highest value 2 is outside the key's domain "
            "(must be a share between 0 and 1, got 2)",
            "sa borne haute 2 sort du domaine de la clé "
            "(doit être une part entre 0 et 1 ; reçu : 2)",
        ),
        (
            "its lowest value -5 is outside the key's domain (must not be negative, got -5)",
            "sa borne basse -5 sort du domaine de la clé (doit valoir au moins 0 ; reçu : -5)",
        ),
        (
            'expected a distribution like {dist = "exponential", mean = 90} or "none", got 3',
            'attendu : une loi comme {dist = "exponential", mean = 90} ou "none" ; reçu : 3',
        ),
        ("expected a number, got a list [1]", "attendu : un nombre ; reçu : une liste [1]"),
        ("expected a number, got datetime 2020", "attendu : un nombre ; reçu : datetime 2020"),
        # numbers given in the message's other places take a decimal comma; text keeps its dots
        ("expected a number, got a string 'a.b'", "attendu : un nombre ; reçu : un texte 'a.b'"),
        (
            "sums to 1500.5 but amount_eur is 2000.5",
            "fait 1500,5 au total alors que amount_eur vaut 2000,5",
        ),
        (
            "its lowest value 0.5 is outside the key's domain (must be at least 1 h, got 0.5)",
            "sa borne basse 0,5 sort du domaine de la clé (doit valoir au moins 1 h ; reçu : 0,5)",
        ),
        (
            "mean of 50.5 h is below min_hours (70.5 h); missions are at least min_hours long",
            "la moyenne de 50,5 h est sous min_hours (70,5 h) ; une mission dure au moins "
            "min_hours",
        ),
    ],
)
def test_scenario_messages_in_french_by_hand(english, french):
    assert i18n.scenario_message(english, "fr") == french
    assert i18n.scenario_message(english, "en") == english


@pytest.mark.parametrize(
    ("override", "english", "french"),
    [
        # a unit after a limit of 1 in the singular; a year without a thousands separator
        (
            "scenario.horizon_years=0",
            "must be at least 1 year, got 0",
            "doit valoir au moins 1 an ; reçu : 0",
        ),
        (
            "scenario.start_year=10",
            "must be at least 1950 (a calendar year), got 10",
            "doit valoir au moins 1950 (une année civile) ; reçu : 10",
        ),
        # a value that holds the message's own words stays whole
        (
            'clause.method="x; expected one of y"',
            "unknown value 'x; expected one of y'; expected one of labour_share, hours_per_eur, "
            "hours_per_dwelling",
            "valeur inconnue 'x; expected one of y' ; valeurs possibles : labour_share, "
            "hours_per_eur, hours_per_dwelling",
        ),
        # a date as TOML writes it; a number cut to its first digits; shares with a comma
        (
            "clause.insertion_rate=2020-01-01",
            "expected a number, got a date 2020-01-01",
            "attendu : un nombre ; reçu : une date 2020-01-01",
        ),
        (
            "clause.fte_hours=1" + "0" * 45,
            "too large, got 10000000000000000000... (46 digits)",
            "trop grand ; reçu : 10000000000000000000... (46 chiffres)",
        ),
        (
            "flow.missions.mode_shares={direct=0.7, etti=0.5}",
            "shares must sum to 1, they sum to 1.2",
            "les parts doivent faire 1 au total ; elles font 1,2",
        ),
        (
            "flow.facilitators.caseload_per_fte=0",
            "must be positive, got 0",
            "doit dépasser 0 ; reçu : 0",
        ),
    ],
)
def test_scenario_errors_worded_for_their_values(override, english, french):
    from sim.errors import ScenarioError
    from sim.scenario import load

    with pytest.raises(ScenarioError) as info:
        load(None, [override])
    key = override.split("=", 1)[0]
    assert info.value.message == f"{english} (from --set {key})"
    assert i18n.scenario_message(info.value.message, "fr") == f"{french} (depuis --set {key})"


@pytest.mark.parametrize(
    ("text", "french"),
    [
        ("a = \n", "TOML invalide : valeur invalide (ligne 1, colonne 5)"),
        (
            "a = 1\na = 2\n",
            "TOML invalide : une valeur déjà donnée ne peut pas être remplacée "
            "(ligne 2, colonne 6)",
        ),
        ("x = [1, 2\n", "TOML invalide : liste non fermée (en fin de document)"),
        ("x = 'abc\n", 'TOML invalide : "\'" attendu (en fin de document)'),
        (
            "a = 1,5\n",
            "TOML invalide : fin de ligne attendue après une instruction (ligne 1, colonne 6) ; "
            "un nombre s’écrit avec un point décimal : 1.5, pas 1,5",
        ),
        (
            "a = 1 000\n",
            "TOML invalide : fin de ligne attendue après une instruction (ligne 1, colonne 7) ; "
            "pas d’espace dans un nombre : écrivez 1000 (ou 1_000)",
        ),
        (
            "[a\n",
            "TOML invalide : « ] » attendu à la fin d’une déclaration de table "
            "(ligne 1, colonne 3)",
        ),
    ],
)
def test_toml_errors_of_an_upload_read_in_french(text, french):
    # what the page shows for an uploaded file that is not TOML: the reader's words in French
    from sim.errors import ScenarioError
    from sim.web.scenarios import scenario_from_text

    with pytest.raises(ScenarioError) as info:
        scenario_from_text(text, "s.toml")
    assert info.value.message.startswith("not valid TOML: ")
    assert i18n.scenario_message(info.value.message, "fr") == french
