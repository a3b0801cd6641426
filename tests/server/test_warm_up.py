"""The server's warm-up runs requests together, so the first burst of callers meets no first-use costs."""

from __future__ import annotations

from pathlib import Path

import pytest

from qtts.runtime.synthesizer import Synthesizer
from qtts.server.engines import Models


@pytest.mark.parametrize("streams", [1, 4])
def test_warm_up_runs_a_burst_through_the_scheduler(tiny_engines: dict[str, Path], tmp_path: Path, streams: int) -> None:
    synth = Synthesizer.from_engines(tiny_engines["custom_voice"], threads=1)
    try:
        Models([synth], {}, tmp_path, per_key=False, max_upload_bytes=1 << 20).warm_up(streams)
        totals = synth.scheduler.totals()
        assert synth.scheduler.active == 0 and synth.scheduler.waiting == 0  # nothing left behind
        prefilled = sum(batch * n for batch, (n, _) in totals["prefill"].items())
        assert prefilled == 1 + (streams if streams > 1 else 0)  # the single request, then the burst
        if streams > 1:
            assert max(totals["step"]) >= 2  # the burst's requests were stepped together
        else:
            assert max(totals["step"]) == 1
    finally:
        synth.close()
