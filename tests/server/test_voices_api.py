"""The voices API end to end (``GET/POST/DELETE /v1/audio/voices``): a real ``tts-run serve`` process
on 127.0.0.1 with the tiny CustomVoice + Base engines; uploads are WAV files of a generated
speech-like signal. Saved voices belong to the key that uploaded them; CLI voices are shared."""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import numpy as np
import openai
import pytest
import soundfile as sf
from typer.testing import CliRunner

from qtts.cli import app
from qtts.runtime.conformance import synthetic_audio
from qtts.runtime.voices import SUFFIX, VoiceRegistry
from tests.server.harness import Server, start_server, stop_server

REF_TEXT = "Это эталонная запись голоса."
TEXT = "Hello from a saved voice."
SPEAK = {"seed": 4, "max_new_tokens": 6}  # short, reproducible audio
KEYS = """
[[keys]]
name = "alice"
key = "sk-alice"
[[keys]]
name = "bob"
key = "sk-bob"
"""


def _wav(seconds: float = 2.5, seed: int = 3, fmt: str = "WAV") -> bytes:
    """A speech-like test signal (runtime.conformance) as a 24 kHz 16-bit file of format ``fmt``."""
    out = io.BytesIO()
    sf.write(out, synthetic_audio(seconds, seed=seed), 24000, format=fmt, subtype="PCM_16")
    return out.getvalue()


def _own_dir(voices: Path, key_name: str) -> Path:
    return voices / "keys" / hashlib.sha256(key_name.encode()).hexdigest()[:16]


@pytest.fixture(scope="module")
def voices_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("voices")


@pytest.fixture(scope="module")
def server(tiny_engines: dict[str, Path], voices_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Keys alice and bob (three voices each at most, 0.3 MB uploads); a shared voice ``pub`` saved by the CLI."""
    tmp = tmp_path_factory.mktemp("server")
    (tmp / "ref.wav").write_bytes(_wav(seed=7))
    add = ["voices", "add", "pub", "--ref-audio", str(tmp / "ref.wav"), "--x-vector-only"]
    r = CliRunner().invoke(app, [*add, "--engines", str(tiny_engines["base"]), "--voices-dir", str(voices_dir)])
    assert r.exit_code == 0, r.output
    (tmp / "keys.toml").write_text(KEYS)
    toml = f'[server]\nkeys_file = "{tmp / "keys.toml"}"\nmax_upload_mb = 0.3\nvoices_dir = "{voices_dir}"\nmax_voices_per_key = 3\n'
    s = start_server(tmp, [tiny_engines["custom_voice"], tiny_engines["base"]], toml)
    yield s
    stop_server(s)


def _http(server: Server, key: str | None) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=60, headers={"Authorization": f"Bearer {key}"} if key else {})


def _upload(h: httpx.Client, name: str | None, audio: bytes | None = None, **form: str) -> httpx.Response:
    """POST a voice: ``audio`` (default a 2.5 s WAV) as ``audio_sample``, consent given unless ``form`` says otherwise."""
    data = {"consent": "true", **form} | ({"name": name} if name is not None else {})
    return h.post("/v1/audio/voices", data=data, files={"audio_sample": ("ref.wav", audio if audio is not None else _wav(), "audio/wav")})


def _error(r: httpx.Response, status: int, param: str | None, code: str | None = None) -> str:
    """The OpenAI error body of ``r`` checked against ``status``, ``param`` and ``code``; its message."""
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert set(err) == {"message", "type", "param", "code"} and err["type"] == "invalid_request_error"
    assert err["param"] == param and (code is None or err["code"] == code), err
    return err["message"]


def _pcm(client: openai.OpenAI, model: str, voice: str, **extra: object) -> np.ndarray:
    """The decoded WAV of a short seeded synthesis (``extra``: more body fields)."""
    wav = client.audio.speech.create(model=model, voice=voice, input=TEXT, response_format="wav", extra_body=SPEAK | extra).content
    audio, rate = sf.read(io.BytesIO(wav), dtype="int16")
    assert rate == 24000
    return audio


def test_upload_list_speak_delete(server: Server, voices_dir: Path) -> None:
    ref = _wav()
    with _http(server, "sk-alice") as h:
        r = _upload(h, "anna", ref, ref_text=REF_TEXT, consent="I have the speaker's written consent")
        assert r.status_code == 200, r.text
        voice = r.json()["voice"]
        assert r.json()["success"] is True
        assert (voice["name"], voice["mode"], voice["ref_text"], voice["shared"], voice["models"]) == ("anna", "icl", REF_TEXT, False, ["tiny-base"])
        assert voice["file_size"] == len(ref) and voice["mime_type"] == "audio/wav" and voice["ref_seconds"] == 2.5
        assert voice["consent"] == "I have the speaker's written consent" and voice["consent_at"].endswith("Z")
        assert voice["engine"]["model_type"] == "base" and "russian" in voice["languages"]
        path = _own_dir(voices_dir, "alice") / f"anna{SUFFIX}"
        assert path.is_file()
        (saved,) = VoiceRegistry(path.parent).list()  # the consent record is in the voice file itself
        assert saved["info"]["consent"]["statement"] == voice["consent"] and saved["info"]["owner"] == "alice"

        listing = h.get("/v1/audio/voices").json()
        models = {m["id"]: m for m in h.get("/v1/models").json()["data"]}
    speakers = models["tiny-custom_voice"]["speakers"]
    assert listing["voices"] == [*speakers, "anna", "pub"]
    assert [b["name"] for b in listing["builtin_voices"]] == speakers
    assert all(b["type"] == "builtin" and b["models"] == ["tiny-custom_voice"] for b in listing["builtin_voices"])
    by_name = {v["name"]: v for v in listing["uploaded_voices"]}
    assert by_name["anna"] == voice and by_name["pub"]["shared"] is True and by_name["pub"]["mode"] == "x_vector_only"
    assert "ref_text" not in by_name["pub"] and by_name["pub"]["consent"] is None  # the CLI records no consent

    client = server.client("sk-alice")
    url = "data:audio/wav;base64," + base64.b64encode(ref).decode()
    direct = _pcm(client, model="tiny-base", voice="x", ref_audio=url, ref_text=REF_TEXT)
    by_voice = _pcm(client, model="tiny-base", voice="anna")
    assert len(by_voice) > 0 and np.array_equal(by_voice, direct)  # the saved voice is the reference's clone
    assert np.array_equal(_pcm(client, model="tts-1", voice="anna"), direct)  # a saved voice's name selects the Base engine

    with _http(server, "sk-alice") as h:
        r = h.delete("/v1/audio/voices/anna")
        assert r.status_code == 200 and r.json() == {"success": True, "message": "voice 'anna' deleted"}
        assert not path.exists()
        assert [v["name"] for v in h.get("/v1/audio/voices").json()["uploaded_voices"]] == ["pub"]
        _error(h.delete("/v1/audio/voices/anna"), 404, "name", "voice_not_found")
    with pytest.raises(openai.BadRequestError) as e:
        _pcm(client, model="tiny-base", voice="anna")
    assert e.value.body["param"] == "voice" and "unknown voice 'anna'" in e.value.message


def test_keys_see_only_their_own_voices(server: Server, voices_dir: Path) -> None:
    alice, bob = _http(server, "sk-alice"), _http(server, "sk-bob")
    with alice, bob:
        assert _upload(alice, "mine").status_code == 200  # x-vector only: no ref_text
        assert [v["name"] for v in bob.get("/v1/audio/voices").json()["uploaded_voices"]] == ["pub"]
        with pytest.raises(openai.BadRequestError) as e:
            _pcm(server.client("sk-bob"), model="tiny-base", voice="mine")
        assert "unknown voice 'mine' (saved voices: pub)" in e.value.message  # alice's voices are not named
        _error(bob.delete("/v1/audio/voices/mine"), 404, "name", "voice_not_found")
        assert (_own_dir(voices_dir, "alice") / f"mine{SUFFIX}").is_file()

        flac = {"file": ("bob.flac", _wav(seed=11, fmt="FLAC"), "application/octet-stream")}  # no declared type, as curl -F sends
        r = bob.post("/v1/audio/voices", data={"name": "mine", "consent": "yes"}, files=flac)  # the same name in bob's own namespace
        assert r.status_code == 200 and (r.json()["voice"]["mode"], r.json()["voice"]["mime_type"]) == ("x_vector_only", "audio/flac")
        a, b = (_pcm(server.client(k), model="tiny-base", voice="mine") for k in ("sk-alice", "sk-bob"))
        assert len(a) > 0 and len(b) > 0 and not np.array_equal(a, b)  # two different voices
        for key, h in (("sk-alice", alice), ("sk-bob", bob)):  # the CLI's voice is shared: every key uses it, none deletes it
            assert len(_pcm(server.client(key), model="tiny-base", voice="pub")) > 0
            _error(h.delete("/v1/audio/voices/pub"), 403, "name", "shared_voice")
        assert (voices_dir / f"pub{SUFFIX}").is_file()
        assert bob.delete("/v1/audio/voices/mine").status_code == 200
        assert alice.delete("/v1/audio/voices/mine").status_code == 200
        assert not list(voices_dir.glob(f"keys/*/*{SUFFIX}"))


def test_upload_errors(server: Server) -> None:
    with _http(server, "sk-alice") as h:
        assert "consent is required" in _error(_upload(h, "v", consent=""), 400, "consent", "consent_required")
        _error(_upload(h, "v", consent="false"), 400, "consent", "consent_required")
        assert "bad voice name" in _error(_upload(h, "../v"), 400, "name")
        _error(_upload(h, None), 400, "name")
        no_file = h.post("/v1/audio/voices", data={"name": "v", "consent": "true"}, files={"other": ("a.wav", _wav())})
        assert "audio_sample" in _error(no_file, 400, "audio_sample")
        assert "cannot read this audio" in _error(_upload(h, "v", b"RIFF not really a wav file"), 400, "audio_sample")
        assert "at least 1 s" in _error(_upload(h, "v", _wav(0.3)), 400, "audio_sample")
        assert "larger than 0.3 MB" in _error(_upload(h, "v", _wav(7.0)), 413, "audio_sample", "request_too_large")
        assert "needs a Base model" in _error(_upload(h, "v", model="tiny-custom_voice"), 400, "model")
        _error(_upload(h, "v", model="nope"), 404, "model", "model_not_found")
        assert "shared voice" in _error(_upload(h, "pub"), 409, "name", "voice_exists")

        assert _upload(h, "v", model="tiny-base").status_code == 200
        assert "already have a voice named 'v'" in _error(_upload(h, "v"), 409, "name", "voice_exists")
        assert _upload(h, "v2").status_code == 200 and _upload(h, "v3").status_code == 200
        assert "3 saved voices" in _error(_upload(h, "v4"), 403, None, "voice_limit_reached")
        for name in ("v", "v2", "v3"):
            assert h.delete(f"/v1/audio/voices/{name}").status_code == 200
    with _http(server, None) as h:
        assert h.get("/v1/audio/voices").status_code == 401
        assert _upload(h, "v").status_code == 401


@pytest.fixture(scope="module")
def open_server(tiny_engines: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    """No keys (one owner) and no Base engine; one voice saved by the CLI."""
    tmp = tmp_path_factory.mktemp("open")
    voices = tmp / "voices"
    (tmp / "ref.wav").write_bytes(_wav())
    add = ["voices", "add", "cli", "--ref-audio", str(tmp / "ref.wav"), "--x-vector-only", "--engines", str(tiny_engines["base"])]
    assert CliRunner().invoke(app, [*add, "--voices-dir", str(voices)]).exit_code == 0
    s = start_server(tmp, [tiny_engines["custom_voice"]], f'[server]\nvoices_dir = "{voices}"\n')
    yield s, voices
    stop_server(s)


def test_open_server_has_one_owner(open_server: tuple[Server, Path]) -> None:
    server, voices = open_server
    with _http(server, None) as h:
        assert "saving a voice needs a Base model" in _error(_upload(h, "v"), 400, "model")
        (cli,) = h.get("/v1/audio/voices").json()["uploaded_voices"]
        assert cli["name"] == "cli" and cli["shared"] is False and cli["models"] == []  # no served engine loads it
        assert h.delete("/v1/audio/voices/cli").status_code == 200
        assert not (voices / f"cli{SUFFIX}").exists()
