"""``tts-run``: export engines, synthesize, inspect, benchmark and check conformance.

Every failure the user can cause (bad text, unknown speaker, missing engine, bad checkpoint)
prints one line ``error: ...`` on stderr and exits with status 1; unimplemented verbs exit 2.
"""

from __future__ import annotations

import json
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
    from runtime import logs
    from runtime.settings import RuntimeSettings, default_path, load

    s = _guard(lambda: load(RuntimeSettings, default_path("runtime.toml"), {"logging": {"format": log_format or None, "level": log_level or None}}))
    logs.configure(s.logging.format, s.logging.level)


def _fail(msg: str, code: int = 1) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code)


def _guard(fn):
    """Run ``fn``; turn the project's typed errors into one-line messages."""
    from export.errors import ExportError
    from runtime.errors import TTSError

    try:
        return fn()
    except (TTSError, ExportError) as e:
        _fail(str(e))


def _runtime_settings(engines: Path | None, provider: str | None, threads: int | None):
    from runtime.settings import RuntimeSettings, default_path, load

    return _guard(
        lambda: load(
            RuntimeSettings,
            default_path("runtime.toml"),
            {"runtime": {"engines": str(engines) if engines else None, "provider": provider, "threads": threads}},
        )
    )


def _synthesizer(engines: Path | None, provider: str | None, threads: int | None):
    from runtime.synthesizer import Synthesizer

    s = _runtime_settings(engines, provider, threads)
    r = s.runtime
    synth = _guard(
        lambda: Synthesizer.from_engines(
            r.engines, provider=r.provider, threads=r.threads or None, device_id=r.device_id, tokenizer_regex=r.tokenizer_regex
        )
    )
    synth.default_max_frames = r.max_frames
    return synth, s


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
    size: Annotated[str, typer.Option(help="tiny | 0.6b | 1.7b")] = "tiny",
    variant: Annotated[str, typer.Option(help="custom_voice | base | voice_design")] = "custom_voice",
    seed: int = 0,
    dtype: Annotated[str, typer.Option(help="Stored talker dtype: bf16 (as released) | f32")] = "bf16",
) -> None:
    """Write a RANDOM-WEIGHT checkpoint in the released layout (for tests, demo and speed work)."""
    from export.random_checkpoint import generate_checkpoint

    with _progress(f"generating {size} {variant}", None) as advance:
        path = _guard(lambda: generate_checkpoint(out, size, variant, seed=seed, dtype=dtype, progress=lambda name, done, total: advance(done, total)))
    typer.echo(f"wrote {path} (random weights, seed {seed}: it produces noise, not speech)")


@app.command("export")
def export_cmd(
    model: Annotated[str | None, typer.Argument(help="Checkpoint directory or hub id (default: configs/model.toml; empty = embedded random tiny model).")] = None,
    out: Annotated[Path | None, typer.Option(help="Engine directory (default: <engines_dir>/<model name>).")] = None,
    profile: Annotated[str | None, typer.Option(help="Precision profile: fp32.")] = None,
    force: Annotated[bool, typer.Option(help="Re-export even when the engine is up to date.")] = False,
) -> None:
    """Validate a checkpoint and build its ONNX engine directory."""
    from export.exporter import default_engine_name, export_engine
    from export.random_checkpoint import generate_checkpoint
    from runtime.settings import ModelSettings, default_path, load

    s = _guard(lambda: load(ModelSettings, default_path("model.toml"), {"export": {"model": model, "profile": profile}})).export
    source = s.model
    if not source:
        source = str(Path("checkpoints") / "tiny-custom_voice")
        typer.echo(f"no model given: generating the embedded RANDOM-WEIGHT tiny model (seed {s.random_seed}) in {source}")
        _guard(lambda: generate_checkpoint(source, "tiny", "custom_voice", seed=s.random_seed))
    target = out or Path(s.engines_dir) / default_engine_name(source)
    with _progress("export", 5) as advance:
        stages = {"validate": 0, "graph embed": 1, "graph talker": 2, "graph code_predictor": 3, "graph codec_decoder": 4, "graphs": 5}
        path = _guard(lambda: export_engine(source, target, profile=s.profile, force=force, progress=lambda stage, *_: advance(stages.get(stage, 5), description=stage)))
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


def write_audio(pcm, sample_rate: int, out: str, fmt: str | None) -> None:
    """Write float PCM to ``out`` ('-' = stdout) as wav | flac | raw (s16le)."""
    import numpy as np
    import soundfile as sf

    fmt = (fmt or (Path(out).suffix.lstrip(".") if out != "-" else "raw") or "wav").lower()
    if fmt not in ("wav", "flac", "raw"):
        _fail(f"unknown audio format {fmt!r} (wav, flac or raw)")
    pcm16 = np.round(np.clip(pcm, -1.0, 1.0) * 32767).astype("<i2")  # one quantizer for every format
    if fmt == "raw":
        data = pcm16.tobytes()
        if out == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            Path(out).write_bytes(data)
        return
    target = sys.stdout.buffer if out == "-" else out
    sf.write(target, pcm16, sample_rate, format=fmt.upper(), subtype="PCM_16")


@app.command()
def synth(
    text: Annotated[str | None, typer.Argument(help="Text to speak ('-' or omitted: stdin).")] = None,
    text_file: Annotated[Path | None, typer.Option(help="Read the text from a UTF-8 file.")] = None,
    output: Annotated[str, typer.Option("-o", "--output", help="Output file (.wav/.flac/.raw) or '-' for stdout.")] = "out.wav",
    fmt: Annotated[str | None, typer.Option("--format", help="wav | flac | raw (s16le); default from the suffix.")] = None,
    engines: Annotated[Path | None, typer.Option(help="Engine directory.")] = None,
    speaker: Annotated[str | None, typer.Option(help="CustomVoice speaker (see `tts-run voices`).")] = None,
    language: Annotated[str | None, typer.Option(help="Language name or auto.")] = None,
    instruct: Annotated[str | None, typer.Option(help="Style instruction (1.7B CustomVoice) / voice description (VoiceDesign).")] = None,
    streaming_text: Annotated[bool, typer.Option(help="Use the streaming text geometry (non_streaming_mode=False).")] = False,
    seed: Annotated[int | None, typer.Option(help="RNG seed: same seed, engine and provider -> identical audio.")] = None,
    greedy: Annotated[bool, typer.Option(help="Argmax decoding for talker and code predictor.")] = False,
    temperature: float | None = None,
    top_k: int | None = None,
    top_p: float | None = None,
    repetition_penalty: float | None = None,
    max_frames: Annotated[int | None, typer.Option(help="Upper bound on 80 ms frames.")] = None,
    provider: Annotated[str | None, typer.Option(help="cpu | cuda | tensorrt | auto")] = None,
    threads: int | None = None,
    quiet: bool = False,
) -> None:
    """Synthesize text to a WAV/FLAC/raw file or stdout."""
    content = _read_text(text, text_file)
    synthesizer, settings = _synthesizer(engines, provider, threads)
    overrides = dict(settings.sampling) | {"temperature": temperature, "top_k": top_k, "top_p": top_p, "repetition_penalty": repetition_penalty}
    params = _guard(lambda: synthesizer.default_sampling(**overrides))
    if greedy:
        params = params.greedy()
    limit = max_frames or settings.runtime.max_frames
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
                on_frame=lambda k, _codes: advance(k + 1),
            )
        )
    write_audio(audio.pcm, audio.sample_rate, output, fmt)
    if not quiet:
        t = audio.timings
        typer.echo(
            f"{audio.duration:.2f} s of audio, {len(audio.codes)} frames, finish={audio.finish_reason}, seed={audio.seed}; "
            f"time to first audio {t['time_to_first_audio_s'] * 1000:.0f} ms, RTF {t['rtf']:.3f}" + (f" -> {output}" if output != "-" else ""),
            err=True,
        )


# ---------------------------------------------------------------------------------------- inspect
@app.command()
def info(
    engines: Annotated[Path | None, typer.Option(help="Engine directory.")] = None,
    verify: Annotated[bool, typer.Option(help="Also check every file's sha256 (slow for large engines).")] = False,
) -> None:
    """Show an engine's manifest and the available execution providers."""
    import onnxruntime as ort

    from runtime.manifest import check

    target = engines or Path(_runtime_settings(None, None, None).runtime.engines)
    m = _guard(lambda: check(target, verify_hashes=verify)).data
    out = {k: m[k] for k in ("profile", "model_type", "graphs", "engine_format", "exporter_fingerprint", "created")}
    out["source"] = m["source"]
    out["bytes"] = sum(f["bytes"] for f in m["files"].values())
    out["hashes_verified"] = verify
    out["onnxruntime"] = ort.__version__
    out["available_providers"] = ort.get_available_providers()
    typer.echo(json.dumps(out, indent=1, ensure_ascii=False))


@app.command()
def voices(engines: Annotated[Path | None, typer.Option(help="Engine directory.")] = None) -> None:
    """List the speakers and languages an engine serves."""
    synthesizer, _ = _synthesizer(engines, None, None)
    typer.echo(json.dumps({"model_type": synthesizer.model_type, "speakers": synthesizer.speakers, "languages": synthesizer.languages}, indent=1))


# ---------------------------------------------------------------------------------------- bench / conformance
@app.command()
def bench(
    engines: Annotated[list[Path] | None, typer.Option(help="Engine directories (repeatable).")] = None,
    out: Annotated[Path, typer.Option(help="JSON report path.")] = Path("bench.json"),
    frames: Annotated[int, typer.Option(help="Frames per request (80 ms each).")] = 40,
    warm_runs: int = 3,
    reference: Annotated[Path | None, typer.Option(help="Merge a reference-implementation bench JSON (make bench-reference).")] = None,
    provider: str | None = None,
    threads: int | None = None,
) -> None:
    """Time-to-first-audio, RTF, frames/s and peak RSS, cold and warm -> JSON."""
    from runtime.bench import run_bench

    s = _runtime_settings(None, provider, threads).runtime
    dirs = engines or [Path(s.engines)]
    report = _guard(lambda: run_bench(dirs, frames=frames, warm_runs=warm_runs, provider=s.provider, threads=s.threads or None, reference=reference))
    out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    typer.echo(json.dumps(report["summary"], indent=1))


@app.command()
def conformance(
    engines: Annotated[Path, typer.Option(help="Engine directory.")],
    cases: Annotated[Path, typer.Option(help="Cases JSON (format of reference/cases/tiny.json).")],
    out: Annotated[Path, typer.Option(help="Output directory: <out>/<case>/{codes,pcm}.npy")],
    golden: Annotated[Path | None, typer.Option(help="Golden directory to compare against (codes exact, PCM, teacher-forced logits).")] = None,
    threads: int | None = None,
) -> None:
    """Run official-format cases; write codes/PCM; optionally compare with a golden set."""
    from runtime.conformance import run_conformance

    report = _guard(lambda: run_conformance(engines, cases, out, golden=golden, threads=threads))
    typer.echo(json.dumps(report, indent=1, ensure_ascii=False))
    if golden is not None and not report["passed"]:
        raise typer.Exit(1)


# ---------------------------------------------------------------------------------------- later issues
def _not_yet(what: str) -> None:
    typer.echo(f"error: `tts-run {what}` is not implemented yet", err=True)
    raise typer.Exit(2)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def stream() -> None:
    """(not implemented yet) Stream raw s16le PCM chunks to stdout as they are produced."""
    _not_yet("stream")


@app.command()
def normalize(
    lang: Annotated[str, typer.Option(help="ru | en | auto (per-span detection)")] = "auto",
    explain: Annotated[bool, typer.Option(help="After each line, a JSON line with the spans and chosen class/case.")] = False,
) -> None:
    """Normalize RU/EN text from stdin: exactly one output line per input line."""
    from normalize import NormalizationError, Normalizer
    from normalize.cli import cli_main
    from runtime.settings import ModelSettings, default_path, load

    settings = _guard(lambda: load(ModelSettings, default_path("model.toml")))
    try:
        normalizer = Normalizer(settings.normalize)
    except NormalizationError as e:
        _fail(f"[normalize] in model.toml: {e}")
    raise typer.Exit(cli_main(sys.stdin, lang, explain, sys.stdout, normalizer))


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def serve() -> None:
    """(not implemented yet) HTTP server."""
    _not_yet("serve")


if __name__ == "__main__":
    app()
