"""ElevenLabs-compatible WebSocket `/v1/text-to-speech/{voice_id}/stream-input`."""

from fastapi import APIRouter

router = APIRouter()
