"""The page's form: sources of defaults read from a scenario file's comments, the form's changes
read like ``--set`` (names and choices as strings), downloads confined to a folder."""

from __future__ import annotations

import pytest

from sim.errors import ScenarioError
from sim.web.scenarios import comments, form, from_request
from sim.web.store import safe_file

TEXT = """
# header comment, not a source
[scenario]
name = "x"                 # the name
start_year = 2018

[clause]
insertion_rate = 0.05      # ANRU charter
rounding = "none"          # none | floor_per_dwelling

[[works]]
dwellings = 10             # first line
[[works]]
dwellings = 20             # second line

[flow.siae]
# Posts held at once: assumption
posts = { etti = 20, ai = 5 }
"""


def test_sources_come_from_the_comment_beside_or_above_a_key():
    notes = comments(TEXT)
    assert notes["scenario.name"] == "the name"
    assert "scenario.start_year" not in notes  # no comment: no source
    assert notes["clause.insertion_rate"] == "ANRU charter"
    assert "clause.rounding" not in notes  # a list of choices is not a source
    assert notes["works[0].dwellings"] == "first line"
    assert notes["works[1].dwellings"] == "second line"
    assert notes["flow.siae.posts.etti"] == notes["flow.siae.posts.ai"]
    assert notes["flow.siae.posts.etti"] == "Posts held at once: assumption"
    assert notes["flow.siae.posts"] == "Posts held at once: assumption"


def test_the_shipped_form_is_filled_from_the_scenario():
    f = form()
    fields = {x["key"]: x for g in f["groups"] for x in g["fields"]}
    assert fields["works[0].dwellings"]["value"] == "23000"
    assert fields["clause.insertion_rate"]["value"] == "0.05"
    assert "ANRU" in fields["clause.insertion_rate"]["source"]
    assert [g["id"] for g in f["groups"]] == ["programme", "clause", "capacity", "advanced"]


def test_form_changes_apply_like_set():
    sc, text, name = from_request(
        {
            "base": "erbm-fiche-2023",
            "set": {
                "scenario.name": 'Mine, "quoted" = 1',
                "works[0].dwellings": "100",
                "clause.rounding": "none",
                "flow.facilitators.fte": "4.5",  # a text field: a number stays a number
                "clause.hourly_cost_eur": "",  # left empty: unchanged
            },
        }
    )
    assert name == "erbm-fiche-2023.toml"
    assert sc.name == 'Mine, "quoted" = 1'
    assert sc.works[0].dwellings == 100 and sc.clause.rounding == "none"
    assert sc.clause.hourly_cost_eur == 28.0
    assert set(sc.flow.facilitators.fte) == {4.5}
    assert 'Mine, \\"quoted\\" = 1' in text  # the text kept is the scenario as changed


def test_form_errors_name_the_field_and_the_file():
    with pytest.raises(ScenarioError) as info:
        from_request({"set": {"clause.insertion_rate": "abc%"}})
    assert info.value.file == "erbm-fiche-2023.toml"
    assert info.value.key == "clause.insertion_rate"
    with pytest.raises(ScenarioError):
        from_request({"base": "../../etc/passwd"})


def test_safe_file(tmp_path):
    root = tmp_path / "out"
    (root / "figures").mkdir(parents=True)
    (root / "summary.json").write_text("{}")
    (root / "figures" / "a.svg").write_text("<svg/>")
    (root / ".hidden").write_text("x")
    (tmp_path / "secret").write_text("s")
    (root / "link").symlink_to(tmp_path / "secret")
    (root / "dirlink").symlink_to(tmp_path)
    assert safe_file(root, "summary.json") == root / "summary.json"
    assert safe_file(root, "figures/a.svg") == root / "figures" / "a.svg"
    for bad in (
        "",
        "figures",
        "../secret",
        "figures/../../secret",
        "/etc/passwd",
        ".hidden",
        "link",
        "dirlink/secret",
        "figures\\a.svg",
        "summary.json\x00",
        "./summary.json",
    ):
        assert safe_file(root, bad) is None, bad


def test_a_note_continued_below_its_key_is_shown_whole():
    text = (
        "[flow.facilitators]\n"
        "fte = 3.0          # assumption: 131,100 h a\n"
        "                   # year / 43,000 h a facilitator\n"
        "caseload_per_fte = 72\n"
    )
    notes = comments(text)
    assert notes["flow.facilitators.fte"] == "assumption: 131,100 h a year / 43,000 h a facilitator"
    assert "flow.facilitators.caseload_per_fte" not in notes
    shipped_form = {x["key"]: x["source"] for g in form()["groups"] for x in g["fields"]}
    assert shipped_form["flow.facilitators.fte"].rstrip().endswith("test 2-6")


@pytest.mark.parametrize("ctype", ["application/toml", "application/json"])
def test_a_scenario_is_validated_off_the_event_loop(monkeypatch, ctype):
    # validating a scenario takes tens of ms (more for a large upload): a worker thread does
    # it, so the server keeps answering other requests (progress polls) meanwhile
    import asyncio
    import json

    from sim.web import app as web

    seen: list[str] = []

    def spy(real):
        def call(*args):
            try:
                asyncio.get_running_loop()
                seen.append("event loop")
            except RuntimeError:
                seen.append("worker thread")
            return real(*args)

        return call

    monkeypatch.setattr(web, "scenario_from_text", spy(web.scenario_from_text))
    monkeypatch.setattr(web, "from_request", spy(web.from_request))
    body = (
        json.dumps({"base": "erbm-fiche-2023", "set": {}}).encode()
        if ctype == "application/json"
        else b'[scenario]\nname = "x"\nstart_year = 2020\nhorizon_years = 2\n'
        b"[[works]]\ndwellings = 10\ncost_per_dwelling_eur = 1000\nlabour_share = 0.4\n"
    )
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/hours",
        "headers": [(b"content-type", ctype.encode())],
        "query_string": b"",
    }

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    scenario, _text, _name = asyncio.run(web._scenario_request(web.Request(scope, receive)))
    assert scenario.works and seen == ["worker thread"]
