"""The HTTP API against a real ``clause-sim serve`` process on 127.0.0.1 (a free port):
submit, poll, fetch, cancel, bad input codes, traversal, the access token, restart."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import signal
import time
import zipfile

import pytest
from conftest import FICHE
from webserver import Server, running

from sim import cli
from sim import scenario as sc

if importlib.util.find_spec("starlette") is None or importlib.util.find_spec("uvicorn") is None:
    if os.environ.get("CI"):
        pytest.fail("CI is set but the 'app' extra is not installed", pytrace=False)
    pytest.skip("needs clause-sim[app]", allow_module_level=True)

SMALL = ["works[0].dwellings=2000", "scenario.horizon_years=3"]
TOML = "application/toml"


@pytest.fixture(scope="module")
def small_toml() -> str:
    return sc.load(FICHE, SMALL).to_toml()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running(tmp_path_factory.mktemp("serve") / "data") as s:
        yield s


@pytest.fixture(scope="module")
def done_run(server, small_toml):
    """A finished run: 3 replications, seed 11, no bottleneck diagnosis."""
    run_id = server.submit(small_toml, "?replications=3&seed=11&bottleneck=0")
    server.wait(run_id)
    return run_id


def test_submit_poll_fetch_and_same_numbers_as_the_cli(server, done_run, small_toml, tmp_path):
    status, job = server.json("GET", f"/api/runs/{done_run}")
    assert status == 200
    assert job["id"] == done_run and job["status"] == "done" and job["progress"] == 1.0
    assert job["error"] is None
    status, api_summary = server.json("GET", f"/api/runs/{done_run}/files/summary.json")
    assert status == 200
    # the command line on the same scenario, seed and replications
    scenario_file = tmp_path / "small.toml"
    scenario_file.write_text(small_toml, encoding="utf-8")
    out = tmp_path / "cli"
    argv = ["run", str(scenario_file), "-n", "3", "--seed", "11", "-o", str(out), "-q"]
    assert cli.main([*argv, "--bottleneck-replications", "0"]) == 0
    cli_summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    cli_summary.pop("scenario_file")
    api_summary.pop("scenario_file")
    assert api_summary == cli_summary
    status, headers, body = server.request("GET", f"/api/runs/{done_run}/files/yearly.csv")
    assert status == 200 and body.startswith(b"year,")
    status, _h, body = server.request("GET", f"/api/runs/{done_run}/files/figures/1-hours.svg")
    assert status == 200 and b"<svg" in body
    status, headers, body = server.request("GET", f"/api/runs/{done_run}/zip")
    assert status == 200 and headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert {"summary.json", "report.html", "scenario.toml", "yearly.csv"} <= set(names)
    assert any(n.startswith("figures/") for n in names)
    status, listing = server.json("GET", "/api/runs")
    assert status == 200 and done_run in [r["id"] for r in listing["runs"]]


def test_hours_at_once_as_the_cli(server, small_toml, capsys):
    status, hours = server.json("POST", "/api/hours", small_toml, headers={"Content-Type": TOML})
    assert status == 200
    capsys.readouterr()
    sets = [a for s in SMALL for a in ("--set", s)]
    assert cli.main(["hours", str(FICHE), "--json", *sets]) == 0
    from_cli = json.loads(capsys.readouterr().out)
    assert from_cli.pop("scenario_file") == str(FICHE)  # the CLI names the file it read
    assert hours == from_cli


def _cli_error(args: list[str], capsys) -> str:
    capsys.readouterr()
    assert cli.main(args) == 2
    return capsys.readouterr().err.strip()


def test_a_bad_scenario_gets_the_clis_message(server, small_toml, tmp_path, capsys):
    bad = small_toml.replace("insertion_rate = 0.05", "insertion_rate = 5")
    assert bad != small_toml
    path = tmp_path / "scenario.toml"
    path.write_text(bad, encoding="utf-8")
    cli_msg = _cli_error(["hours", str(path)], capsys)
    status, data = server.json("POST", "/api/runs", bad, headers={"Content-Type": TOML})
    assert status == 400
    # same words: "clause-sim: error: <path>: clause.insertion_rate: ..." vs "scenario.toml: ..."
    assert cli_msg == f"clause-sim: error: {path}: " + data["error"].removeprefix("scenario.toml: ")
    assert "clause.insertion_rate" in data["error"]
    status, data = server.json("POST", "/api/runs", "x = [", headers={"Content-Type": TOML})
    assert status == 400 and "not valid TOML" in data["error"]
    status, data = server.json("POST", "/api/runs", b"\xff\xfe", headers={"Content-Type": TOML})
    assert status == 400 and "UTF-8" in data["error"]


def test_the_pages_form_errors_name_their_field(server, capsys):
    body = json.dumps({"base": "erbm-fiche-2023", "set": {"clause.insertion_rate": "2"}})
    status, data = server.json(
        "POST", "/api/hours", body, headers={"Content-Type": "application/json"}
    )
    assert status == 400 and data["key"] == "clause.insertion_rate"
    # the page's instant check answers 200 with the same error and key
    status, check = server.json(
        "POST", "/api/check", body, headers={"Content-Type": "application/json"}
    )
    assert status == 200 and check["hours"] is None
    assert (check["error"], check["key"]) == (data["error"], data["key"])
    cli_msg = _cli_error(["hours", "--set", "clause.insertion_rate=2"], capsys)
    # the CLI blames --set; the words of the message are the same
    assert data["error"].split(": ", 2)[2] in cli_msg


def test_errors_in_the_pages_language(server, capsys):
    body = json.dumps({"base": "erbm-fiche-2023", "set": {"clause.insertion_rate": "2"}})
    head = {"Content-Type": "application/json"}
    cli_msg = _cli_error(["hours", "--set", "clause.insertion_rate=2"], capsys)
    words = cli_msg.split("clause.insertion_rate: ", 1)[1]  # the command line's own words...
    words = words.removesuffix(" (from --set clause.insertion_rate)")  # ...about its --set
    assert words == "must be a share between 0 and 1, got 2"
    _s, fr = server.json("POST", "/api/check?lang=fr", body, headers=head)
    # the French page words the validator's message in French, the English stays in "error"
    assert fr["message"] == (
        "erbm-fiche-2023.toml, clé clause.insertion_rate : "
        "doit être une part entre 0 et 1 ; reçu : 2"
    )
    assert fr["error"] == f"erbm-fiche-2023.toml: clause.insertion_rate: {words}"
    _s, en = server.json("POST", "/api/check?lang=en", body, headers=head)
    assert en["message"] == en["error"] == fr["error"]
    # the page's cookie gives the language when the query does not
    _s, by_cookie = server.json("POST", "/api/check", body, headers={**head, "Cookie": "lang=en"})
    assert by_cookie["message"] == en["message"]
    # the server's own checks are worded in full in either language
    status, bad = server.json("POST", "/api/runs?replications=0&lang=fr", body, headers=head)
    assert status == 400 and bad["key"] == "replications"
    assert bad["message"] == "replications : doit être entre 1 et 10000, reçu 0"
    assert bad["error"] == "replications: must be between 1 and 10000, got 0"
    status, bad = server.json("POST", "/api/runs?lang=fr", "{", headers=head)
    assert (status, bad["message"]) == (400, "requête : JSON invalide")


def test_the_form_is_filled_from_an_uploaded_scenario(server, small_toml):
    text = small_toml.replace("dwellings = 2000", "dwellings = 2000  # our own count")
    assert text != small_toml
    status, f = server.json("POST", "/api/form", text, headers={"Content-Type": TOML})
    assert status == 200 and f["file"] == "scenario.toml"
    fields = {x["key"]: x for g in f["groups"] for x in g["fields"]}
    assert fields["works[0].dwellings"]["value"] == "2000"  # SMALL, not the fiche's 23000
    assert fields["works[0].dwellings"]["source"] == "our own count"
    assert fields["scenario.horizon_years"]["value"] == "3"
    status, bad = server.json("POST", "/api/form?lang=fr", "x = [", headers={"Content-Type": TOML})
    assert status == 400 and bad["message"].startswith("scenario.toml : TOML invalide : ")
    assert bad["error"].startswith("scenario.toml: not valid TOML: ")
    # read as the command line reads a file: a huge number or deep nesting is a clear 400
    for text, words in (
        ("a = " + "1" * 5000, "scenario.toml : contient un nombre trop long pour être lu"),
        ("a = " + "[" * 3000 + "]" * 3000, "scenario.toml : imbriqué sur plus de 24 niveaux"),
    ):
        status, bad = server.json("POST", "/api/form?lang=fr", text, headers={"Content-Type": TOML})
        assert status == 400 and bad["message"].startswith(words), bad


@pytest.mark.parametrize(
    "query",
    ["?replications=0", "?replications=10001", "?replications=abc", "?seed=-1", "?lang=de"],
)
def test_bad_query_is_400(server, small_toml, query):
    status, data = server.json(
        "POST", f"/api/runs{query}", small_toml, headers={"Content-Type": TOML}
    )
    assert status == 400 and data["error"].split(":")[0] in query


def test_other_sites_cannot_post_here(server, small_toml):
    # what a form on another site can send: a "simple" content type, or a foreign Origin
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        status, _d = server.json("POST", "/api/runs", small_toml, headers={"Content-Type": ctype})
        assert status == 415, ctype
    status, _d = server.json(
        "POST",
        "/api/runs",
        small_toml,
        headers={"Content-Type": TOML, "Origin": "http://evil.example"},
    )
    assert status == 403
    assert (
        server.json("DELETE", "/api/runs/x" * 1, headers={"Origin": "http://evil.example"})[0]
        == 403
    )
    assert server.json("GET", "/api/runs")[1]["runs"] is not None


def test_compare_two_finished_runs(server, done_run, small_toml):
    more_staff = sc.load(FICHE, [*SMALL, "flow.facilitators.fte=6"]).to_toml()
    assert more_staff != small_toml
    other = server.submit(more_staff, "?replications=3&seed=11&bottleneck=0")
    server.wait(other)
    status, data = server.json(
        "POST",
        "/api/compare",
        json.dumps({"runs": [done_run, other]}),
        headers={"Content-Type": "application/json"},
    )
    assert status == 202
    server.wait(data["id"])
    status, comparison = server.json("GET", f"/api/runs/{data['id']}/files/comparison.json")
    assert status == 200 and comparison["replications"] == 3 and comparison["seed"] == 11
    assert len(comparison["scenarios"]) == 2
    by = {r["metric"]: r for r in comparison["metrics"]}
    assert by["referrals"]["diffs"][0]["mean"] == 0  # common random numbers: same referrals
    status, _h, body = server.request("GET", f"/runs/{data['id']}")
    assert status == 200 and b"<table>" in body
    status, data = server.json(
        "POST",
        "/api/compare",
        json.dumps({"runs": [done_run]}),
        headers={"Content-Type": "application/json"},
    )
    assert status == 400


def test_absurd_work_is_refused_before_any(server, small_toml):
    huge = small_toml.replace("dwellings = 2000", "dwellings = 2000000000")
    assert huge != small_toml
    before = len(server.json("GET", "/api/runs")[1]["runs"])
    status, data = server.json(
        "POST", "/api/runs?replications=10000", huge, headers={"Content-Type": TOML}
    )
    assert status == 400 and data["error"]
    assert len(server.json("GET", "/api/runs")[1]["runs"]) == before  # no run was queued


def test_a_body_over_one_mebibyte_is_413(server, small_toml):
    big = small_toml + "#" + "x" * (1 << 20)
    status, data = server.json("POST", "/api/runs", big, headers={"Content-Type": TOML})
    assert status == 413 and "1 MiB" in data["error"]
    status, _data = server.json("POST", "/api/hours", big, headers={"Content-Type": TOML})
    assert status == 413
    # a body just under the cap is read (and then refused as a scenario only if it is bad)
    ok = small_toml + "#" + "x" * ((1 << 20) - len(small_toml.encode()) - 2)
    status, _data = server.json("POST", "/api/hours", ok, headers={"Content-Type": TOML})
    assert status == 200


def test_unknown_ids_and_files_are_404(server, done_run):
    assert server.json("GET", "/api/runs/nosuchrun0000")[0] == 404
    assert server.json("DELETE", "/api/runs/nosuchrun0000")[0] == 404
    assert server.json("GET", f"/api/runs/{done_run}/files/nothing.csv")[0] == 404
    assert server.json("GET", "/api/runs/nosuchrun0000/files/summary.json")[0] == 404
    assert server.request("GET", "/runs/nosuchrun0000")[0] == 404


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "../../../../../../etc/passwd",
        "..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "%2Fetc%2Fpasswd",
        "//etc/passwd",
        "figures/../../job.json",
        "..%5C..%5Cjob.json",
        "outside",
    ],
)
def test_downloads_stay_in_the_run_folder(server, done_run, name):
    out = server.data / "runs" / done_run / "out"
    link = out / "outside"
    if not link.is_symlink():
        link.symlink_to("/etc/passwd")
    for prefix in (f"/api/runs/{done_run}/files/", "/api/runs/x/files/"):
        status, _h, body = server.request("GET", prefix + name)
        assert status == 404, (prefix + name, body[:80])
        assert b"root:" not in body
    status, _h, body = server.request("GET", f"/api/runs/..%2F..%2F{done_run}/files/passwd")
    assert status == 404


def test_cancel_then_delete(server, small_toml):
    run_id = server.submit(small_toml, "?replications=3000&bottleneck=0")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = server.json("GET", f"/api/runs/{run_id}")[1]
        if job["status"] == "running" and job["progress"] > 0:
            break
        time.sleep(0.1)
    assert job["status"] == "running" and 0 < job["progress"] < 1
    status, job = server.json("DELETE", f"/api/runs/{run_id}")
    assert status == 200
    job = server.wait(run_id, until=("cancelled",), timeout=30)
    assert job["progress"] < 1
    folder = server.data / "runs" / run_id
    assert not (folder / "out").exists()
    assert [p.name for p in folder.iterdir() if p.name.startswith(".out")] == []
    assert server.json("GET", f"/api/runs/{run_id}/files/summary.json")[0] == 404
    status, _ = server.json("DELETE", f"/api/runs/{run_id}")  # now deletes
    assert status == 200
    assert server.json("GET", f"/api/runs/{run_id}")[0] == 404
    assert not folder.exists()


def test_one_worker_queues_the_second_run(server, small_toml):
    first = server.submit(small_toml, "?replications=2000&bottleneck=0")
    second = server.submit(small_toml, "?replications=2&bottleneck=0")
    server.wait(first, until=("running",))
    time.sleep(0.5)
    assert server.json("GET", f"/api/runs/{second}")[1]["status"] == "queued"
    server.json("DELETE", f"/api/runs/{first}")
    server.wait(first, until=("cancelled",), timeout=30)
    server.wait(second, until=("running", "done"))  # its turn has come
    server.json("DELETE", f"/api/runs/{second}")


def test_scenario_text_is_escaped(server, small_toml):
    evil = small_toml.replace(
        'name = "test"' if 'name = "test"' in small_toml else "name = ",
        'name = "<script>alert(1)</script>" #',
        1,
    )
    run_id = server.submit(evil, "?replications=500&bottleneck=0")
    for path in ("/", f"/runs/{run_id}"):  # the list and the run's page (title, progress)
        status, _h, body = server.request("GET", path)
        assert status == 200
        assert b"<script>alert(1)" not in body and b"&lt;script&gt;alert(1)" in body
    server.json("DELETE", f"/api/runs/{run_id}")
    server.wait(run_id, until=("cancelled", "done"), timeout=60)


def test_unknown_host_header_is_refused_on_loopback(server):
    status, _h, _b = server.request("GET", "/api/runs", headers={"Host": "evil.example:80"})
    assert status == 400


def test_any_other_host_needs_a_token(tmp_path):
    data = tmp_path / "data"
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "sim", "serve", "--host", "0.0.0.0", "--data", str(data)],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "CLAUSE_SIM_TOKEN"},
    )
    assert proc.returncode == 2 and "access token" in proc.stderr
    assert "Traceback" not in proc.stderr
    token = "t0k3n-" + "x" * 20
    with running(data, host="0.0.0.0", env={"CLAUSE_SIM_TOKEN": token}) as s:
        for path in ("/api/runs", "/", "/docs", "/static/app.js"):
            assert s.request("GET", path)[0] == 401, path
        assert s.request("GET", "/api/runs", headers={"Authorization": "Bearer wrong"})[0] == 401
        ok = {"Authorization": f"Bearer {token}"}
        assert s.request("GET", "/api/runs", headers=ok)[0] == 200
        status, headers, _b = s.request("GET", f"/?token={token}")
        assert status == 200 and token in headers.get("set-cookie", "")
        cookie = {"Cookie": f"clause_sim_token={token}"}
        assert s.request("GET", "/static/app.js", headers=cookie)[0] == 200


def test_a_port_in_use_is_one_line(tmp_path):
    import socket
    import subprocess
    import sys

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "sim", "serve", "--port", str(port), "--data", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 2
    assert (
        proc.stderr.strip()
        == f"clause-sim: error: --port {port}: Address already in use on 127.0.0.1"
    )


def test_restart_lists_finished_runs_and_marks_interrupted_ones(tmp_path, small_toml):
    data = tmp_path / "data"
    s = Server(data)
    try:
        done = s.submit(small_toml, "?replications=2&seed=3&bottleneck=0")
        s.wait(done)
        before = s.request("GET", f"/api/runs/{done}/files/summary.json")[2]
        busy = s.submit(small_toml, "?replications=5000&bottleneck=0")
        s.wait(busy, until=("running",))
        time.sleep(0.5)
    finally:
        s.stop(signal.SIGKILL)  # a crash: no chance to clean up
    folder = data / "runs" / busy
    # the orphaned simulation notices its server is gone and stops at the next batch
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and list(folder.glob(".out.tmp-*")):
        time.sleep(0.1)
    with running(data) as s2:
        status, job = s2.json("GET", f"/api/runs/{done}")
        assert status == 200 and job["status"] == "done"
        assert s2.request("GET", f"/api/runs/{done}/files/summary.json")[2] == before
        status, job = s2.json("GET", f"/api/runs/{busy}")
        assert job["status"] == "failed" and "interrupted" in job["error"]
        assert not (folder / "out").exists()
        assert s2.json("GET", f"/api/runs/{busy}/files/summary.json")[0] == 404
        ids = [r["id"] for r in s2.json("GET", "/api/runs")[1]["runs"]]
        assert set(ids) == {done, busy}
    # a graceful stop during a run also leaves it failed (interrupted), never half-written
    with running(data) as s3:
        run_id = s3.submit(small_toml, "?replications=5000&bottleneck=0")
        s3.wait(run_id, until=("running",))
        assert s3.stop() == 0
    job = json.loads((data / "runs" / run_id / "job.json").read_text(encoding="utf-8"))
    assert job["status"] == "failed" and "interrupted" in job["error"]
    assert not (data / "runs" / run_id / "out").exists()


def test_docs_page_lists_the_api(server):
    status, _h, body = server.request("GET", "/docs")
    assert status == 200
    for route in (b"POST /api/runs", b"GET /api/runs/{id}", b"DELETE /api/runs/{id}", b"413"):
        assert route in body
