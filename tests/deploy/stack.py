"""A loopback stand-in for the Kubernetes deployment: ``tts-run serve`` replicas behind Debian's nginx
(consistent hash of the ``X-Voice`` header, the Ingress example's proxy settings) and Debian's
Prometheus scraping them (the labels a ServiceMonitor gives: ``service``, ``pod``).

Everything listens on 127.0.0.1 and writes only under the test's temporary directory; the helpers
talk to the project through the ``tts-run`` command line and HTTP only."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx

from tests.server.harness import Server, free_port

NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
PROMETHEUS = shutil.which("prometheus")
SERVICE = "qtts"  # the Service name the ScaledObject's query selects on

NGINX_CONF = """
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log info;
{user}
events {{ worker_connections 512; }}
http {{
    access_log {tmp}/nginx-access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    upstream qtts {{
        hash $http_x_voice consistent;
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://qtts;
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_buffering off;
            proxy_read_timeout 3600s;
            proxy_send_timeout 3600s;
            proxy_next_upstream error timeout http_503 non_idempotent;
            proxy_next_upstream_tries 3;
        }}
    }}
}}
"""

PROMETHEUS_YML = """
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
scrape_configs:
  - job_name: {service}
    metrics_path: /metrics
    static_configs:
{targets}
"""


@dataclass
class Service:
    """A started helper process and its base URL."""

    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def tts_run(*args: str) -> None:
    """Run a ``tts-run`` command of this environment; AssertionError with its output on failure."""
    done = subprocess.run([str(Path(sys.executable).parent / "tts-run"), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def tiny_engine(tmp: Path) -> Path:
    """A random-weight tiny CustomVoice engine made by the command line (checkpoint, then export)."""
    tts_run("random-checkpoint", str(tmp / "checkpoint"), "--size", "tiny", "--variant", "custom_voice")
    tts_run("export", str(tmp / "checkpoint"), "--out", str(tmp / "engine"))
    return tmp / "engine"


def _wait(probe: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"{what} exited:\n{log.read_text()}"
        try:
            if probe():
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"{what} not up in {seconds} s:\n{log.read_text()}")


def start_nginx(tmp: Path, replicas: list[Server]) -> Service:
    """nginx on a free loopback port in front of ``replicas`` (no path outside ``tmp``)."""
    tmp.mkdir(parents=True, exist_ok=True)
    port = free_port()
    servers = "\n".join(f"        server {r.url.removeprefix('http://')} max_fails=1 fail_timeout=10s;" for r in replicas)
    user = "user root;" if os.geteuid() == 0 else ""  # workers stay root, so they can read the 0700 temp dir
    (tmp / "nginx.conf").write_text(NGINX_CONF.format(tmp=tmp, user=user, servers=servers, port=port))
    log = tmp / "nginx-error.log"
    proc = subprocess.Popen(
        [NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-e", str(log), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    nginx = Service(f"http://127.0.0.1:{port}", proc, log)
    _wait(lambda: httpx.get(f"{nginx.url}/health", timeout=2).status_code == 200, proc, log, "nginx")
    return nginx


def start_prometheus(tmp: Path, replicas: list[Server]) -> Service:
    """Prometheus scraping every replica's /metrics each second, labelled like a ServiceMonitor's targets."""
    tmp.mkdir(parents=True, exist_ok=True)
    port = free_port()
    targets = "\n".join(
        f"      - targets: ['{r.url.removeprefix('http://')}']\n        labels: {{service: {SERVICE}, pod: replica-{i}}}"
        for i, r in enumerate(replicas)
    )
    (tmp / "prometheus.yml").write_text(PROMETHEUS_YML.format(service=SERVICE, targets=targets))
    log = tmp / "prometheus.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={tmp / 'prometheus.yml'}", f"--storage.tsdb.path={tmp / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=1h", "--log.level=warn"],
            stdout=out, stderr=subprocess.STDOUT,
        )
    prom = Service(f"http://127.0.0.1:{port}", proc, log)
    _wait(lambda: httpx.get(f"{prom.url}/-/ready", timeout=2).status_code == 200, proc, log, "prometheus")
    return prom


def promql(prom: Service, query: str) -> float | None:
    """An instant query's single value (None when the result is empty)."""
    body = httpx.get(f"{prom.url}/api/v1/query", params={"query": query}, timeout=5).json()
    assert body["status"] == "success", body
    result = body["data"]["result"]
    assert len(result) <= 1, result
    return float(result[0]["value"][1]) if result else None
