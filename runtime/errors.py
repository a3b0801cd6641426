"""Typed errors raised by the runtime."""


class TTSError(Exception):
    """Base class for every runtime failure (one line, user-facing)."""


class InputError(TTSError):
    """Bad user input: empty text, unknown speaker or language, missing reference transcript, ..."""


class EngineError(TTSError):
    """An engine directory is missing, incomplete, or was exported by other code or from other files."""


class ProviderError(TTSError):
    """The requested ONNX Runtime execution provider is not available or failed to load."""


class VoiceError(InputError):
    """A saved voice is unknown, has a bad name, is corrupt, or was made for another engine."""


class RequestTooLarge(InputError):
    """A request exceeds a per-request limit (text length, prompt length, frame cap); not retryable as is."""

    reason = "too_long"


class OverloadError(TTSError):
    """Refused at once because of load; ``reason``: queue_full | deadline_unreachable | shutting_down,
    ``retry_after_s``: seconds after which a retry should succeed (an estimate)."""

    def __init__(self, reason: str, retry_after_s: float):
        super().__init__(f"server busy ({reason}); retry after {retry_after_s:.1f} s")
        self.reason = reason
        self.retry_after_s = retry_after_s


class ExportError(Exception):
    """Base class for every export-side failure (one line, user-facing)."""


class CheckpointError(ExportError):
    """A checkpoint file is missing, truncated, corrupt, or has missing/extra/mis-shaped tensors."""


class UnsupportedModelError(ExportError):
    """The checkpoint is a model type or configuration this exporter does not support."""
