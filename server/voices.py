"""``/v1/audio/voices``: the calling key's saved voices (list, upload a reference, delete).

Shapes follow vLLM-Omni's voices API, which clients of Qwen3-TTS servers already read:

- ``GET`` -> ``{"voices": [every name usable as ``voice``], "uploaded_voices": [{name, consent,
  created_at (unix s), file_size (bytes uploaded), mime_type, ref_text?, speaker_description?, ...}],
  "builtin_voices": [{name, aliases, models, languages}]}``. ``voices`` lists the built-in speakers of
  the CustomVoice engines, then the saved voices; each saved voice says whether it is ``shared``,
  its ``mode`` (icl | x_vector_only), the ``engine`` identity it was encoded for, the served
  ``models`` it loads on and their ``languages``.
- ``POST`` (multipart): the reference audio as ``audio_sample`` (OpenAI's and vLLM-Omni's field) or
  ``file`` (wav, flac, ogg, mp3: whatever libsndfile reads), ``name``, ``consent`` (required: the
  caller attests the speaker's consent; recorded with a UTC timestamp and the key name), optional
  ``ref_text`` (the transcript: an ICL clone; without it an x-vector-only clone), ``model`` (the
  Base engine that encodes it; default the first one served), ``speaker_description``. Answers
  ``{"success": true, "voice": {...}}`` as listed.
- ``DELETE /v1/audio/voices/{name}`` -> ``{"success": true, "message": ...}``.

Ownership (server/engines.py): a key lists, uses and deletes only its own uploads; voices added with
``tts-run voices add`` are shared, usable (not deletable) by every key; another key's voice is
unknown (404), never revealed. An open server (no keys) has one owner: its uploads sit with the
CLI's voices. Errors (OpenAI's shape): 400 bad name, missing consent or file, unreadable or unusable
audio, no Base engine; 403 over ``max_voices_per_key`` or deleting a shared voice; 404 unknown model
or voice; 409 the name is taken; 413 the file is over ``max_upload_mb``.
"""

from __future__ import annotations

import asyncio
import calendar
import io
import mimetypes
import time
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile

from qtts.runtime.audio import load_audio
from qtts.runtime.errors import TTSError, VoiceError
from qtts.runtime.voices import VoiceExists, check_name, fits
from qtts.server.errors import APIError, error_responses, from_runtime

if TYPE_CHECKING:
    from qtts.runtime.voices import VoiceRegistry
    from qtts.server.app import ServerState
    from qtts.server.auth import ApiKey
    from qtts.server.engines import Models

router = APIRouter()
REFUSED_CONSENT = ("", "0", "false", "no", "off", "none", "null")


def _saved(models: Models, entry: dict[str, Any], shared: bool) -> dict[str, Any]:
    """One ``uploaded_voices`` item from a registry listing (``VoiceRegistry.list``)."""
    if "error" in entry:
        return {"name": entry["name"], "shared": shared, "error": entry["error"], "models": []}
    info = entry["info"]
    consent = info.get("consent") or {}
    usable = [m for m in models.models if m.synth.model_type == "base" and fits(entry["engine"], m.synth.engine)]
    item = {
        "name": entry["name"],
        "type": "saved",
        "shared": shared,
        "consent": consent.get("statement"),
        "consent_at": consent.get("at"),
        "created_at": calendar.timegm(time.strptime(entry["created"], "%Y-%m-%dT%H:%M:%SZ")),
        "file_size": info.get("file_size"),
        "mime_type": info.get("mime_type"),
        "mode": entry["mode"],
        "ref_seconds": entry["ref_seconds"],
        "engine": {k: v for k, v in entry["engine"].items() if k != "source_files"},
        "models": [m.name for m in usable],
        "languages": sorted({lang for m in usable for lang in m.synth.languages}),
    }
    optional = {"ref_text": entry["ref_text"], "speaker_description": info.get("speaker_description")}
    return item | {k: v for k, v in optional.items() if v is not None}


def _builtin(models: Models) -> list[dict[str, Any]]:
    """The built-in speakers of the served CustomVoice engines, with the OpenAI names mapped to them."""
    by_name: dict[str, dict[str, Any]] = {}
    for m in models.models:
        for speaker in m.synth.speakers:
            item = by_name.setdefault(speaker, {"name": speaker, "type": "builtin", "aliases": [], "models": [], "languages": set()})
            item["models"].append(m.name)
            item["languages"] |= set(m.synth.languages)
    for alias, speaker in sorted(models.voice_map.items()):
        if speaker.lower() in by_name:
            by_name[speaker.lower()]["aliases"].append(alias)
    return [item | {"languages": sorted(item["languages"])} for _, item in sorted(by_name.items())]


def _listing(models: Models, key: ApiKey) -> dict[str, Any]:
    saved = [_saved(models, e, models.per_key and r is models.shared) for r in models.registries(key) for e in r.list()]
    builtin = _builtin(models)
    names = [b["name"] for b in builtin] + [s["name"] for s in saved if "error" not in s]
    return {"voices": list(dict.fromkeys(names)), "uploaded_voices": saved, "builtin_voices": builtin}


@router.get("/v1/audio/voices")
async def list_voices(request: Request) -> dict[str, Any]:
    """The built-in speakers and the saved voices the calling key may use."""
    state: ServerState = request.app.state.server
    return await asyncio.get_running_loop().run_in_executor(state.executor, _listing, state.models, request.state.key)


@router.post("/v1/audio/voices", responses=error_responses(400, 403, 404, 409, 413))
async def create_voice(
    request: Request,
    name: Annotated[str, Form()],
    consent: Annotated[str | None, Form()] = None,
    ref_text: Annotated[str | None, Form()] = None,
    model: Annotated[str | None, Form()] = None,
    speaker_description: Annotated[str | None, Form()] = None,
    audio_sample: Annotated[UploadFile | None, File()] = None,
    file: Annotated[UploadFile | None, File()] = None,
) -> dict[str, Any]:
    """Encode an uploaded reference on a Base engine and save it as the calling key's voice ``name``."""
    state: ServerState = request.app.state.server
    key: ApiKey = request.state.key
    if consent is None or consent.strip().lower() in REFUSED_CONSENT:
        raise APIError(
            400, "consent is required: affirm that the speaker consented to the cloning of their voice (e.g. consent=true)",
            param="consent", code="consent_required",
        )
    try:
        check_name(name)
    except VoiceError as e:
        raise APIError(400, str(e), param="name", code="invalid_value") from None
    upload = audio_sample or file
    if upload is None:
        raise APIError(400, "the reference audio is missing: send it as the multipart file field audio_sample (or file)", param="audio_sample", code="invalid_value")
    engine = state.models.cloner(model)
    registry = state.models.registry(key)
    ref_text = (ref_text or "").strip() or None
    data = await upload.read()  # already received whole (the request body is limited by server.app's Gate)
    limit = state.models.max_upload_bytes
    if len(data) > limit:
        raise APIError(413, f"the audio file is larger than {limit / 1e6:g} MB", param="audio_sample", code="request_too_large")
    info = {
        "consent": {"statement": consent.strip(), "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
        "owner": key.name,
        "file_size": len(data),
        "mime_type": _mime_type(upload),
        **({"speaker_description": speaker_description} if speaker_description else {}),
    }

    def save() -> dict[str, Any]:  # worker thread: file checks, decoding, the encoders
        _check_room(state, registry, name)
        pcm, sr = load_audio(io.BytesIO(data))
        try:
            registry.add(name, engine.synth.engine, pcm, sr, ref_text=ref_text, x_vector_only=ref_text is None, info=info)
        except VoiceExists:  # saved meanwhile by a concurrent upload
            raise _taken(name) from None
        return next(e for e in registry.list() if e["name"] == name)

    try:
        entry = await asyncio.get_running_loop().run_in_executor(state.executor, save)
    except TTSError as e:
        raise from_runtime(e, param="audio_sample") from None
    return {"success": True, "voice": _saved(state.models, entry, shared=False)}


def _mime_type(upload: UploadFile) -> str:
    """The upload's declared type, else one guessed from its file name (curl -F declares none)."""
    declared = upload.content_type
    if declared and declared != "application/octet-stream":
        return declared
    return mimetypes.guess_type(upload.filename or "")[0] or "application/octet-stream"


def _taken(name: str) -> APIError:
    return APIError(409, f"you already have a voice named {name!r}; delete it first", param="name", code="voice_exists")


def _check_room(state: ServerState, registry: VoiceRegistry, name: str) -> None:
    """409 when the name is taken (by the key's own voice or a shared one), 403 when the key has its maximum."""
    shared = state.models.shared
    if registry.path(name).is_file():
        raise _taken(name)
    if registry is not shared and shared.path(name).is_file():
        raise APIError(409, f"{name!r} is the name of a shared voice; choose another name", param="name", code="voice_exists")
    cap = state.settings.server.max_voices_per_key
    if cap and len(registry.list()) >= cap:
        raise APIError(403, f"you have {cap} saved voices, the most one key may have; delete one first", code="voice_limit_reached")


@router.delete("/v1/audio/voices/{name}", responses=error_responses(403, 404))
async def delete_voice(name: str, request: Request) -> dict[str, Any]:
    """Delete the calling key's saved voice ``name``."""
    models: Models = request.app.state.server.models
    registry = models.registry(request.state.key)
    try:
        registry.remove(name)
    except VoiceError:  # not a valid name, or not this key's voice
        if registry is not models.shared and models.find_saved(name, request.state.key) is models.shared:
            raise APIError(403, f"{name!r} is a shared voice (tts-run voices add); remove it there", param="name", code="shared_voice") from None
        raise APIError(404, f"no saved voice named {name!r}", param="name", code="voice_not_found") from None
    return {"success": True, "message": f"voice {name!r} deleted"}
