"""The ASGI application: the planner's page, the results pages and the HTTP API.

Everything is served from the package (templates, script, style): no CDN, no network.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import secrets
import time
import zipfile
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import fmt, jobs
from ..errors import ClauseSimError, ScenarioError
from ..jobs import MAX_REPLICATIONS
from ..presentation import i18n
from ..presentation.bottleneck import summary_sentence
from ..streams import DEFAULT_SEED
from .scenarios import MAX_BODY, form, form_of_scenario, from_request, scenario_from_text
from .store import Job, Store, safe_file

HERE = Path(__file__).resolve().parent
TOKEN_COOKIE = "clause_sim_token"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")

WEB = i18n.section("web")
"""The page's words (the translation table's ``web`` section), by language."""

YEARLY_COLUMNS = (
    "hours_offered",
    "hours_realised",
    "hours_lapsed",
    "fte_realised",
    "referrals",
    "intakes",
    "positive_exits",
)

DOWNLOADS = (
    ("report.html", "report"),
    ("results.xlsx", "workbook"),
    ("yearly.csv", ""),
    ("summary.json", ""),
    ("replications.csv", ""),
    ("comparison.csv", ""),
    ("comparison.json", ""),
    ("scenario.toml", "scenario_file"),
)


class BadRequest(Exception):
    """400 (or ``status``) with a one-line message: the ``err_<code>`` text of the translation
    table filled with ``values`` (English in ``message``, any language from :meth:`text`), and
    the scenario key it concerns, if any."""

    def __init__(self, code: str, key: str = "", status: int = 400, **values: Any) -> None:
        self.code, self.values, self.key, self.status = code, values, key, status
        self.message = self.text("en")
        super().__init__(self.message)

    def text(self, lang: str) -> str:
        """The message in ``lang``."""
        return WEB[i18n.norm(lang)][f"err_{self.code}"].format(**self.values)


# --------------------------------------------------------------------------------------------
# Guard: host check, access token, security headers


class Guard:
    """ASGI middleware: refuses unknown Host headers on loopback (DNS rebinding), checks the
    access token on every request when one is set, and adds security headers."""

    def __init__(self, app: ASGIApp, token: str | None, loopback: bool) -> None:
        self.app = app
        self.token = token
        self.loopback = loopback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if self.loopback and name not in LOOPBACK_HOSTS:
            await PlainTextResponse("unknown host", status_code=400)(scope, receive, send)
            return
        origin = headers.get("origin") or "null"
        foreign = origin != "null" and origin.split("://", 1)[-1] != host
        if scope.get("method") not in ("GET", "HEAD") and foreign:  # another site: refused
            refused = JSONResponse({"error": "cross-origin request refused"}, status_code=403)
            await refused(scope, receive, send)
            return
        set_cookie = False
        if self.token is not None:
            given = _token_of(scope, headers)
            if given is None or not secrets.compare_digest(given[0], self.token):
                await _unauthorised(scope)(scope, receive, send)
                return
            set_cookie = given[1] == "query"

        async def send_wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                h = MutableHeaders(scope=message)
                h.setdefault("X-Content-Type-Options", "nosniff")
                h.setdefault("Referrer-Policy", "no-referrer")
                h.setdefault("X-Frame-Options", "SAMEORIGIN")
                h.setdefault(
                    "Content-Security-Policy",
                    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                    "script-src 'self'; connect-src 'self'; frame-ancestors 'self'",
                )
                h.setdefault("Cache-Control", "no-store")
                if set_cookie and self.token is not None:
                    h.append(
                        "Set-Cookie",
                        f"{TOKEN_COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict",
                    )
            await send(message)

        await self.app(scope, receive, send_wrapped)


def _token_of(scope: Scope, headers: Headers) -> tuple[str, str] | None:
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip(), "header"
    from urllib.parse import parse_qs

    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get("token"):
        return query["token"][0], "query"
    for part in headers.get("cookie", "").split(";"):
        k, _, v = part.strip().partition("=")
        if k == TOKEN_COOKIE and v:
            return v, "cookie"
    return None


def _unauthorised(scope: Scope) -> Response:
    if str(scope.get("path", "")).startswith("/api/"):
        return JSONResponse({"error": "access token required"}, status_code=401)
    return PlainTextResponse(
        "Access token required: open the address printed by clause-sim serve "
        "(…/?token=…).\nJeton d'accès requis : ouvrez l'adresse affichée par clause-sim serve.",
        status_code=401,
    )


# --------------------------------------------------------------------------------------------
# Helpers


async def read_body(request: Request) -> bytes:
    """The request body, refused (413) beyond :data:`MAX_BODY` before reading it all."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY:
        raise BadRequest("body", status=413, n=MAX_BODY)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise BadRequest("body", status=413, n=MAX_BODY)
    return bytes(body)


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise BadRequest("whole", key=name, name=name, value=repr(text)) from None
    if not low <= value <= high:
        raise BadRequest("range", key=name, name=name, low=low, high=high, value=value)
    return value


def _lang(request: Request) -> str:
    q = request.query_params.get("lang")
    return i18n.norm(q if q is not None else request.cookies.get("lang"))


async def _scenario_request(request: Request) -> tuple[Any, str, str]:
    """The scenario of a request: a TOML body, or the page's JSON (shipped base + changes).

    Other content types (those a form on another site can send) are refused with 415."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in ("application/toml", "application/json"):
        raise BadRequest("ctype", status=415)
    body = await read_body(request)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("utf8") from None
    if ctype == "application/json":
        try:
            data = json.loads(text)
        except ValueError:
            raise BadRequest("json") from None
        if not isinstance(data, Mapping):
            raise BadRequest("object")
        return await run_in_threadpool(from_request, data)  # validation: off the event loop
    scenario = await run_in_threadpool(scenario_from_text, text, "scenario.toml")
    return scenario, text, "scenario.toml"


def _job_json(job: Job) -> dict[str, Any]:
    d = job.public()
    return {
        "id": d["id"],
        "status": d["status"],
        "progress": d["progress"],
        "error": d["error"],
        "kind": d["kind"],
        "scenario": d["scenario"],
        "seed": d["seed"],
        "replications": d["replications"],
        "created": d["created"],
        "finished": d["finished"],
    }


def _stat(s: Mapping[str, Any] | None, dec: int, lang: str, unit: str = "") -> str:
    if not isinstance(s, Mapping):
        return "–"
    u = f"{fmt.THIN_SPACE if lang == 'fr' else ' '}{unit}" if unit else ""
    text = f"{fmt.number(s.get('mean'), dec, lang)}{u}"
    if s.get("ci_low") is not None and s.get("ci_high") is not None:
        ci = WEB[lang]["ci"]
        text += (
            f" ({ci} {fmt.number(s['ci_low'], dec, lang)} – {fmt.number(s['ci_high'], dec, lang)})"
        )
    return text


def error_text(exc: ClauseSimError, lang: str) -> str:
    """A command-line error for the page in ``lang``: the command line's words (English), a
    scenario error in ``lang`` ("<file>, clé <key> : ..." in French, the validator's message
    through :func:`sim.presentation.i18n.scenario_message`)."""
    if not isinstance(exc, ScenarioError):
        return str(exc)
    t = WEB[i18n.norm(lang)]
    message = i18n.scenario_message(exc.message, lang)
    if exc.key:
        return t["err_where"].format(file=exc.file, key=exc.key, message=message)
    return t["err_file"].format(file=exc.file, message=message)


def key_figures(summary: Mapping[str, Any], lang: str) -> list[tuple[str, str]]:
    """The results page's key figures (label, formatted value)."""
    from ..presentation.tables import busiest_resource, resource_label

    t = WEB[lang]
    horizon = int(summary.get("horizon_years") or 1)
    fte_per_year = (summary["fte_realised"]["mean"] or 0) / horizon
    res, share = busiest_resource(summary)
    return [
        (
            t["clause_hours"],
            f"{fmt.number(summary['clause_hours_total'], 0, lang)} h, "
            f"{fmt.number(summary['clause_fte_total'], 0, lang)} {t['fte']}",
        ),
        (t["hours_realised"], _stat(summary["hours_realised"], 0, lang, "h")),
        (
            t["fte_realised"],
            f"{_stat(summary['fte_realised'], 1, lang)}; "
            f"{fmt.number(fte_per_year, 1, lang)} {t['fte_per_year']}",
        ),
        (t["positive_exits"], _stat(summary["positive_exits"], 0, lang)),
        (t["lapsed_share"], fmt.percent(summary["lapsed_share"]["mean"], 1, lang)),
        (t["busiest"], f"{resource_label(res, lang)} ({fmt.percent(share, 0, lang)})"),
    ]


def yearly_table(summary: Mapping[str, Any], lang: str) -> tuple[list[str], list[list[str]]]:
    """Head and rows of the results page's yearly table (means)."""
    from ..results import METRICS

    t = WEB[lang]
    cols = [c for c in YEARLY_COLUMNS if c in METRICS]
    head = [t["year"], t["clause_hours"]]
    head += [i18n.metric_label(c, lang) for c in cols]
    rows = []
    for y in summary.get("years", []):
        row = [str(y["year"]), fmt.number(y.get("clause_hours"), 0, lang)]
        for c in cols:
            s = y.get(c)
            dec = 1 if c.startswith("fte") else 0
            row.append(fmt.number(s.get("mean") if isinstance(s, Mapping) else None, dec, lang))
        rows.append(row)
    return head, rows


def compare_table(data: Mapping[str, Any], lang: str) -> tuple[list[str], list[list[str]]]:
    """Head and rows of a comparison's key metrics: means, then differences with intervals."""
    from ..presentation.report import num
    from ..results import KEY_COMPARE_METRICS, METRICS

    t = WEB[lang]
    names = [s["label"] for s in data["scenarios"]]
    head = [t["scenario"], *names, *[f"{t['difference']} {b} − {names[0]}" for b in names[1:]]]
    by = {r["metric"]: r for r in data["metrics"]}
    rows = []
    for m in KEY_COMPARE_METRICS:
        if m not in by or m not in METRICS:
            continue
        r, unit = by[m], METRICS[m].unit
        cells = [i18n.metric_label(m, lang)]
        cells += [num(v, unit, lang) for v in r["means"]]
        for d in r["diffs"]:
            cells.append(
                f"{num(d['mean'], unit, lang)} [{num(d['ci_low'], unit, lang)} ; "
                f"{num(d['ci_high'], unit, lang)}]"
            )
        rows.append(cells)
    return head, rows


def _figure_label(stem: str, lang: str) -> str:
    name = stem.split("-", 1)[1] if stem[:1].isdigit() and "-" in stem else stem
    return WEB[lang].get(f"fig_{name}", name.replace("-", " "))


def _zip(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder).as_posix()
            if path.is_symlink() or not path.is_file() or safe_file(folder, rel) is None:
                continue
            z.write(path, rel)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# The application


def create_app(
    data: Path,
    *,
    workers: int = 1,
    token: str | None = None,
    loopback: bool = True,
    jobs_per_run: int | None = None,
) -> ASGIApp:
    """The server's ASGI application over the runs stored under ``data``."""
    store = Store(Path(data), workers, jobs_per_run)
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["number"] = lambda x, d=0, lang="fr": fmt.number(x, d, lang)
    env.filters["when"] = lambda t: time.strftime("%Y-%m-%d %H:%M", time.localtime(t or 0))

    def page(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        lang = _lang(request)
        html = env.get_template(name).render(
            t=WEB[lang],
            lang=lang,
            other="en" if lang == "fr" else "fr",
            path=request.url.path,
            **ctx,
        )
        response = HTMLResponse(html, status_code=status)
        if request.query_params.get("lang") in i18n.LANGS:
            response.set_cookie("lang", lang, samesite="strict", httponly=True)
        return response

    def problem(exc: BadRequest | ClauseSimError, lang: str) -> tuple[dict[str, Any], int]:
        """``{"error": the command line's words, "message": the same in lang, "key"}``."""
        if isinstance(exc, BadRequest):
            body = {"error": exc.message, "message": exc.text(lang), "key": exc.key or None}
            return body, exc.status
        key = exc.key if isinstance(exc, ScenarioError) else None
        return {"error": str(exc), "message": error_text(exc, lang), "key": key or None}, 400

    def error(exc: BadRequest | ClauseSimError, request: Request) -> JSONResponse:
        body, status = problem(exc, _lang(request))
        return JSONResponse(body, status_code=status)

    # ---- pages

    async def index(request: Request) -> Response:
        base = request.query_params.get("base")
        return page(
            request,
            "index.html",
            form=form(base),
            runs=store.runs(),
            max_replications=MAX_REPLICATIONS,
            default_seed=DEFAULT_SEED,
        )

    async def run_page(request: Request) -> Response:
        job = store.get(request.path_params["run_id"])
        lang = _lang(request)
        if job is None:
            return page(request, "missing.html", status=404)
        ctx: dict[str, Any] = {"job": job}
        out = store.out(job.id)
        if job.status == "done" and out.is_dir():
            figures = sorted(p for p in (out / "figures").glob("*.svg"))
            ctx["figures"] = [(f"figures/{p.name}", _figure_label(p.stem, lang)) for p in figures]
            ctx["downloads"] = [
                (name, WEB[lang].get(key, name) if key else name)
                for name, key in DOWNLOADS
                if (out / name).is_file()
            ]
            if job.kind == "compare":
                data = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
                ctx["table"] = compare_table(data, lang)
            else:
                summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
                ctx["figures_key"] = key_figures(summary, lang)
                ctx["constraint"] = summary_sentence(summary, lang) or None
                ctx["table"] = yearly_table(summary, lang)
        return page(request, "run.html", **ctx)

    async def docs(request: Request) -> Response:
        return page(request, "docs.html", max_body=MAX_BODY, max_replications=MAX_REPLICATIONS)

    # ---- API

    async def api_form(request: Request) -> Response:
        return JSONResponse(form(request.query_params.get("base")))

    async def api_form_of(request: Request) -> Response:
        """The form filled from an uploaded scenario (TOML, or the page's JSON with ``toml``)."""
        try:
            scenario, text, name = await _scenario_request(request)  # validated once, here
            return JSONResponse(await run_in_threadpool(form_of_scenario, scenario, text, name))
        except (BadRequest, ClauseSimError) as exc:
            return error(exc, request)

    async def api_hours(request: Request) -> Response:
        from ..hours import compute

        try:
            scenario, _text, _name = await _scenario_request(request)
            return JSONResponse(compute(scenario).to_dict())
        except (BadRequest, ClauseSimError) as exc:
            return error(exc, request)

    async def api_check(request: Request) -> Response:
        """The page's instant check: always 200, ``{"hours"}`` or ``{"error", "key"}`` (so a
        value being typed is not a failed request in the browser's console)."""
        from ..hours import compute

        try:
            scenario, _text, _name = await _scenario_request(request)
            return JSONResponse({"hours": compute(scenario).to_dict()})
        except (BadRequest, ClauseSimError) as exc:
            return JSONResponse({"hours": None, **problem(exc, _lang(request))[0]})

    async def api_submit(request: Request) -> Response:
        try:
            replications = _int_param(request, "replications", 200, 1, MAX_REPLICATIONS)
            seed = _int_param(request, "seed", DEFAULT_SEED, 0, 2**63 - 1)
            bottleneck = _int_param(request, "bottleneck", 20, 0, MAX_REPLICATIONS)
            lang_q = request.query_params.get("lang", "fr")
            if lang_q not in i18n.LANGS:
                raise BadRequest("lang", value=repr(lang_q))
            scenario, text, name = await _scenario_request(request)
            jobs.check_size(scenario, replications, bottleneck)  # before any work
        except (BadRequest, ClauseSimError) as exc:
            return error(exc, request)
        job = store.submit(
            "run",
            [text],
            [name],
            title=scenario.name,
            seed=seed,
            replications=replications,
            lang=lang_q,
            bottleneck_replications=bottleneck,
        )
        return JSONResponse({"id": job.id, "status": "queued"}, status_code=202)

    async def api_compare(request: Request) -> Response:
        try:
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != "application/json":
                raise BadRequest("ctype_json", status=415)
            body = await read_body(request)
            try:
                data = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                raise BadRequest("json") from None
            ids = data.get("runs") if isinstance(data, Mapping) else None
            if not isinstance(ids, list) or len(ids) < 2 or len(ids) > 6:
                raise BadRequest("runs")
            jobs_ = [store.get(str(i)) for i in ids]
            if any(j is None for j in jobs_):
                return JSONResponse({"error": "no such run"}, status_code=404)
            chosen = [j for j in jobs_ if j is not None]
            if any(j.kind != "run" or j.status != "done" for j in chosen):
                raise BadRequest("finished")
            lang_q = i18n.norm(request.query_params.get("lang"))
        except BadRequest as exc:
            return error(exc, request)
        from ..analysis.compare import labels_for

        texts = [store.inputs(j.id)[0] for j in chosen]
        names = [f"{j.id}.toml" for j in chosen]
        # short labels (folders, legends, table heads): the start of each scenario's name
        tags = labels_for([re.sub(r"[./\\]", "_", j.scenario)[:24] for j in chosen])
        first = chosen[0]
        job = store.submit(
            "compare",
            texts,
            names,
            title=" / ".join(j.scenario for j in chosen),
            seed=first.seed,
            replications=first.replications,
            lang=lang_q,
            bottleneck_replications=0,
            labels=tags,
            sources=[j.id for j in chosen],
        )
        return JSONResponse({"id": job.id, "status": "queued"}, status_code=202)

    async def api_list(request: Request) -> Response:
        return JSONResponse({"runs": [_job_json(j) for j in store.runs()]})

    async def api_get(request: Request) -> Response:
        job = store.get(request.path_params["run_id"])
        if job is None:
            return JSONResponse({"error": "no such run"}, status_code=404)
        return JSONResponse(_job_json(job))

    async def api_delete(request: Request) -> Response:
        job = store.cancel_or_delete(request.path_params["run_id"])
        if job is None:
            return JSONResponse({"error": "no such run"}, status_code=404)
        return JSONResponse(_job_json(job))

    async def api_file(request: Request) -> Response:
        job = store.get(request.path_params["run_id"])
        if job is None or job.status != "done":
            return JSONResponse({"error": "no such run"}, status_code=404)
        path = safe_file(store.out(job.id), request.path_params["name"])
        if path is None:
            return JSONResponse({"error": "no such file"}, status_code=404)
        disposition = "inline" if path.suffix in (".svg", ".png", ".html") else "attachment"
        response = FileResponse(path, content_disposition_type=disposition, filename=path.name)
        if path.suffix in (".html", ".svg"):  # shown as documents: no script, no network
            response.headers["Content-Security-Policy"] = (
                "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"
            )
        return response

    async def api_zip(request: Request) -> Response:
        job = store.get(request.path_params["run_id"])
        if job is None or job.status != "done":
            return JSONResponse({"error": "no such run"}, status_code=404)
        data = _zip(store.out(job.id))
        name = f"clause-sim-{job.id}.zip"
        return Response(
            data,
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def favicon(_request: Request) -> Response:
        return Response(status_code=204)

    routes = [
        Route("/", index),
        Route("/runs/{run_id}", run_page),
        Route("/docs", docs),
        Route("/favicon.ico", favicon),
        Route("/api/form", api_form),
        Route("/api/form", api_form_of, methods=["POST"]),
        Route("/api/hours", api_hours, methods=["POST"]),
        Route("/api/check", api_check, methods=["POST"]),
        Route("/api/runs", api_submit, methods=["POST"]),
        Route("/api/runs", api_list, methods=["GET"]),
        Route("/api/compare", api_compare, methods=["POST"]),
        Route("/api/runs/{run_id}", api_get, methods=["GET"]),
        Route("/api/runs/{run_id}", api_delete, methods=["DELETE"]),
        Route("/api/runs/{run_id}/zip", api_zip, methods=["GET"]),
        Route("/api/runs/{run_id}/files/{name:path}", api_file, methods=["GET"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]

    async def not_found(request: Request, _exc: Exception) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "not found"}, status_code=404)
        return page(request, "missing.html", status=404)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        store.shutdown()

    app = Starlette(routes=routes, exception_handlers={404: not_found}, lifespan=lifespan)
    app.state.store = store
    return Guard(app, token, loopback)
