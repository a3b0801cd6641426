"""A real ``tts-run serve`` subprocess on 127.0.0.1 for the server tests: start, poll /ready, stop."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import openai


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def client(self, key: str | None = "sk-main", **kw: object) -> openai.OpenAI:
        return openai.OpenAI(api_key=key or "none", base_url=f"{self.url}/v1", max_retries=0, timeout=60, **kw)

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60)

    def wait_metric(self, prefix: str, value: float, seconds: float = 5.0) -> None:
        """Poll /metrics until the sample equals ``value`` (gauges change at the end of a scheduler iteration)."""
        deadline = time.monotonic() + seconds
        while (got := self.metric(prefix)) != value:
            assert time.monotonic() < deadline, f"{prefix} is {got}, expected {value}"
            time.sleep(0.02)

    def metric(self, prefix: str) -> float:
        """Sum of the /metrics samples whose line starts with ``prefix`` (a name, or a name and labels)."""
        body = httpx.get(f"{self.url}/metrics", timeout=10).text
        return sum(float(line.split()[-1]) for line in body.splitlines() if line.startswith(prefix) and line[len(prefix)] in " {,}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(tmp: Path, engines: list[Path], server_toml: str, *args: str, verify: ssl.SSLContext | None = None) -> Server:
    """``verify``: the server speaks TLS (its tls_cert in ``server_toml``) and this context trusts it."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "server.toml").write_text(server_toml)
    port = free_port()
    log = tmp / "server.log"
    cmd = [str(Path(sys.executable).parent / "tts-run"), "--log-format", "json", "--log-level", "info", "serve",
           "--config", str(tmp / "server.toml"), "--host", "127.0.0.1", "--port", str(port), "--threads", "1", *args]
    for e in engines:
        cmd += ["--engines", str(e)]
    env = {k: v for k, v in os.environ.items() if k != "QTTS_API_KEY"}
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    server = Server(f"{'https' if verify else 'http'}://127.0.0.1:{port}", proc, log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            if httpx.get(f"{server.url}/ready", timeout=2, verify=verify or True).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("server not ready in 90 s:\n" + log.read_text())


def self_signed(tmp: Path) -> tuple[Path, Path, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1 made by the ``openssl`` command: (cert.pem, key.pem,
    a client context that trusts it)."""
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key, ssl.create_default_context(cafile=str(cert))


def stop_server(server: Server) -> None:
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
        try:
            server.proc.wait(30)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait()
