"""``tts-run``: export engines, synthesize, inspect, benchmark and check conformance.

Every failure the user can cause (bad text, unknown speaker, missing engine, bad checkpoint)
prints one line ``error: ...`` on stderr and exits with status 1.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Qwen3-TTS runtime (ONNX Runtime, no torch).")


@app.callback()
def _main(
    log_format: Annotated[str, typer.Option(help="Log format on stderr: text | json.")] = "",
    log_level: Annotated[str, typer.Option(help="debug | info | warning | error.")] = "",
) -> None:
    from qtts.runtime import logs
    from qtts.runtime.settings import RuntimeSettings, default_path, load

    s = _guard(lambda: load(RuntimeSettings, default_path("runtime.toml"), {"logging": {"format": log_format or None, "level": log_level or None}}))
    logs.configure(s.logging.format, s.logging.level)


def _fail(msg: str, code: int = 1) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code)


def _guard(fn):
    """Run ``fn``; turn the project's typed errors into one-line messages."""
    from qtts.runtime.errors import ExportError, TTSError

    try:
        return fn()
    except (TTSError, ExportError) as e:
        _fail(str(e))


def _runtime_settings(engines: Path | None, provider: str | None, threads: int | None):
    from qtts.runtime.settings import RuntimeSettings, default_path, load

    return _guard(
        lambda: load(
            RuntimeSettings,
            default_path("runtime.toml"),
            {"runtime": {"engines": str(engines) if engines else None, "provider": provider, "threads": threads}},
        )
    )


def _synthesizer(engines: Path | None, provider: str | None, threads: int | None):
    from qtts.runtime.synthesizer import Synthesizer

    s = _runtime_settings(engines, provider, threads)
    r = s.runtime
    normalizer = _normalizer()
    synth = _guard(
        lambda: Synthesizer.from_engines(
            r.engines, provider=r.provider, threads=r.threads or None, device_id=r.device_id, gpu_mem_limit_mb=r.gpu_mem_limit_mb,
            tokenizer_regex=r.tokenizer_regex, normalizer=normalizer, scheduler=s.scheduler,
        )
    )
    synth.default_max_frames = r.max_frames
    return synth, s


def _normalizer():
    """The text normalizer configured by model.toml's [normalize] table."""
    from qtts.normalize import NormalizationError, Normalizer
    from qtts.runtime.settings import ModelSettings, default_path, load

    settings = _guard(lambda: load(ModelSettings, default_path("model.toml")))
    try:
        return Normalizer(settings.normalize)
    except NormalizationError as e:
        _fail(f"[normalize] in model.toml: {e}")


@contextmanager
def _progress(description: str, total: int | None, enabled: bool = True):
    """A rich progress bar on stderr; yields ``advance(done, total=None)``."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    if not enabled:
        yield lambda *a, **k: None
        return
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
        console=Console(stderr=True), transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)

        def advance(done: int, total: int | None = None, description: str | None = None) -> None:
            bar.update(task, completed=done, **({"total": total} if total is not None else {}), **({"description": description} if description else {}))

        yield advance


# ---------------------------------------------------------------------------------------- export
@app.command("random-checkpoint")
def random_checkpoint(
    out: Annotated[Path, typer.Argument(help="Directory to write (released layout).")],
    size: Annotated[str, typer.Option(help="tiny | tiny-hd24 | 0.6b | 1.7b")] = "tiny",
    variant: Annotated[str, typer.Option(help="custom_voice | base | voice_design")] = "custom_voice",
    seed: int = 0,
    dtype: Annotated[str, typer.Option(help="Stored talker dtype: bf16 (as released) | f32")] = "bf16",
) -> None:
    """Write a RANDOM-WEIGHT checkpoint in the released layout (for tests, demo and speed work)."""
    from qtts.export.random_checkpoint import generate_checkpoint

    with _progress(f"generating {size} {variant}", None) as advance:
        path = _guard(lambda: generate_checkpoint(out, size, variant, seed=seed, dtype=dtype, progress=lambda name, done, total: advance(done, total)))
    typer.echo(f"wrote {path} (random weights, seed {seed}: it produces noise, not speech)")


@app.command("export")
def export_cmd(
    model: Annotated[str | None, typer.Argument(help="Checkpoint directory or hub id (default: configs/model.toml; empty = embedded random tiny model).")] = None,
    out: Annotated[Path | None, typer.Option(help="Engine directory (default: <engines_dir>/<model name>).")] = None,
    profile: Annotated[str | None, typer.Option(help="Precision profile: fp32 (reference) | cpu-int8 | cpu-int4 | fp16 | bf16 (CUDA).")] = None,
    force: Annotated[bool, typer.Option(help="Re-export even when the engine is up to date.")] = False,
) -> None:
    """Validate a checkpoint and build its ONNX engine directory."""
    if importlib.util.find_spec("onnx") is None:
        _fail("tts-run export builds graphs with the onnx package: pip install 'qwen3-tts-runtime[export]'")
    from qtts.export.exporter import default_engine_name, export_engine
    from qtts.export.random_checkpoint import generate_checkpoint
    from qtts.runtime.settings import ModelSettings, default_path, load

    s = _guard(lambda: load(ModelSettings, default_path("model.toml"), {"export": {"model": model, "profile": profile}})).export
    source = s.model
    if not source:
        source = str(Path("checkpoints") / "tiny-custom_voice")
        typer.echo(f"no model given: generating the embedded RANDOM-WEIGHT tiny model (seed {s.random_seed}) in {source}")
        _guard(lambda: generate_checkpoint(source, "tiny", "custom_voice", seed=s.random_seed))
    target = out or Path(s.engines_dir) / default_engine_name(source)
    with _progress("export", None) as advance:
        path = _guard(
            lambda: export_engine(
                source, target, profile=s.profile, force=force, progress=lambda stage, done, total: advance(done, total=total, description=stage)
            )
        )
    typer.echo(f"engine ready: {path}")


# ---------------------------------------------------------------------------------------- synth
def _read_text(text: str | None, text_file: Path | None) -> str:
    if text is not None and text_file is not None:
        _fail("give the text either as an argument or with --text-file, not both")
    if text_file is not None:
        try:
            return text_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            _fail(f"cannot read {text_file}: {e}")
    if text is None or text == "-":
        if sys.stdin.isatty():
            _fail("no text: pass it as an argument, with --text-file, or on stdin")
        return sys.stdin.read()
    return text


def pcm16(pcm):
    """float PCM in [-1, 1] -> little-endian int16 (the one quantizer for every output format)."""
    import numpy as np

    return np.round(np.clip(pcm, -1.0, 1.0) * 32767).astype("<i2")


def write_audio(pcm, sample_rate: int, out: str, fmt: str | None) -> None:
    """Write float PCM to ``out`` ('-' = stdout) as wav | flac | raw (s16le)."""
    import soundfile as sf

    fmt = (fmt or (Path(out).suffix.lstrip(".") if out != "-" else "raw") or "wav").lower()
    if fmt not in ("wav", "flac", "raw"):
        _fail(f"unknown audio format {fmt!r} (wav, flac or raw)")
    data16 = pcm16(pcm)
    if fmt == "raw":
        data = data16.tobytes()
        if out == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            Path(out).write_bytes(data)
        return
    target = sys.stdout.buffer if out == "-" else out
    sf.write(target, data16, sample_rate, format=fmt.upper(), subtype="PCM_16")


# Options shared by `synth` and `stream`.
TextArg = Annotated[str | None, typer.Argument(help="Text to speak ('-' or omitted: stdin).")]
TextFile = Annotated[Path | None, typer.Option(help="Read the text from a UTF-8 file.")]
Engines = Annotated[Path | None, typer.Option(help="Engine directory.")]
Speaker = Annotated[str | None, typer.Option(help="CustomVoice speaker (see `tts-run voices list`).")]
Language = Annotated[str | None, typer.Option(help="Language name or auto.")]
Instruct = Annotated[str | None, typer.Option(help="Style instruction (1.7B CustomVoice) / voice description (VoiceDesign).")]
StreamingText = Annotated[bool, typer.Option(help="Use the streaming text geometry (non_streaming_mode=False).")]
Seed = Annotated[int | None, typer.Option(help="RNG seed: same seed, engine and provider -> identical audio.")]
Greedy = Annotated[bool, typer.Option(help="Argmax decoding for talker and code predictor.")]
MaxFrames = Annotated[int | None, typer.Option(help="Upper bound on 80 ms frames for the whole text.")]
Provider = Annotated[str | None, typer.Option(help="cpu | cuda | tensorrt | auto")]
Normalize = Annotated[bool, typer.Option("--normalize/--no-normalize", help="Verbalize numbers, dates, units... (RU/EN).")]
Split = Annotated[bool, typer.Option("--split/--no-split", help="Synthesize long text sentence by sentence, joined with pauses.")]
FadeMs = Annotated[float, typer.Option(help="Ramp at segment joins and at the end, in ms (0: none).")]
RefChunking = Annotated[bool, typer.Option(help="Decode with the official 300/25-frame restarts instead of full context.")]
RefAudio = Annotated[Path | None, typer.Option(help="Base models: reference audio of the voice to clone (wav/flac/ogg; 1-30 s).")]
RefText = Annotated[str | None, typer.Option(help="Transcript of --ref-audio (ICL cloning, the default).")]
XVectorOnly = Annotated[bool, typer.Option(help="Clone from the speaker embedding alone (no --ref-text).")]
VoiceName = Annotated[str | None, typer.Option("--voice", help="A saved voice (`tts-run voices add`), instead of --ref-audio.")]
VoicesDir = Annotated[Path | None, typer.Option(help="Saved-voices directory (default: runtime.toml voices_dir).")]


def _registry(voices_dir: Path | None):
    """The saved-voices registry: --voices-dir, else runtime.toml's voices_dir."""
    from qtts.runtime.voices import VoiceRegistry

    return VoiceRegistry(voices_dir or _runtime_settings(None, None, None).runtime.voices_dir)


def _load_reference(ref_audio: Path, ref_text: str | None, x_vector_only: bool):
    """(mono float32 pcm, sample rate) of --ref-audio, after checking the clone-mode flags."""
    from qtts.runtime.audio import load_audio

    if x_vector_only and ref_text is not None:
        _fail("--x-vector-only clones from the speaker embedding alone: drop --ref-text, or drop --x-vector-only for ICL")
    if not x_vector_only and not (ref_text or "").strip():
        _fail("ICL voice cloning needs --ref-text, the transcript of the reference audio (or use --x-vector-only)")
    return _guard(lambda: load_audio(ref_audio))


def _clone_voice(synthesizer, ref_audio: Path | None, ref_text: str | None, x_vector_only: bool, voice: str | None, voices_dir: Path | None):
    """The VoicePrompt the clone flags ask for: a saved voice, a reference encoded now, or None."""
    from qtts.runtime.voice import encode_reference

    if voice is not None:
        if ref_audio is not None:
            _fail("give either --voice (a saved voice) or --ref-audio, not both")
        if ref_text is not None or x_vector_only:
            _fail("--ref-text/--x-vector-only go with --ref-audio; a saved voice already has its mode")
        return _guard(lambda: _registry(voices_dir).load(voice, synthesizer.engine))
    if ref_audio is None:
        if ref_text is not None or x_vector_only:
            _fail("--ref-text/--x-vector-only need --ref-audio (the voice to clone)")
        if synthesizer.model_type == "base":
            _fail("a Base model clones a voice: give --ref-audio with --ref-text (or --x-vector-only), or --voice NAME")
        return None
    pcm, sr = _load_reference(ref_audio, ref_text, x_vector_only)
    return _guard(lambda: encode_reference(synthesizer.engine, pcm, sr, ref_text=ref_text, x_vector_only=x_vector_only))


def _prepare(engines, provider, threads, temperature, top_k, top_p, repetition_penalty, greedy, max_frames):
    """(synthesizer, settings, sampling params, frame limit) from the shared CLI options."""
    synthesizer, settings = _synthesizer(engines, provider, threads)
    overrides = dict(settings.sampling) | {"temperature": temperature, "top_k": top_k, "top_p": top_p, "repetition_penalty": repetition_penalty}
    params = _guard(lambda: synthesizer.default_sampling(**overrides))
    return synthesizer, (params.greedy() if greedy else params), max_frames or settings.runtime.max_frames


@app.command()
def synth(
    text: TextArg = None,
    text_file: TextFile = None,
    output: Annotated[str, typer.Option("-o", "--output", help="Output file (.wav/.flac/.raw) or '-' for stdout.")] = "out.wav",
    fmt: Annotated[str | None, typer.Option("--format", help="wav | flac | raw (s16le); default from the suffix.")] = None,
    engines: Engines = None,
    speaker: Speaker = None,
    language: Language = None,
    instruct: Instruct = None,
    streaming_text: StreamingText = False,
    seed: Seed = None,
    greedy: Greedy = False,
    temperature: float | None = None,
    top_k: int | None = None,
    top_p: float | None = None,
    repetition_penalty: float | None = None,
    max_frames: MaxFrames = None,
    normalize: Normalize = True,
    split: Split = True,
    fade_ms: FadeMs = 5.0,
    reference_chunking: RefChunking = False,
    ref_audio: RefAudio = None,
    ref_text: RefText = None,
    x_vector_only: XVectorOnly = False,
    voice: VoiceName = None,
    voices_dir: VoicesDir = None,
    provider: Provider = None,
    threads: int | None = None,
    quiet: bool = False,
) -> None:
    """Synthesize text to a WAV/FLAC/raw file or stdout."""
    content = _read_text(text, text_file)
    synthesizer, params, limit = _prepare(engines, provider, threads, temperature, top_k, top_p, repetition_penalty, greedy, max_frames)
    clone = _clone_voice(synthesizer, ref_audio, ref_text, x_vector_only, voice, voices_dir)
    with _progress("synthesizing frames", limit, enabled=not quiet and sys.stderr.isatty()) as advance:
        audio = _guard(
            lambda: synthesizer.synthesize(
                content,
                speaker=speaker,
                language=language,
                instruct=instruct,
                non_streaming_mode=False if streaming_text else None,
                sampling=params,
                seed=seed,
                max_frames=limit,
                normalize=normalize,
                split=split,
                fade_ms=fade_ms,
                reference_chunking=reference_chunking,
                voice=clone,
                on_frame=lambda k, _codes: advance(k + 1),
            )
        )
    write_audio(audio.pcm, audio.sample_rate, output, fmt)
    if not quiet:
        t = audio.timings
        typer.echo(
            f"{audio.duration:.2f} s of audio, {len(audio.codes)} frames in {len(audio.segments)} segment(s), finish={audio.finish_reason}, "
            f"seed={audio.seed}; RTF {t['rtf']:.3f}" + (f" -> {output}" if output != "-" else ""),
            err=True,
        )


@app.command()
def stream(
    text: TextArg = None,
    text_file: TextFile = None,
    chunk_ms: Annotated[float, typer.Option(help="PCM chunk length in ms (20-1000; 20 ms = 480 samples).")] = 40,
    decode_frames: Annotated[int, typer.Option(help="Frames per codec call after the first frame.")] = 1,
    text_stdin_stream: Annotated[bool, typer.Option(help="Text-in streaming: speak stdin as it arrives (e.g. piped from an LLM).")] = False,
    engines: Engines = None,
    speaker: Speaker = None,
    language: Language = None,
    instruct: Instruct = None,
    streaming_text: StreamingText = False,
    seed: Seed = None,
    greedy: Greedy = False,
    temperature: float | None = None,
    top_k: int | None = None,
    top_p: float | None = None,
    repetition_penalty: float | None = None,
    max_frames: MaxFrames = None,
    normalize: Normalize = True,
    split: Split = True,
    fade_ms: FadeMs = 5.0,
    reference_chunking: RefChunking = False,
    ref_audio: RefAudio = None,
    ref_text: RefText = None,
    x_vector_only: XVectorOnly = False,
    voice: VoiceName = None,
    voices_dir: VoicesDir = None,
    provider: Provider = None,
    threads: int | None = None,
    quiet: bool = False,
) -> None:
    """Stream raw s16le mono 24 kHz PCM to stdout as it is produced (pipe into aplay/ffplay)."""
    if text_stdin_stream and (text is not None or text_file is not None):
        _fail("--text-stdin-stream reads the text from stdin; do not also give it as an argument or file")
    content = None if text_stdin_stream else _read_text(text, text_file)
    synthesizer, params, limit = _prepare(engines, provider, threads, temperature, top_k, top_p, repetition_penalty, greedy, max_frames)
    clone = _clone_voice(synthesizer, ref_audio, ref_text, x_vector_only, voice, voices_dir)
    options = {
        "chunk_ms": chunk_ms, "decode_frames": decode_frames, "speaker": speaker, "language": language, "instruct": instruct,
        "sampling": params, "seed": seed, "max_frames": limit, "normalize": normalize, "fade_ms": fade_ms,
        "reference_chunking": reference_chunking, "voice": clone,
    }
    if content is None:
        audio = _guard(lambda: synthesizer.stream_text(_stdin_pieces(), **options))
    else:
        mode = False if streaming_text else None
        audio = _guard(lambda: synthesizer.stream(content, non_streaming_mode=mode, split=split, **options))
    out = sys.stdout.buffer
    with audio:
        try:
            for chunk in audio:
                out.write(pcm16(chunk).tobytes())
                out.flush()
        except BrokenPipeError:  # the player went away: stop generating (close() on leaving `with`)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
            return
    if not quiet:
        st = audio.stats
        typer.echo(
            f"{st.samples / synthesizer.sample_rate:.2f} s streamed in {len(st.chunk_times)} chunks, {st.frames} frames, "
            f"finish={st.finish_reason}, seed={st.info.get('seed')}; time to first audio {(st.time_to_first_audio or 0) * 1000:.0f} ms",
            err=True,
        )


def _stdin_pieces():
    """stdin as text pieces, each as soon as it is readable (UTF-8 decoded incrementally)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    while data := os.read(sys.stdin.fileno(), 4096):
        yield decoder.decode(data)
    yield decoder.decode(b"", final=True)


@app.command("codec-decode")
def codec_decode(
    codes: Annotated[Path, typer.Option(help="int64 [frames, 16] codes (.npy).")],
    out: Annotated[Path, typer.Option(help="float32 PCM output (.npy).")],
    engines: Engines = None,
    chunk_frames: Annotated[int | None, typer.Option(help="Frames per decoder call.")] = None,
    chunk_ms: Annotated[float | None, typer.Option(help="Output re-cut into chunks of this many ms (frames decoded one by one).")] = None,
    random_chunks: Annotated[int | None, typer.Option(help="Seed: random frames per call, 1..25.")] = None,
    reference_chunking: RefChunking = False,
    threads: int | None = None,
) -> None:
    """Decode a code file through the streaming codec decoder (how the codec is checked from outside)."""
    import numpy as np

    from qtts.runtime.codec import CodecStream, random_chunk_sizes
    from qtts.runtime.stream import Chunker

    if sum(x is not None for x in (chunk_frames, chunk_ms, random_chunks)) > 1:
        _fail("give at most one of --chunk-frames, --chunk-ms, --random-chunks")
    try:
        frames = np.load(codes)
    except (OSError, ValueError) as e:
        _fail(f"cannot read {codes}: {e}")
    if frames.ndim != 2 or frames.shape[1] != 16 or not np.issubdtype(frames.dtype, np.integer):
        _fail(f"{codes}: expected integer codes [frames, 16], got {frames.dtype} {frames.shape}")
    if len(frames) and (frames.min() < 0 or frames.max() >= 2048):
        _fail(f"{codes}: codes must be in [0, 2048)")
    synthesizer, _ = _synthesizer(engines, None, threads)
    stream = CodecStream(synthesizer.engine.sessions["codec_decoder"], reference_chunking=reference_chunking)
    if random_chunks is not None:
        sizes = random_chunk_sizes(np.random.default_rng(random_chunks), len(frames))
    else:
        step = chunk_frames or (1 if chunk_ms else max(len(frames), 1))
        sizes = [min(step, len(frames) - at) for at in range(0, len(frames), step)]
    pieces = stream.push_chunks(frames, sizes)
    if chunk_ms is not None:
        chunker = Chunker(round(chunk_ms * synthesizer.sample_rate / 1000))
        pieces = [c for p in pieces for c in chunker.push(p)] + chunker.flush()
    pcm = np.concatenate([np.zeros(0, np.float32), *pieces])
    np.save(out, pcm)
    typer.echo(f"{len(frames)} frames -> {len(pcm)} samples in {len(pieces)} pieces -> {out}", err=True)


# ---------------------------------------------------------------------------------------- inspect
@app.command()
def info(
    engines: Annotated[Path | None, typer.Option(help="Engine directory.")] = None,
    verify: Annotated[bool, typer.Option(help="Also check every file's sha256 (slow for large engines).")] = False,
) -> None:
    """Show an engine's manifest and the available execution providers."""
    import onnxruntime as ort

    from qtts.runtime.manifest import check

    target = engines or Path(_runtime_settings(None, None, None).runtime.engines)
    m = _guard(lambda: check(target, verify_hashes=verify)).data
    out = {k: m[k] for k in ("profile", "model_type", "graphs", "engine_format", "exporter_fingerprint", "created")}
    out["source"] = m["source"]
    out["bytes"] = sum(f["bytes"] for f in m["files"].values())
    out["hashes_verified"] = verify
    out["onnxruntime"] = ort.__version__
    out["available_providers"] = ort.get_available_providers()
    typer.echo(json.dumps(out, indent=1, ensure_ascii=False))


voices_app = typer.Typer(no_args_is_help=True, help="Saved (cloned) voices and an engine's built-in speakers.")
app.add_typer(voices_app, name="voices")


@voices_app.command("list")
def voices_list(engines: Engines = None, voices_dir: VoicesDir = None) -> None:
    """The engine's speakers and languages, and the saved voices (name, mode, reference seconds, created)."""
    from qtts.runtime.manifest import check
    from qtts.runtime.model_config import ModelConfig
    from qtts.runtime.prompt import supported_languages

    target = Path(_runtime_settings(engines, None, None).runtime.engines)

    def facts() -> dict:
        check(target)
        cfg = ModelConfig.load(target / "config.json")
        return {"engine": str(target), "model_type": cfg.model_type, "speakers": sorted(cfg.talker.speakers), "languages": supported_languages(cfg)}

    registry = _registry(voices_dir)
    out = _guard(facts) | {"voices_dir": str(registry.dir), "voices": registry.list()}
    typer.echo(json.dumps(out, indent=1, ensure_ascii=False))


@voices_app.command("add")
def voices_add(
    name: Annotated[str, typer.Argument(help="Voice name: letters, digits, '_' or '-'.")],
    ref_audio: Annotated[Path, typer.Option(help="Reference audio of the voice (wav/flac/ogg; 1-30 s).")],
    ref_text: RefText = None,
    x_vector_only: XVectorOnly = False,
    engines: Engines = None,
    voices_dir: VoicesDir = None,
    force: Annotated[bool, typer.Option(help="Replace a saved voice of the same name.")] = False,
    threads: int | None = None,
) -> None:
    """Encode a reference once (Base engine) and save it as a voice for `--voice NAME`."""
    registry = _registry(voices_dir)
    pcm, sr = _load_reference(ref_audio, ref_text, x_vector_only)
    synthesizer, _ = _synthesizer(engines, None, threads)
    v = _guard(lambda: registry.add(name, synthesizer.engine, pcm, sr, ref_text=ref_text, x_vector_only=x_vector_only, overwrite=force))
    mode = "icl" if v.icl else "x-vector only"
    typer.echo(f"saved voice {name!r} ({mode}, {len(pcm) / sr:.2f} s reference, {len(v.ref_codes)} frames) -> {registry.path(name)}")


@voices_app.command("remove")
def voices_remove(name: Annotated[str, typer.Argument(help="Saved voice to delete.")], voices_dir: VoicesDir = None) -> None:
    """Delete a saved voice."""
    registry = _registry(voices_dir)
    _guard(lambda: registry.remove(name))
    typer.echo(f"removed voice {name!r} from {registry.dir}")


# ---------------------------------------------------------------------------------------- bench / conformance
def _levels(concurrency: str) -> list[int]:
    """``--concurrency`` "1,2,4" -> sorted distinct levels in 1..256."""
    try:
        levels = sorted({int(c) for c in concurrency.split(",")})
    except ValueError:
        _fail(f"--concurrency: expected comma-separated integers, got {concurrency!r}")
    if not levels or levels[0] < 1 or levels[-1] > 256:
        _fail("--concurrency levels must be in 1..256")
    return levels


@app.command()
def bench(
    engines: Annotated[list[Path] | None, typer.Option(help="Engine directories (repeatable).")] = None,
    out: Annotated[Path, typer.Option(help="JSON report path.")] = Path("bench.json"),
    frames: Annotated[int, typer.Option(help="Frames per request (80 ms each).")] = 40,
    warm_runs: int = 3,
    reference: Annotated[Path | None, typer.Option(help="Merge a reference-implementation bench JSON (make bench-reference).")] = None,
    codec_parity: Annotated[bool, typer.Option(help="Also measure streaming vs full codec decode (1..400 frames, any chunking).")] = False,
    concurrency: Annotated[str | None, typer.Option(help="Load bench instead: concurrency levels, e.g. 1,2,4,8,16,32 (closed loop).")] = None,
    rate: Annotated[float | None, typer.Option(help="With --concurrency: also an open-loop run at this Poisson rate (requests/s).")] = None,
    requests: Annotated[int | None, typer.Option(help="With --concurrency: requests per level (default max(2C, 8)).")] = None,
    seconds: Annotated[float, typer.Option(help="With --concurrency: time limit per level (s).")] = 60.0,
    plot: Annotated[Path | None, typer.Option(help="With --concurrency: PNG of TTFA percentiles and audio-s/s against C (default: next to --out).")] = None,
    isolation: Annotated[bool, typer.Option(help="With --concurrency: the priority-isolation run (realtime beside saturating batch load).")] = True,
    provider: str | None = None,
    threads: int | None = None,
) -> None:
    """Time-to-first-audio (whole and streaming), RTF, chunk gaps, underruns, frames/s, peak RSS, cold and
    warm; Base engines: 10 s reference encoding -> JSON. With --concurrency: the batching scheduler
    under load (TTFA percentiles, audio-s/s, request RTF, continuity, step time by batch size, the two
    ceilings, priority isolation) -> JSON under "concurrency", and a PNG plot."""
    from qtts.runtime.bench import run_bench

    s = _runtime_settings(None, provider, threads).runtime
    dirs = engines or [Path(s.engines)]
    if concurrency is not None:
        from qtts.runtime.loadstats import plot as draw
        from qtts.runtime.loadtest import run_load

        levels = _levels(concurrency)
        report = {"concurrency": [
            _guard(lambda d=d: run_load(
                d, concurrency=levels, frames=frames, rate=rate, provider=s.provider, threads=s.threads or None, requests=requests, seconds=seconds,
                isolation=isolation,
            ))
            for d in dirs
        ]}
        out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        png = draw([(Path(r["engine"]).name, r["levels"]) for r in report["concurrency"]], plot or out.with_suffix(".png"))
        typer.echo(json.dumps([{"engine": r["engine"], "ceilings": r["ceilings"], "levels": [
            {k: lv[k] for k in ("concurrency", "ttfa_ms", "audio_s_per_s", "rtf", "continuity")} for lv in r["levels"]]} for r in report["concurrency"]], indent=1))
        typer.echo(f"plot: {png}" if png else "plot: skipped (pip install '.[bench]' for matplotlib)", err=True)
        return
    report = _guard(
        lambda: run_bench(
            dirs, frames=frames, warm_runs=warm_runs, provider=s.provider, threads=s.threads or None, reference=reference,
            codec_parity=codec_parity,
        )
    )
    out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    typer.echo(json.dumps(report["summary"], indent=1))


@app.command()
def soak(
    engines: Engines = None,
    minutes: Annotated[float, typer.Option(help="Minutes of audio to stream.")] = 10.0,
    chunk_ms: Annotated[float, typer.Option(help="PCM chunk length in ms.")] = 40,
    out: Annotated[Path, typer.Option(help="JSON report path.")] = Path("soak.json"),
    threads: int | None = None,
) -> None:
    """One long stream: memory growth, underruns of a real-time player, sample accounting -> JSON."""
    from qtts.runtime.soak import soak as run_soak

    s = _runtime_settings(engines, None, threads).runtime
    report = _guard(lambda: run_soak(Path(s.engines), minutes=minutes, chunk_ms=chunk_ms, provider=s.provider, threads=s.threads or None))
    out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    typer.echo(json.dumps(report, indent=1))


@app.command()
def conformance(
    engines: Annotated[Path, typer.Option(help="Engine directory.")],
    cases: Annotated[Path, typer.Option(help="Cases JSON (format of reference/cases/tiny.json).")],
    out: Annotated[Path, typer.Option(help="Output directory: <out>/<case>/{codes,pcm}.npy")],
    golden: Annotated[Path | None, typer.Option(help="Golden directory to compare against (codes exact, PCM, teacher-forced logits).")] = None,
    concurrency: Annotated[int, typer.Option(help="Cases submitted at once (batched by the scheduler; results must not change).")] = 1,
    threads: int | None = None,
) -> None:
    """Run official-format cases; write codes/PCM; optionally compare with a golden set."""
    from qtts.runtime.conformance import run_conformance

    if concurrency < 1:
        _fail("--concurrency must be >= 1")
    report = _guard(lambda: run_conformance(engines, cases, out, golden=golden, threads=threads, concurrency=concurrency))
    typer.echo(json.dumps(report, indent=1, ensure_ascii=False))
    if golden is not None and not report["passed"]:
        raise typer.Exit(1)


# ---------------------------------------------------------------------------------------- later issues
@app.command()
def normalize(
    lang: Annotated[str, typer.Option(help="ru | en | auto (per-span detection)")] = "auto",
    explain: Annotated[bool, typer.Option(help="After each line, a JSON line with the spans and chosen class/case.")] = False,
) -> None:
    """Normalize RU/EN text from stdin: exactly one output line per input line."""
    from qtts.normalize.cli import cli_main

    raise typer.Exit(cli_main(sys.stdin, lang, explain, sys.stdout, _normalizer()))


@app.command()
def serve(
    engines: Annotated[list[Path] | None, typer.Option("--engines", help="Engine directory; repeat for several (the first is the default model).")] = None,
    host: Annotated[str | None, typer.Option(help="Listen address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (default 8080).")] = None,
    api_key: Annotated[list[str] | None, typer.Option("--api-key", envvar="QTTS_API_KEY", help="Accepted API key (repeatable; env QTTS_API_KEY, space-separated).")] = None,
    keys_file: Annotated[Path | None, typer.Option(help="API keys file (TOML [[keys]]: name, key or sha256, priority, limits).")] = None,
    config: Annotated[Path | None, typer.Option(help="Server settings (default: configs/server.toml).")] = None,
    max_streams: Annotated[int | None, typer.Option(help="Concurrent streams per engine ([scheduler] max_streams).")] = None,
    max_waiting: Annotated[int | None, typer.Option(help="Requests waiting for a stream slot ([scheduler] max_waiting).")] = None,
    grpc_port: Annotated[int | None, typer.Option(help="Riva-compatible gRPC port (0 = off).")] = None,
    wyoming_port: Annotated[int | None, typer.Option(help="Wyoming (Home Assistant) port (0 = off).")] = None,
    provider: Provider = None,
    threads: int | None = None,
) -> None:
    """Serve the OpenAI-compatible HTTP API (POST /v1/audio/speech, /v1/models, /health, /ready, /metrics)."""
    try:
        from qtts.server.run import build_state, run
    except ModuleNotFoundError as e:
        if (e.name or "").partition(".")[0] == "server":
            raise
        _fail(f"the server needs the `server` extra (pip install -e '.[cpu,server]'): {e}")
    from qtts.runtime.settings import RuntimeSettings, ServerSettings, default_path, load

    s = _guard(lambda: load(ServerSettings, config or default_path("server.toml"), {"server": {"host": host, "port": port, "keys_file": str(keys_file) if keys_file else None, "grpc_port": grpc_port, "wyoming_port": wyoming_port}}))
    flags = {"max_streams": max_streams, "max_waiting": max_waiting}
    scheduler = {**s.scheduler, **{k: v for k, v in flags.items() if v is not None}}
    rt = _guard(lambda: load(RuntimeSettings, default_path("runtime.toml"), {"runtime": {"provider": provider, "threads": threads}, "scheduler": scheduler}))
    dirs = engines or [Path(rt.runtime.engines)]
    state = _guard(lambda: build_state(dirs, rt, s, api_key or [], _normalizer()))
    run(state)


@app.command()
def loadtest(
    url: Annotated[str, typer.Option(help="Base URL of a running tts-run serve (loopback unless --allow-remote).")] = "http://127.0.0.1:8080",
    concurrency: Annotated[str, typer.Option(help="Concurrency levels (closed loop), e.g. 1,2,4,8,16.")] = "1,2,4,8,16",
    duration: Annotated[float, typer.Option(help="Seconds per level.")] = 30.0,
    requests_max: Annotated[int | None, typer.Option(help="Requests per level at most (default 20 per client, at least 100).")] = None,
    mode: Annotated[str, typer.Option(help="http: streaming POST /v1/audio/speech (pcm) | ws: the native WebSocket /v1/audio/speech/stream.")] = "http",
    api_key: Annotated[str | None, typer.Option(envvar="QTTS_API_KEY", help="Bearer key (env QTTS_API_KEY).")] = None,
    text: Annotated[str | None, typer.Option(help="Text of every request (default: the bench sentence).")] = None,
    model: Annotated[str, typer.Option(help="Model (an engine name or an OpenAI model name).")] = "tts-1",
    voice: Annotated[str, typer.Option(help="Voice (OpenAI name or speaker).")] = "alloy",
    max_new_tokens: Annotated[int | None, typer.Option(help="Frames per request (80 ms each; default: the server's).")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds one request may take.")] = 60.0,
    wait_ready: Annotated[float, typer.Option(help="Seconds to wait for /ready before the first level.")] = 60.0,
    allow_remote: Annotated[bool, typer.Option(help="Allow a non-loopback URL.")] = False,
    out: Annotated[Path, typer.Option(help="JSON report path (the PNG plot goes next to it).")] = Path("loadtest.json"),
) -> None:
    """Load a running server over HTTP or WebSocket: per level TTFA p50/p95/p99, RTF, audio-s/s, continuity
    for a real-time listener, errors by status (429/503 counted as refused) -> JSON + PNG plot."""
    try:
        from qtts.server.loadtest import TEXT, LoadConfig, run
    except ModuleNotFoundError as e:
        if (e.name or "").partition(".")[0] in ("server", "runtime"):
            raise
        _fail(f"the load harness needs httpx and websockets (pip install -e '.[server,bench]'): {e}")
    from qtts.runtime.loadstats import plot as draw

    cfg = LoadConfig(
        url=url, concurrency=tuple(_levels(concurrency)), duration_s=duration, requests_max=requests_max, mode=mode, api_key=api_key,
        text=text or TEXT, model=model, voice=voice, max_new_tokens=max_new_tokens, timeout_s=timeout, wait_ready_s=wait_ready, allow_remote=allow_remote,
    )
    report = _guard(lambda: run(cfg))
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    png = draw([(f"{mode} {url} {model}", report["levels"])], out.with_suffix(".png"))
    typer.echo(json.dumps([{k: lv.get(k) for k in ("concurrency", "requests", "refused", "failed", "errors", "ttfa_ms", "continuity", "audio_s_per_s")}
                           for lv in report["levels"]], indent=1))
    typer.echo(f"report: {out}; " + (f"plot: {png}" if png else "plot: skipped (pip install '.[bench]' for matplotlib)"), err=True)


if __name__ == "__main__":
    app()
