"""Streaming time to first audio of ``POST /v1/audio/speech`` on each candidate ASGI server (dev-only).

The same app (``server.run.build_state`` + ``server.app.create_app``, default settings, one engine)
runs on uvicorn, hypercorn and granian, one process each on 127.0.0.1; the client (httpx2) speaks
HTTP/1.1 to all three and prior-knowledge h2c to the two that serve HTTP/2. Rounds alternate the
variants (the order rotates each round) so a shared, noisy machine weighs on them alike: compare the
ratios of one run, not absolute numbers across runs. Per variant and concurrency: TTFA (response
start to the first audio byte) p50/p95 over every request, and requests per second of wall time.

    tts-run random-checkpoint /tmp/tiny-cv && tts-run export /tmp/tiny-cv --out engines/tiny-custom_voice
    .venv/bin/python docs/bench/asgi_servers.py --engine engines/tiny-custom_voice --out docs/bench/asgi_servers.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import socket
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import httpx2 as httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SERVERS = ("uvicorn", "hypercorn", "granian")
VARIANTS = (("uvicorn", "http/1.1"), ("hypercorn", "http/1.1"), ("hypercorn", "h2c"), ("granian", "http/1.1"), ("granian", "h2c"))
BODY = {"model": "tts-1", "voice": "alloy", "input": "Hello there, how are you today?", "response_format": "pcm", "max_new_tokens": 36}


def host(server: str, port: int, engine: str) -> None:
    """Serve the app on ``server`` until killed (the bench's child process)."""
    sys.path.insert(0, str(ROOT))
    from qtts.cli import _normalizer
    from qtts.runtime.settings import RuntimeSettings, ServerSettings
    from qtts.server.app import create_app
    from qtts.server.run import build_state

    rt = RuntimeSettings()
    rt = RuntimeSettings(runtime=type(rt.runtime)(threads=1), scheduler=rt.scheduler)
    app = create_app(build_state([engine], rt, ServerSettings(), [], _normalizer()))
    if server == "uvicorn":
        import uvicorn

        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    elif server == "hypercorn":
        from hypercorn.asyncio import serve
        from hypercorn.config import Config

        config = Config()
        config.bind, config.loglevel = [f"127.0.0.1:{port}"], "WARNING"
        asyncio.run(serve(app, config))
    else:
        from granian.constants import HTTPModes, Interfaces
        from granian.server.embed import Server

        asyncio.run(Server(app, address="127.0.0.1", port=port, interface=Interfaces.ASGI, http=HTTPModes.auto, log_enabled=False).serve())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"{url}: server exited"
        try:
            if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready")


async def _one(client: httpx.AsyncClient, protocol: str) -> tuple[float, int]:
    """(TTFA in s, audio bytes) of one streamed request."""
    started = time.perf_counter()
    ttfa, size = 0.0, 0
    async with client.stream("POST", "/v1/audio/speech", json=BODY) as r:
        assert r.status_code == 200 and r.http_version.lower() == {"h2c": "http/2"}.get(protocol, protocol), (r.status_code, r.http_version)
        async for chunk in r.aiter_raw():
            if not size:
                ttfa = time.perf_counter() - started
            size += len(chunk)
    return ttfa, size


async def _batch(url: str, protocol: str, requests: int, concurrency: int) -> tuple[list[float], float]:
    """TTFAs of ``requests`` requests kept ``concurrency`` at a time, and the batch's wall time (s)."""
    h2 = protocol == "h2c"
    async with httpx.AsyncClient(base_url=url, http1=not h2, http2=h2, timeout=120) as client:
        await _one(client, protocol)  # connect (and warm) outside the timing
        gate = asyncio.Semaphore(concurrency)

        async def run() -> float:
            async with gate:
                ttfa, size = await _one(client, protocol)
                assert size > 0
                return ttfa

        started = time.perf_counter()
        ttfas = await asyncio.gather(*(run() for _ in range(requests)))
        return list(ttfas), time.perf_counter() - started


def _summary(ttfas: list[float], walls: list[float], requests: int) -> dict[str, float]:
    ms = np.array(ttfas) * 1000
    return {
        "ttfa_p50_ms": round(float(np.percentile(ms, 50)), 1), "ttfa_p95_ms": round(float(np.percentile(ms, 95)), 1),
        "requests_per_s": round(requests * len(walls) / sum(walls), 2), "requests": len(ttfas),
    }


def bench(engine: str, rounds: int, requests: int, concurrencies: list[int]) -> dict[str, object]:
    ports = {s: _free_port() for s in SERVERS}
    procs = {s: subprocess.Popen([sys.executable, __file__, "host", s, str(ports[s]), engine]) for s in SERVERS}
    try:
        for s in SERVERS:
            _wait_ready(f"http://127.0.0.1:{ports[s]}", procs[s])
        ttfas: dict[tuple[str, str, int], list[float]] = {}
        walls: dict[tuple[str, str, int], list[float]] = {}
        for r in range(rounds):
            for i in range(len(VARIANTS)):
                server, protocol = VARIANTS[(i + r) % len(VARIANTS)]
                for c in concurrencies:
                    t, wall = asyncio.run(_batch(f"http://127.0.0.1:{ports[server]}", protocol, requests, c))
                    ttfas.setdefault((server, protocol, c), []).extend(t)
                    walls.setdefault((server, protocol, c), []).append(wall)
                    print(f"round {r + 1} {server} {protocol} c={c}: p50 {np.median(t) * 1000:.0f} ms, {requests / wall:.2f} req/s", flush=True)
    finally:
        for p in procs.values():
            p.kill()
            p.wait()
    results = [
        {"server": s, "protocol": p, "concurrency": c, **_summary(ttfas[s, p, c], walls[s, p, c], requests)}
        for s, p in VARIANTS for c in concurrencies
    ]
    base = {row["concurrency"]: row for row in results if row["server"] == "uvicorn"}
    for row in results:
        b = base[row["concurrency"]]
        row["ttfa_p50_vs_uvicorn"] = round(row["ttfa_p50_ms"] / b["ttfa_p50_ms"], 3)
        row["throughput_vs_uvicorn"] = round(row["requests_per_s"] / b["requests_per_s"], 3)
    return {
        "what": "streamed POST /v1/audio/speech (pcm) on the tiny CustomVoice engine; TTFA = request sent to first audio byte",
        "request": BODY, "rounds": rounds, "requests_per_batch": requests,
        "machine": f"{platform.machine()}, {len(__import__('os').sched_getaffinity(0))} CPUs (shared)", "python": platform.python_version(),
        "versions": {p: version(p) for p in ("uvicorn", "hypercorn", "granian", "h2", "httpx2")},
        "results": results,
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "host":
        host(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", default=str(ROOT / "engines" / "tiny-custom_voice"))
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--requests", type=int, default=16, help="requests per batch (one batch per variant, concurrency and round)")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    report = bench(args.engine, args.rounds, args.requests, args.concurrency)
    text = json.dumps(report, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
