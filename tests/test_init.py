"""`clause-sim init`, which scenario file a command reads, one source of defaults (the
reference scenario), provenance captured at load, titles that follow --set, input hints."""

from __future__ import annotations

import json
import pickle
import tomllib
from html import escape as html_escape
from pathlib import Path

import pytest
from conftest import FICHE

from sim import scenario as sc
from sim.cli import main
from sim.presentation import i18n, report
from sim.provenance import leaves, lookup
from sim.scenario import SCHEMA, Table, TableArray

MINIMAL = (
    '[scenario]\nname = "m"\nstart_year = 2020\nhorizon_years = 2\n'
    "[[works]]\ndwellings = 10\ncost_per_dwelling_eur = 1000\nlabour_share = 0.4\n"
)


def run(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_init_writes_the_reference_and_refuses_to_overwrite(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, _err = run(["init"], capsys)
    assert code == 0 and "scenario.toml" in out
    written = (tmp_path / "scenario.toml").read_text(encoding="utf-8")
    assert written == FICHE.read_text(encoding="utf-8")
    assert "# the fiche" in written  # values come with their sources
    (tmp_path / "scenario.toml").write_text("mine", encoding="utf-8")
    code, out, err = run(["init"], capsys)
    assert code == 2 and "already exists" in err and err.count("\n") == 1
    assert (tmp_path / "scenario.toml").read_text(encoding="utf-8") == "mine"


def test_edited_init_copy_changes_the_result(tmp_path, monkeypatch, capsys):
    """Commands given no file read ./scenario.toml (the init copy) and say so first."""
    monkeypatch.chdir(tmp_path)
    assert run(["init"], capsys)[0] == 0
    text = (tmp_path / "scenario.toml").read_text(encoding="utf-8")
    (tmp_path / "scenario.toml").write_text(
        text.replace("dwellings = 23000", "dwellings = 10000"), encoding="utf-8"
    )
    code, out, _ = run(["hours"], capsys)
    assert code == 0
    first, *rest = out.splitlines()
    assert first == "Scénario lu : scenario.toml"
    # 10 000 dwellings x 57 h (hand computation: floor(80,000 x 0.4 x 0.05 / 28))
    assert "570\u202f000 heures d'insertion" in "\n".join(rest)


def test_without_init_copy_the_reference_is_read_and_named(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["hours", "--json"], capsys)
    assert code == 0 and err == ""
    data = json.loads(out)  # stdout stays one JSON object, which names the file read
    assert data["scenario_file"].endswith("erbm-fiche-2023.toml")
    code, out, _ = run(["hours"], capsys)
    assert out.splitlines()[0].endswith("erbm-fiche-2023.toml")


def test_init_minimal_is_short_and_equals_the_reference(tmp_path, capsys):
    target = tmp_path / "short.toml"
    assert run(["init", str(target), "--minimal"], capsys)[0] == 0
    text = target.read_text(encoding="utf-8")
    assert len(text.splitlines()) < len(FICHE.read_text(encoding="utf-8").splitlines()) / 2
    short, full = sc.load(target), sc.load(FICHE)
    assert short.flow == full.flow and short.clause == full.clause and short.works == full.works
    assert short.provenance.origin("flow.preparation.share") == "default"
    assert short.provenance.origin("flow.facilitators.fte") == "file"


def _schema_leaves(table: Table, prefix: str = "") -> list[str]:
    out = []
    for name, key in table.keys.items():
        full = f"{prefix}.{name}" if prefix else name
        if isinstance(key.check, Table):
            out += _schema_leaves(key.check, full)
        elif isinstance(key.check, TableArray):
            out += _schema_leaves(key.check.table, f"{full}[]")
        else:
            out.append(full)
    return out


def test_scenario_without_flow_gets_the_reference_values_and_sources(tmp_path):
    """One source of defaults: every key the reference file gives in [clause] and [flow] is
    exactly what a scenario omitting it gets, with the reference's source note."""
    path = tmp_path / "m.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    s = sc.load(path)
    reference = tomllib.loads(FICHE.read_text(encoding="utf-8"))  # read independently
    rows = {k: (v, o) for k, v, o in report.parameters(s)}
    checked = 0
    for table in ("clause", "flow"):
        for key, value in leaves(reference[table], table):
            assert rows[key] == (value, "default"), key
            checked += 1
    assert checked > 30
    # the values reach the model's records: caseload and posts as in the file
    assert (
        s.flow.facilitators.caseload_per_fte
        == reference["flow"]["facilitators"]["caseload_per_fte"]
    )
    assert dict(s.flow.siae_posts) == reference["flow"]["siae"]["posts"]
    # and their sources travel with the scenario
    line = next(
        ln
        for ln in FICHE.read_text(encoding="utf-8").splitlines()
        if ln.startswith("caseload_per_fte")
    )
    comment = line.split("#", 1)[1].strip()  # the reference's inline note, read here
    assert comment in s.provenance.notes["flow.facilitators.caseload_per_fte"][1]
    html = report.assumptions_html(s, "fr")
    assert html_escape(comment) in html
    assert "ne porte pas de commentaires" not in html


def test_every_scenario_key_has_a_label_in_both_languages():
    for key in _schema_leaves(SCHEMA):
        assert key in i18n.PARAMETERS, key
        fr, en = i18n.PARAMETERS[key]
        assert fr and en, key


def test_provenance_is_read_once_at_load(tmp_path):
    """The report never reads the scenario file again: delete it after loading."""
    path = tmp_path / "s.toml"
    path.write_text(
        FICHE.read_text(encoding="utf-8").replace("# the fiche's hypothesis", "# NOTE-XYZ"),
        encoding="utf-8",
    )
    s = sc.load(path, ["clause.insertion_rate=0.07"])
    path.unlink()
    again = pickle.loads(pickle.dumps(s))  # and it survives worker processes
    for x in (s, again):
        html = report.assumptions_html(x, "fr")
        assert "NOTE-XYZ" in html
        rows = {k: o for k, _v, o in report.parameters(x)}
        assert rows["clause.insertion_rate"] == "set"
        assert rows["works[0].dwellings"] == "file"


def test_titles_follow_set(tmp_path, capsys):
    out = tmp_path / "r"
    code, stdout, _ = run(
        [
            "run",
            str(FICHE),
            "--set",
            "scenario.horizon_years=2",
            "--set",
            "works[0].dwellings=600",
            "--set",
            "flow.referrals.per_year=30",
            "-n",
            "2",
            "--bottleneck-replications",
            "0",
            "-q",
            "-o",
            str(out),
        ],
        capsys,
    )
    assert code == 0
    title = stdout.splitlines()[1]
    assert "works[0].dwellings = 600" in title and title.startswith("ERBM")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<h1>" in html and "works[0].dwellings = 600" in html.split("</h1>")[0]
    # the figures' source lines and the printable summary name the run too
    from sim.presentation import plots
    from sim.runner import replicate

    s = sc.load(FICHE, ["scenario.horizon_years=2", "works[0].dwellings=600"])
    assert "works[0].dwellings = 600" in s.title()
    pypdf = pytest.importorskip("pypdf")
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(str(out / "summary.pdf")).pages)
    assert "dwellings = 600" in " ".join(text.split())
    runs = replicate(s, 2, 1, 1)
    import dataclasses

    fig, _ = plots.hours_figure(dataclasses.replace(runs, scenario=s.title()), None, "fr")
    assert any("dwellings = 600" in t.get_text() for t in fig.texts)


@pytest.mark.parametrize(
    ("line", "hint"),
    [("insertion_rate = 0,05", "write 0.05"), ("fte_hours = 1 820", "write 1820")],
)
def test_french_numbers_get_a_hint(tmp_path, capsys, line, hint):
    text = FICHE.read_text(encoding="utf-8")
    key = line.split(" = ")[0]
    start = text.index(f"\n{key} = ") + 1
    end = text.index("\n", start)
    path = tmp_path / "fr.toml"
    path.write_text(text[:start] + line + text[end:], encoding="utf-8")
    code, _out, err = run(["hours", str(path)], capsys)
    assert code == 2 and err.count("\n") == 1
    assert str(path) in err and hint in err


def test_set_accepts_percent(capsys):
    s = sc.load(FICHE, ["clause.insertion_rate=7%"])
    assert s.clause.insertion_rate == pytest.approx(0.07)
    code, out, _ = run(["hours", str(FICHE), "--set", "clause.insertion_rate=10%"], capsys)
    # 80,000 x 0.4 x 0.10 / 28 = 114.28 -> 114 h a dwelling x 23,000
    assert code == 0 and "2\u202f622\u202f000 heures" in out


def test_free_text_per_language(tmp_path, capsys):
    path = tmp_path / "l.toml"
    path.write_text(
        MINIMAL.replace('name = "m"', 'name = { fr = "Scénario FR", en = "Scenario EN" }'),
        encoding="utf-8",
    )
    s = sc.load(path)
    assert s.title("fr") == "Scénario FR" and s.title("en") == "Scenario EN"
    assert run(["hours", str(path), "--lang", "en"], capsys)[1].splitlines()[1] == "Scenario EN"
    assert lookup(s.raw, "scenario.name")["en"] == "Scenario EN"


def test_lang_from_environment(monkeypatch, capsys):
    monkeypatch.setenv("CLAUSE_SIM_LANG", "en")
    code, out, _ = run(["hours", str(FICHE)], capsys)
    assert code == 0 and out.startswith("Scenario file read:") and "insertion hours" in out


def test_packaged_default_is_not_silent(tmp_path, monkeypatch, capsys):
    """A working copy's scenarios/ file is read (and named) rather than a packaged copy."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scenarios").mkdir()
    text = FICHE.read_text(encoding="utf-8").replace("dwellings = 23000", "dwellings = 10000")
    (tmp_path / "scenarios" / "erbm-fiche-2023.toml").write_text(text, encoding="utf-8")
    code, out, _ = run(["hours"], capsys)
    assert code == 0
    assert out.splitlines()[0] == f"Scénario lu : {Path('scenarios') / 'erbm-fiche-2023.toml'}"
    assert "570\u202f000 heures" in out


def test_the_scenario_as_run_keeps_each_source_and_runs_again(tmp_path, capsys):
    # results/<x>/scenario.toml: the same data, each value with its source note above it,
    # a --set key saying so with the file's value; rerun from it, its notes are read back
    args = ["-n", "2", "--bottleneck-replications", "0", "--set", "flow.facilitators.fte=4"]
    code, _out, _err = run(["run", str(FICHE), *args, "-o", str(tmp_path / "r")], capsys)
    assert code == 0
    text = (tmp_path / "r" / "scenario.toml").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[lines.index("dwellings = 23000") - 1] == "# the fiche's hypothesis"
    above = lines[: lines.index("fte = 4")]
    start = max(i for i, x in enumerate(above) if not x.startswith("# ") or "--set" in x)
    # (the run is French, the default: so is the note of the --set key)
    assert above[start].startswith("# défini par --set ; le fichier avait 3.0 : assumption: the")
    assert "[flow.operations.duration_days]" in text
    again = sc.load(tmp_path / "r" / "scenario.toml")
    original = sc.load(FICHE, ["flow.facilitators.fte=4"])
    assert tomllib.loads(again.to_toml()) == tomllib.loads(original.to_toml())
    assert again.provenance.notes["works[0].dwellings"][1] == "the fiche's hypothesis"
    assert "ANRU" in again.provenance.notes["clause.insertion_rate"][1]


@pytest.mark.parametrize(
    "override",
    [
        'works[0].name="Lot A\u2028Lot B"',  # a line separator for str.splitlines, not for TOML
        'scenario.name="a\u2029b\u0085c # [x] = 1 [[works]]"',
        "flow.siae.posts.etti=25",
    ],
)
def test_annotated_scenario_has_the_same_data(override):
    from sim.output import scenario_toml

    s = sc.load(FICHE, [override])
    text = scenario_toml(s)
    assert tomllib.loads(text) == tomllib.loads(s.to_toml())


def test_annotated_scenario_keeps_the_notes_of_value_tables_and_ranges():
    from sim.provenance import annotate

    s = sc.load(FICHE)
    lines = annotate(s.to_toml(), s.provenance, i18n.section("scenario_file")["en"]).split("\n")
    # a range of [uncertainty] (a quoted table name), and a table of distributions written as
    # sub-tables: each note above the first line of its table
    i = lines.index('[uncertainty."flow.referrals.per_year"]')
    assert lines[i - 1].startswith("# ") and "400" in " ".join(lines[i - 3 : i])
    j = lines.index("[flow.missions.weekly_hours_by_route.direct]")
    assert "Weekly hours by route" in " ".join(lines[j - 3 : j])


def test_a_long_line_in_a_multiline_string_is_read_in_linear_time():
    import signal

    from sim.provenance import source_notes

    text = 'x = """\na' + " " * 1_000_000 + 'b\n"""\ny = 1  # note\n'

    def late(_signum, _frame):
        raise TimeoutError("source_notes is not linear in the line length")

    old = signal.signal(signal.SIGALRM, late)
    signal.alarm(20)  # a hang check (quadratic: minutes), not a speed target
    try:
        assert source_notes(text)[1]["y"] == ("1", "note")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def test_annotate_by_hand():
    # a note above its key or table, once; a table's note above its first sub-table; items of
    # an array of tables counted; a --set key with and without the file's value; a replaced note
    from types import MappingProxyType

    from sim.provenance import Provenance, annotate

    text = (
        "top = 1\n\n[t]\na = 1\nb = 2\nc = 3\n\n[t.u.v]\nx = 1\n\n[t.u.w]\ny = 2\n\n"
        "[[arr]]\nn = 1\n\n[[arr]]\nn = 2\n\n[arr.sub]\nz = 3\n"
    )
    notes = {
        "top": ("1", "top note"),
        "t": ("", "table note"),
        "t.a": ("1", "a note"),
        "t.b": ("5", ""),
        "t.u": ("", "u note"),
        "arr[1].n": ("2", "second n"),
        "arr[1].sub": ("", "sub note"),
        "arr[1].sub.z": ("3", "z note"),
    }
    prov = Provenance(
        notes=MappingProxyType(notes), origins=MappingProxyType({"t.b": "set", "t.c": "set"})
    )
    words = i18n.section("scenario_file")["en"]
    got = annotate(text, prov, words, replaced={"t.a": "fitted"}).split("\n")
    assert got == [
        "# top note", "top = 1", "",
        "# table note", "[t]", "# fitted", "a = 1",
        "# set with --set; the file had 5", "b = 2", "# set with --set", "c = 3", "",
        "# u note", "[t.u.v]", "x = 1", "", "[t.u.w]", "y = 2", "",
        "[[arr]]", "n = 1", "", "[[arr]]", "# second n", "n = 2", "",
        "# sub note", "[arr.sub]", "# z note", "z = 3", "",
    ]  # fmt: skip


def test_source_notes_read_quoted_keys_and_tables_of_array_items():
    from sim.provenance import source_notes

    text = (
        '[uncertainty]\n"flow.a.b" = 1  # a range\n\n'
        "[[works]]\nx = 1\n[[works]]\n[works.sub.deep]\ny = 2  # deep\n"
    )
    notes = source_notes(text)[1]
    assert notes["uncertainty.flow.a.b"] == ("1", "a range")
    assert notes["works[1].sub.deep.y"] == ("2", "deep")


def test_source_notes_skip_the_lines_of_multiline_strings():
    from sim.provenance import source_notes

    text = (
        '[a]\ntext = """\nfake = 1  # not a key\n# not a note\n"""\n'
        "b = 2  # b's note\n"
        'esc = """x \\""" still open\nfake2 = 3  # no\n\\\\"""  # closed after two backslashes\n'
        "lit = '''\nfake3 = 4  # no\n'''\n"
        'one = """on one line"""  # one\n'
        # an escaped quote right before the end; a literal string ends even after a backslash;
        # the end, then a comment that quotes an escaped end
        'q = """\nx = 1  # no\n\\""""\n'
        "lit2 = '''\nx = 2  # no\n\\'''\n"
        'last = """\nx = 3  # no\nend"""  # see \\"""\n'
        'r = """\nx = 4  # no\nx\\"""y"""  # z\\"""\n'
        "c = 5  # c's note\n"
    )
    assert tomllib.loads(text)["a"]["q"] == 'x = 1  # no\n"'
    assert tomllib.loads(text)["a"]["r"] == 'x = 4  # no\nx"""y'
    notes = source_notes(text)[1]
    assert sorted(notes) == ["a.b", "a.c", "a.one"]
    assert notes["a.b"] == ("2", "b's note")
    assert notes["a.c"] == ("5", "c's note")


@pytest.mark.parametrize(
    "text",
    [
        # a multi-line string in an array, in a multi-line array, in an inline table
        'a = ["""\nb = 1  # inside\n"""]\nc = 2  # c\n',
        'a = [\n  "x",\n  """\nb = 1  # inside\n""",\n]\nc = 2  # c\n',
        '[scenario]\ndescription = { fr = """\nb = 1  # inside\n""" }\nc = 2  # c\n',
        # a second one opened on the closing line of the first
        'a = ["""\nx\n""", """\nb = 1  # inside\n"""]\nc = 2  # c\n',
        # a line separator inside a one-line string, beside three quotes: not a new line
        'a = \'x\u2028b = """\'\nc = 2  # c\n',
        # a comment right after a string's end: what it quotes opens nothing
        'a = """\nx"""#\'\'\'\nc = 2  # c\n',
        # a quote or a hash inside one-line strings, then a real multi-line string
        'a = ["#", "\\"", \'"""\', """\nb = 1  # inside\n"""]\nc = 2  # c\n',
    ],
)
def test_source_notes_skip_strings_wherever_they_stand(text):
    import tomllib

    from sim.provenance import source_notes

    data = tomllib.loads(text)
    assert "b" not in data and "b" not in data.get("scenario", {})
    notes = source_notes(text)[1]
    c = "scenario.c" if text.startswith("[scenario]") else "c"
    assert notes == {c: ("2", "c")}


def test_source_notes_by_hand():
    # the file's header (comment blocks before the first table, blank lines dropped); a key's
    # note: the block just above it, its inline comment, indented comment lines below it; a
    # block cut off by a blank line belongs to nothing
    from sim.provenance import source_notes

    text = (
        "\n# Title line\n# second\n\n# more header\n\n[scenario]\n# note of name\n"
        'name = "x"  # inline\n  # continued\n# not a continuation\n\n# b note,\n# two lines\n'
        "horizon_years = 2\nc = 3\n # indented by one space\n"
    )
    head, notes = source_notes(text)
    assert head == "Title line\nsecond\nmore header"
    assert notes == {
        "scenario.name": ('"x"', "note of name — inline continued"),
        "scenario.horizon_years": ("2", "b note, two lines"),
        "scenario.c": ("3", "indented by one space"),
    }
    assert source_notes("\n\n# only a header\n") == ("only a header", {})
    assert source_notes("# only a header, no last newline") == (
        "only a header, no last newline",
        {},
    )
