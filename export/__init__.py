"""Export: released Qwen3-TTS safetensors checkpoints -> ONNX engines (no torch)."""

EXPORTER_VERSION = "0.1.0"
