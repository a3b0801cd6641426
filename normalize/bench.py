"""Throughput benchmark: ``python -m normalize.bench [--kb N]`` prints JSON (KB of mixed text per second)."""

from __future__ import annotations

import json
import sys
import time

from .pipeline import Normalizer

_SAMPLE = (
    "В 2024 году компания продала 21 книгу за 1 500 рублей, а 1 мая 2024 г. выпустила iOS 17.2. "
    "До 3 км от центра, с 9:00 до 18:00, скидка 30%. Телефон 8-800-555-35-35, сайт www.example.ru. "
    "On Jan 5, 2024 Dr. Smith paid $1.5M for 3.14 acres; the 1990s were 50% cheaper. "
    "Python 3.11 runs 2x faster than in the 1st release, see https://example.com/docs. "
    "Температура -5 °C, вес 2,5 кг, XX век, в XIX веке, 3-й этаж, 1990-х годов.\n"
)


def run(kb: int = 512) -> dict[str, float]:
    text = _SAMPLE * max(1, kb * 1024 // len(_SAMPLE.encode()))
    lines = text.splitlines()
    norm = Normalizer()
    norm.normalize(lines[0])  # warm-up
    start = time.perf_counter()
    for line in lines:
        norm.normalize(line)
    line_s = time.perf_counter() - start
    start = time.perf_counter()
    norm.normalize(text)
    whole_s = time.perf_counter() - start
    size_kb = len(text.encode()) / 1024
    return {"input_kb": round(size_kb, 1), "lines": len(lines),
            "kb_per_s_lines": round(size_kb / line_s, 1), "kb_per_s_whole": round(size_kb / whole_s, 1)}


if __name__ == "__main__":
    kb = int(sys.argv[sys.argv.index("--kb") + 1]) if "--kb" in sys.argv else 512
    print(json.dumps(run(kb)))
