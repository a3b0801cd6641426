"""HTTP server over the runtime (``tts-run serve``; the ``server`` extra): OpenAI-compatible speech API.

Modules: ``app`` (ASGI app, request gate, state), ``speech`` (POST /v1/audio/speech), ``engines``
(models and voices), ``auth`` (keys, per-key limits), ``errors`` (OpenAI error shape), ``metrics``
(HTTP counters), ``encoders`` (streaming audio formats), ``tempo`` (``speed``), ``run`` (hypercorn:
HTTP/1.1 and HTTP/2, graceful drain).
The runtime never imports this package.
"""
