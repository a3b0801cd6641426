"""Typed errors raised while reading checkpoints and building engines."""


class ExportError(Exception):
    """Base class for every export-side failure (one line, user-facing)."""


class CheckpointError(ExportError):
    """A checkpoint file is missing, truncated, corrupt, or has missing/extra/mis-shaped tensors."""


class UnsupportedModelError(ExportError):
    """The checkpoint is a model type or configuration this exporter does not support."""
