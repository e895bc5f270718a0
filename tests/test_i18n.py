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
