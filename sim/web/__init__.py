"""``clause-sim serve``: a page for planners and an HTTP API over the jobs layer.

Needs the optional extra ``app`` (``pip install 'clause-sim[app]'``): Starlette, uvicorn and
Jinja2. Runs are folders under the data folder (see :mod:`sim.web.store`).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import sys
from pathlib import Path

from ..errors import ClauseSimError

TOKEN_ENV = "CLAUSE_SIM_TOKEN"


def default_data() -> Path:
    """The user data folder: ``$XDG_DATA_HOME/clause-sim`` (``~/.local/share/clause-sim``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "clause-sim"


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_port(host: str, port: int) -> None:
    """Fail with one line now if ``host:port`` cannot be listened on."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ClauseSimError(f"--host {host}: {exc.strerror or exc}") from None
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(address)
        except OSError as exc:
            raise ClauseSimError(f"--port {port}: {exc.strerror or exc} on {host}") from None


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    data: str | Path | None = None,
    workers: int = 1,
    token: str | None = None,
    jobs: int | None = None,
) -> int:
    """Start the server (blocks until stopped); return the exit code.

    Any host but loopback needs an access token (``token`` or ``$CLAUSE_SIM_TOKEN``);
    ``token="generate"`` makes a random one and prints it in the address.
    """
    try:
        import uvicorn

        from .app import create_app
    except ImportError as exc:
        raise ClauseSimError(
            f"serve needs the optional extra 'app': pip install 'clause-sim[app]' ({exc.name} "
            f"is missing)"
        ) from None
    token = token or os.environ.get(TOKEN_ENV) or None
    if token == "generate":
        token = secrets.token_urlsafe(24)
    loopback = is_loopback(host)
    if not loopback and not token:
        raise ClauseSimError(
            f"--host {host}: listening beyond this machine needs an access token "
            f"(--token TOKEN, --token alone for a random one, or {TOKEN_ENV})"
        )
    if token is not None and len(token) < 16:
        raise ClauseSimError("--token: use at least 16 characters")
    _check_port(host, port)
    folder = Path(data) if data is not None else default_data()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ClauseSimError(f"{folder}: cannot write there: {exc.strerror or exc}") from None
    app = create_app(folder, workers=workers, token=token, loopback=loopback, jobs_per_run=jobs)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    sys.stderr.write(f"clause-sim serve: {url}  (runs in {folder}; Ctrl-C to stop)\n")
    sys.stderr.flush()
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    return 0
