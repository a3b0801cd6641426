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
