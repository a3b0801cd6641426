"""WebSocket `/v1/audio/speech/stream`: text-in streaming sessions (the native protocol)."""

from fastapi import APIRouter

router = APIRouter()
