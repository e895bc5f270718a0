"""A real ``clause-sim serve`` process on 127.0.0.1 with a free port, for the web tests."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A server process; :meth:`request` sends raw HTTP (paths are not normalised)."""

    def __init__(
        self,
        data: Path,
        *args: str,
        env: Mapping[str, str] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.port = free_port()
        self.data = data
        self.log = data.parent / f"server-{self.port}.log"
        self._log = self.log.open("w")
        cmd = [sys.executable, "-m", "sim", "serve", "--host", host, "--port", str(self.port)]
        cmd += ["--data", str(data), "--jobs", "1", *args]
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._log.close()
                raise RuntimeError(f"server exited: {self.log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def request(
        self,
        method: str,
        path: str,
        body: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            data = body.encode("utf-8") if isinstance(body, str) else body
            conn.request(method, path, body=data, headers=dict(headers or {}))
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def json(self, method: str, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        status, _h, data = self.request(method, path, body, **kw)
        return status, json.loads(data) if data else None

    def submit(self, toml: str, query: str = "") -> str:
        status, data = self.json(
            "POST", f"/api/runs{query}", toml, headers={"Content-Type": "application/toml"}
        )
        assert status == 202, data
        assert data["status"] == "queued"
        return str(data["id"])

    def wait(self, run_id: str, until: tuple[str, ...] = ("done",), timeout: float = 120) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, job = self.json("GET", f"/api/runs/{run_id}")
            assert status == 200, job
            if job["status"] in until:
                return job
            if job["status"] in ("failed", "cancelled", "done"):
                raise AssertionError(f"run ended {job['status']}: {job['error']}")
            time.sleep(0.1)
        raise AssertionError(f"run {run_id} not {until} in {timeout} s")

    def stop(self, sig: int = signal.SIGINT) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return int(self.proc.returncode)


@contextlib.contextmanager
def running(data: Path, *args: str, **kw: Any) -> Iterator[Server]:
    server = Server(data, *args, **kw)
    try:
        yield server
    finally:
        server.stop()
