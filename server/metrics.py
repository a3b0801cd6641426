"""HTTP metrics, in the runtime's registry (``runtime.metrics.REGISTRY``): one /metrics for both."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from qtts.runtime.metrics import REGISTRY, TTFA

HTTP_REQUESTS = Counter("qtts_http_requests", "HTTP requests by route and status", ["route", "status"], registry=REGISTRY)
HTTP_IN_FLIGHT = Gauge("qtts_http_in_flight", "HTTP requests being served (streams included)", registry=REGISTRY)
HTTP_TTFA = Histogram(
    "qtts_http_ttfa_seconds", "Request arrival to the first audio bytes sent", ["route"],
    buckets=TTFA._upper_bounds[:-1], registry=REGISTRY,
)
