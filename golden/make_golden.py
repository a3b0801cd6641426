#!/usr/bin/env python3
"""Golden set of the project: the OFFICIAL qwen-tts 0.1.1 pipeline (CPU torch, float32) run on the
project's own random-weight checkpoints (``export/random_checkpoint.py``, seed 0, bf16).

    .refvenv/bin/python golden/make_golden.py --out golden/tiny [--checkpoints DIR] [--threads 2]
    .refvenv/bin/python golden/make_golden.py --size tiny-hd24 --cases-only   # golden/tiny-hd24

Dev-only (needs torch + qwen-tts, offline). Steps: generate the three tiny checkpoints with the
project's numpy generator (size ``--size``, default tiny; into ``--checkpoints`` or a temp dir), load
each with ``Qwen3TTSModel.from_pretrained`` (and check the loaded weights equal the files), run the
cases of ``golden/cases/<size>.json`` through the public ``generate_*`` methods, dump the standalone
codec and the tokenizer corpus (``tokenizer_corpus.py``; not with ``--cases-only``), and write
``manifest.json`` with versions and the sha256 of every generated checkpoint file.

Adapted from the team's reference harness ``/work/shared/reference/golden.py``; the dump format is
its README §4, with these differences: no ``.wav`` copies, no timings in the dumped JSON (so a
re-run is byte-identical; timings are printed), a larger tokenizer corpus, and a load check.
Nothing in the model code is replaced: values are captured by forward hooks and thin wrappers around
``_tokenize_texts``, ``model.generate``, ``speech_tokenizer.encode/decode`` and ``_get_logits_processor``.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import logging
import os
import platform
import sys
import tempfile
import time
import warnings
from importlib.metadata import version
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import numpy as np  # noqa: E402
import tokenizer_corpus  # noqa: E402
import torch  # noqa: E402

from qtts.export.random_checkpoint import generate_checkpoint  # noqa: E402

FORMAT_VERSION = 1
CP_LOGIT_FRAMES = 4  # raw code-predictor logits are dumped for this many leading frames
SEED, DTYPE = 0, "bf16"
VARIANTS = ("custom_voice", "base", "voice_design")
MODEL_FOR_MODE = {"custom_voice": "custom_voice", "voice_design": "voice_design", "voice_clone": "base"}


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------
def to_np(x):
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        if x.dtype in (torch.bfloat16, torch.float16):
            x = x.float()
        return x.numpy()
    return np.asarray(x)


class Dumper:
    """Writes .npy (float64 -> float32) and JSON files into one directory and lists them."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.files = {}

    def npy(self, name: str, arr, note: str = ""):
        a = to_np(arr)
        if a.dtype == np.float64:
            a = a.astype(np.float32)
        np.save(self.root / f"{name}.npy", a, allow_pickle=False)
        self.files[f"{name}.npy"] = {"shape": list(a.shape), "dtype": str(a.dtype), "note": note}
        return a

    def json(self, name: str, obj, note: str = ""):
        write_json(self.root / name, obj)
        self.files[name] = {"note": note}


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def synthetic_audio(seconds: float, sr: int = 24000, seed: int = 0, f0: float = 140.0) -> np.ndarray:
    """Deterministic speech-like test signal: harmonic tone with vibrato, AM and a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    f = f0 * (1.0 + 0.05 * np.sin(2 * np.pi * 3.0 * t))
    phase = 2 * np.pi * np.cumsum(f) / sr
    sig = sum((0.6 / k) * np.sin(k * phase + 0.3 * k) for k in range(1, 9))
    env = 0.5 * (1 - np.cos(2 * np.pi * np.minimum(t / 0.05, 1) / 2)) * (0.6 + 0.4 * np.sin(2 * np.pi * 2.5 * t) ** 2)
    x = 0.25 * sig * env + 0.01 * rng.standard_normal(len(t))
    return x.astype(np.float32)


def rms(x) -> float:
    x = np.asarray(x, dtype=np.float64)
    return float(np.sqrt(np.mean(x * x))) if x.size else 0.0


def sha256_files(root: Path) -> dict:
    """{relative path: sha256} for every file under root, sorted."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@contextlib.contextmanager
def captured_messages(sink: list):
    """Collect Python warnings, log records (WARNING+) and stdout/stderr text emitted in the block."""
    class Handler(logging.Handler):
        def emit(self, record):
            sink.append(f"log {record.name}: {record.getMessage()}")

    handler = Handler(logging.WARNING)
    loggers = [logging.getLogger(), logging.getLogger("transformers")]
    for lg in loggers:
        lg.addHandler(handler)
    text = io.StringIO()
    try:
        with warnings.catch_warnings(record=True) as caught, \
                contextlib.redirect_stdout(text), contextlib.redirect_stderr(text):
            warnings.simplefilter("always")
            yield
    finally:
        for lg in loggers:
            lg.removeHandler(handler)
    sink.extend(f"warning {w.category.__name__}: {w.message}" for w in caught)
    sink.extend(f"output: {line}" for line in text.getvalue().splitlines() if line.strip())


@torch.no_grad()
def load_check(tts, mdir: Path) -> dict:
    """Loaded state dicts vs the safetensors files: key sets and max |diff| (files upcast to f32)."""
    from safetensors.torch import load_file

    res = {}
    for label, module, path in (("model", tts.model, mdir / "model.safetensors"),
                                ("speech_tokenizer", tts.model.speech_tokenizer.model,
                                 mdir / "speech_tokenizer" / "model.safetensors")):
        file_sd = load_file(str(path))
        sd = module.state_dict()
        common = sorted(set(sd) & set(file_sd))
        diff = max((float((sd[k].float() - file_sd[k].float()).abs().max()) for k in common if sd[k].numel()),
                   default=0.0)
        res[label] = {"missing_in_file": sorted(set(sd) - set(file_sd)),
                      "unused_from_file": sorted(set(file_sd) - set(sd)),
                      "tensors": len(common), "max_abs_diff": diff}
    return res


# --------------------------------------------------------------------------------------------
# prefill layout (mirrors Qwen3TTSForConditionalGeneration.generate, verified numerically)
# --------------------------------------------------------------------------------------------
def build_layout(cfg, input_id, instruct_id, speaker, language, non_streaming, clone):
    """Return (rows, trailing_text_ids). A row is {"text": id|None, "codec": id|None|"speaker"|
    {"ref_frame": j}}; its embedding is text_projection(text_embedding(text)) + codec part.
    trailing_text_ids: text ids added (projected) to decode steps 0..n-1; afterwards tts_pad."""
    tc = cfg.talker_config
    PAD, BOS, EOS = cfg.tts_pad_token_id, cfg.tts_bos_token_id, cfg.tts_eos_token_id
    rows = []
    if instruct_id is not None:
        rows += [{"text": int(i), "codec": None} for i in instruct_id]
    if clone is None:
        spk = tc.spk_id[speaker.lower()] if speaker else None
        if isinstance(spk, list):
            spk = spk[0]
    else:
        spk = "speaker" if (clone["x_vector_only_mode"] or clone["icl_mode"]) else None
    lang_id = None if language.lower() == "auto" else tc.codec_language_id[language.lower()]
    if (language.lower() in ("chinese", "auto") and speaker not in ("", None)
            and tc.spk_is_dialect[speaker.lower()] is not False):
        lang_id = tc.codec_language_id[tc.spk_is_dialect[speaker.lower()]]
    if lang_id is None:
        codec_seq = [tc.codec_nothink_id, tc.codec_think_bos_id, tc.codec_think_eos_id]
    else:
        codec_seq = [tc.codec_think_id, tc.codec_think_bos_id, lang_id, tc.codec_think_eos_id]
    if spk is not None:
        codec_seq.append(spk)
    codec_seq += [tc.codec_pad_id, tc.codec_bos_id]
    rows += [{"text": int(i), "codec": None} for i in input_id[:3]]
    n = len(codec_seq) - 1
    rows += [{"text": PAD if k < n - 1 else BOS, "codec": codec_seq[k]} for k in range(n)]
    body = [int(i) for i in input_id[3:-5]]
    if clone is not None and clone["icl_mode"]:
        text = [int(i) for i in clone["ref_id"][3:-2]] + body + [EOS]
        codec = [tc.codec_bos_id] + [{"ref_frame": j} for j in range(clone["ref_frames"])]
        if non_streaming:
            rows += [{"text": t, "codec": tc.codec_pad_id} for t in text]
            rows += [{"text": PAD, "codec": c} for c in codec]
            trailing = []
        elif len(text) > len(codec):
            rows += [{"text": t, "codec": c} for t, c in zip(text[:len(codec)], codec, strict=True)]
            trailing = text[len(codec):]
        else:
            text = text + [PAD] * (len(codec) - len(text))
            rows += [{"text": t, "codec": c} for t, c in zip(text, codec, strict=True)]
            trailing = []
    elif non_streaming:
        rows += [{"text": t, "codec": tc.codec_pad_id} for t in body + [EOS]]
        rows += [{"text": PAD, "codec": tc.codec_bos_id}]
        trailing = []
    else:
        rows += [{"text": int(input_id[3]), "codec": tc.codec_bos_id}]
        trailing = [int(i) for i in input_id[4:-5]] + [EOS]
    return rows, trailing


@torch.no_grad()
def embed_rows(model, rows, spk_embed=None, ref_code=None):
    talker = model.talker
    dev = talker.device
    out = []
    for r in rows:
        v = torch.zeros(talker.config.hidden_size, dtype=torch.float32, device=dev)
        if r["text"] is not None:
            ids = torch.tensor([[r["text"]]], device=dev)
            v = v + talker.text_projection(talker.get_text_embeddings()(ids))[0, 0].float()
        c = r["codec"]
        if isinstance(c, int):
            v = v + talker.get_input_embeddings()(torch.tensor([c], device=dev))[0].float()
        elif c == "speaker":
            v = v + spk_embed.to(dev).float().reshape(-1)
        elif isinstance(c, dict):
            v = v + frame_embedding(model, ref_code[c["ref_frame"]]).float()
        out.append(v)
    return torch.stack(out)


@torch.no_grad()
def frame_embedding(model, frame_codes):
    """Sum of the 16 group embeddings of one codec frame (group 0: talker codec_embedding,
    group g>=1: code_predictor.model.codec_embedding[g-1])."""
    talker = model.talker
    fc = torch.as_tensor(frame_codes, device=talker.device).long()
    v = talker.get_input_embeddings()(fc[:1])[0]
    for g in range(1, talker.config.num_code_groups):
        v = v + talker.code_predictor.get_input_embeddings()[g - 1](fc[g:g + 1])[0]
    return v


def describe_processor(p):
    d = {"class": type(p).__name__}
    for k, v in vars(p).items():
        if isinstance(v, torch.Tensor):
            v = v.tolist()
            if isinstance(v, list) and len(v) > 8:
                v = {"count": len(v), "min": min(v), "max": max(v)}
        if isinstance(v, (int, float, str, bool, list, dict, type(None))):
            d[k] = v
    return d


# --------------------------------------------------------------------------------------------
# capture machinery
# --------------------------------------------------------------------------------------------
class GapRecorder:
    """Last logits processor: records the top-1 minus top-2 score after the official processors
    (for greedy decoding, how close the argmax was to flipping); returns the scores unchanged."""

    def __init__(self, sink: list):
        self.sink = sink

    def __call__(self, input_ids, scores):
        top = scores[0].float().topk(2).values
        self.sink.append(float(top[0] - top[1]))
        return scores


class Capture:
    def __init__(self, tts):
        self.tts = tts
        self.reset()

    def reset(self):
        self.tokenized = []
        self.talker_calls = []
        self.cp_calls = []
        self.generate_ret = None
        self.generate_kwargs = None
        self.decode_in = []
        self.encode_out = []
        self.spk_enc = []
        self.processors = {}
        self.gaps = {}

    def install(self):
        tts, model = self.tts, self.tts.model
        cap = self

        orig_tok = tts._tokenize_texts

        def tok_wrapper(texts):
            ids = orig_tok(texts)
            for t, i in zip(texts, ids, strict=True):
                cap.tokenized.append((t, to_np(i[0]).astype(np.int64)))
            return ids
        tts._tokenize_texts = tok_wrapper

        orig_gen = model.generate

        def gen_wrapper(*a, **kw):
            cap.generate_kwargs = {k: v for k, v in kw.items()
                                   if k not in ("input_ids", "instruct_ids", "ref_ids", "voice_clone_prompt")}
            r = orig_gen(*a, **kw)
            cap.generate_ret = r
            return r
        model.generate = gen_wrapper

        st = model.speech_tokenizer
        orig_dec, orig_enc = st.decode, st.encode

        def dec_wrapper(encoded):
            cap.decode_in.append(encoded)
            return orig_dec(encoded)

        def enc_wrapper(*a, **kw):
            r = orig_enc(*a, **kw)
            cap.encode_out.append(r)
            return r
        st.decode, st.encode = dec_wrapper, enc_wrapper

        for mod, key in ((model.talker, "talker"), (model.talker.code_predictor, "code_predictor")):
            orig_lp = mod._get_logits_processor

            def lp_wrapper(*a, __orig=orig_lp, __key=key, **kw):
                r = __orig(*a, **kw)
                cap.processors.setdefault(__key, [describe_processor(p) for p in r])
                r.append(GapRecorder(cap.gaps.setdefault(__key, [])))
                return r
            mod._get_logits_processor = lp_wrapper

        def talker_hook(module, args, kwargs, output):
            emb = kwargs.get("inputs_embeds")
            rec = {"prefill": emb is not None and emb.shape[1] > 1,
                   "logits": output.logits[0, -1].detach().float().clone()}
            hs, codec_ids = output.hidden_states
            rec["step_input"] = hs[0][0, -1].detach().float().clone()
            if rec["prefill"]:
                rec["inputs_embeds"] = emb[0].detach().float().clone()
                rec["hidden_states"] = torch.stack([h[0] for h in hs]).detach().float().clone()
                rec["trailing_text_hidden"] = kwargs.get("trailing_text_hidden")[0].detach().float().clone()
                rec["tts_pad_embed"] = kwargs.get("tts_pad_embed").reshape(-1).detach().float().clone()
            else:
                rec["codec_ids"] = codec_ids[0].detach().clone()
            cap.talker_calls.append(rec)

        def cp_hook(module, args, kwargs, output):
            emb = kwargs.get("inputs_embeds")
            pre = emb is not None and emb.shape[1] > 1
            rec = {"prefill": pre, "logits": output.logits[0, -1].detach().float().clone()}
            if pre:
                rec["inputs_embeds"] = emb[0].detach().float().clone()
            cap.cp_calls.append(rec)

        def spk_hook(module, args, output):
            cap.spk_enc.append((args[0][0].detach().float().clone(), output[0].detach().float().clone()))

        model.talker.register_forward_hook(talker_hook, with_kwargs=True)
        model.talker.code_predictor.register_forward_hook(cp_hook, with_kwargs=True)
        if model.speaker_encoder is not None:
            model.speaker_encoder.register_forward_hook(spk_hook)


# --------------------------------------------------------------------------------------------
# one case
# --------------------------------------------------------------------------------------------
GREEDY = dict(do_sample=False, subtalker_dosample=False)


def run_case(tts, cap: Capture, case: dict, out: Path, plain_tok) -> dict:
    d = Dumper(out)
    cfg = tts.model.config
    mode = case["mode"]
    gen = dict(GREEDY) if case.get("greedy", True) else {}
    gen.update(case.get("generate", {}))
    gen["max_new_tokens"] = case.get("max_new_tokens", 48)
    seed = int(case.get("seed", 0))
    cap.reset()
    info = {"name": case["name"], "case": case, "seed": seed}

    ref = None
    clone = None
    if mode == "voice_clone":
        ref = synthetic_audio(case.get("ref_seconds", 2.0), seed=case.get("ref_seed", 7))
        d.npy("ref_audio", ref, "float32 mono 24 kHz reference audio given to create_voice_clone_prompt")

    torch.manual_seed(seed)
    np.random.seed(seed)
    if mode == "custom_voice":
        wavs, sr = tts.generate_custom_voice(text=case["text"], speaker=case["speaker"],
                                             language=case.get("language", "Auto"),
                                             instruct=case.get("instruct"),
                                             non_streaming_mode=case.get("non_streaming_mode", True), **gen)
    elif mode == "voice_design":
        wavs, sr = tts.generate_voice_design(text=case["text"], instruct=case["instruct"],
                                             language=case.get("language", "Auto"),
                                             non_streaming_mode=case.get("non_streaming_mode", True), **gen)
    elif mode == "voice_clone":
        wavs, sr = tts.generate_voice_clone(text=case["text"], language=case.get("language", "Auto"),
                                            ref_audio=(ref, 24000), ref_text=case.get("ref_text"),
                                            x_vector_only_mode=case.get("x_vector_only_mode", False),
                                            non_streaming_mode=case.get("non_streaming_mode", False), **gen)
    else:
        raise ValueError(mode)

    # ---- tokenization -------------------------------------------------------------------------
    toks = {t: i for t, i in cap.tokenized}
    assistant = f"<|im_start|>assistant\n{case['text']}<|im_end|>\n<|im_start|>assistant\n"
    text_ids = d.npy("text_ids", toks[assistant],
                     "ids of '<|im_start|>assistant\\n{text}<|im_end|>\\n<|im_start|>assistant\\n' "
                     "as tokenized by the official processor")
    info["text_string"] = assistant
    plain = np.array(plain_tok(assistant)["input_ids"], dtype=np.int64)
    d.npy("text_ids_qwen_regex", plain, "same string, tokenizer WITHOUT the fix_mistral_regex patch (reference)")
    info["text_ids_differ_from_qwen_regex"] = bool(plain.shape != text_ids.shape or (plain != text_ids).any())
    instruct_id = None
    if case.get("instruct") and not (mode == "custom_voice" and tts.model.tts_model_size in "0b6"):
        s = f"<|im_start|>user\n{case['instruct']}<|im_end|>\n"
        instruct_id = d.npy("instruct_ids", toks[s], "ids of '<|im_start|>user\\n{instruct}<|im_end|>\\n'")
        info["instruct_string"] = s
    ref_id = None
    if mode == "voice_clone" and not case.get("x_vector_only_mode", False):
        s = f"<|im_start|>assistant\n{case['ref_text']}<|im_end|>\n"
        ref_id = d.npy("ref_text_ids", toks[s], "ids of '<|im_start|>assistant\\n{ref_text}<|im_end|>\\n'")
        info["ref_text_string"] = s

    # ---- voice clone prompt ---------------------------------------------------------------------
    spk_embed = None
    ref_code = None
    if mode == "voice_clone":
        mel, spk_embed = cap.spk_enc[0]
        d.npy("speaker_mel", mel, "[frames,128] log-mel fed to the ECAPA speaker encoder "
                                  "(n_fft 1024, hop 256, win 1024, fmin 0, fmax 12000, slaney mel)")
        d.npy("speaker_embedding", spk_embed, "speaker encoder output = the 'speaker' codec row of the prefill")
        if cap.encode_out and not case.get("x_vector_only_mode", False):
            ref_code = to_np(cap.encode_out[0].audio_codes[0]).astype(np.int64)
            d.npy("ref_codes", ref_code, "[frames,16] codec-encoder codes of ref_audio (ICL prompt)")
        clone = {"x_vector_only_mode": case.get("x_vector_only_mode", False),
                 "icl_mode": not case.get("x_vector_only_mode", False),
                 "ref_id": ref_id, "ref_frames": 0 if ref_code is None else len(ref_code)}

    # ---- talker prefill -------------------------------------------------------------------------
    calls = cap.talker_calls
    assert calls and calls[0]["prefill"], "no talker prefill captured"
    pre = calls[0]
    d.npy("prefill_embeds", pre["inputs_embeds"], "[L,H] talker inputs_embeds at prefill (float32)")
    d.npy("prefill_hidden_states", pre["hidden_states"],
          "[n_layers+1,L,H]: [0]=input embeds, [i]=output of layer i (last one AFTER the final RMSNorm)")
    d.npy("trailing_text_hidden", pre["trailing_text_hidden"],
          "[n,H] text-side vectors added at decode steps 0..n-1 (then tts_pad_embed)")
    d.npy("tts_pad_embed", pre["tts_pad_embed"], "[H] text_projection(text_embedding(tts_pad))")
    non_streaming = case.get("non_streaming_mode", mode != "voice_clone")
    speaker = case.get("speaker") if mode == "custom_voice" else None
    rows, trailing = build_layout(cfg, [int(x) for x in text_ids], instruct_id, speaker,
                                  case.get("language", "Auto"), non_streaming, clone)
    recon = embed_rows(tts.model, rows, spk_embed=spk_embed, ref_code=ref_code)
    layout_err = (float((recon - pre["inputs_embeds"]).abs().max())
                  if recon.shape == pre["inputs_embeds"].shape else None)
    row_l2 = [round(float(v), 6) for v in pre["inputs_embeds"].norm(dim=-1)]
    d.json("prefill_layout.json", {"rows": rows, "trailing_text_ids": trailing,
                                   "row_l2_norm": row_l2,
                                   "max_abs_err_vs_prefill_embeds": layout_err},
           "symbolic prefill: row = text_projection(text_embedding(text)) + codec part")
    info["prefill_len"] = int(pre["inputs_embeds"].shape[0])
    info["prefill_layout_max_abs_err"] = layout_err
    tr_recon = embed_rows(tts.model, [{"text": t, "codec": None} for t in trailing]) if trailing else None
    info["trailing_layout_max_abs_err"] = (float((tr_recon - pre["trailing_text_hidden"][:len(trailing)]).abs().max())
                                           if tr_recon is not None else None)

    # ---- generated codes ------------------------------------------------------------------------
    codes_list, hid_list = cap.generate_ret
    codes = to_np(codes_list[0]).astype(np.int64)
    d.npy("codes", codes, "[frames,16] generated codec codes (EOS frame and after removed)")
    d.npy("talker_hidden", hid_list[0], "[frames,H] talker last hidden (post-norm) that produced frame t's group-0 logits")
    steps = calls[1:]
    d.npy("talker_logits", torch.stack([c["logits"] for c in calls]),
          "[calls,3072] raw codec_head logits (before repetition penalty/suppression); row 0 = prefill")
    if steps:
        d.npy("talker_step_inputs", torch.stack([c["step_input"] for c in steps]),
              "[steps,H] talker inputs_embeds at decode step t = sum_g E_g(frame t) + text side")
        d.npy("talker_step_codec_ids", torch.stack([c["codec_ids"] for c in steps]),
              "[steps,16] the frame whose embeddings formed step t's input")
        errs = []  # verify the decode-step input rule
        pad = pre["tts_pad_embed"]
        for t, c in enumerate(steps):
            e = frame_embedding(tts.model, c["codec_ids"]).float()
            e = e + (pre["trailing_text_hidden"][t] if t < pre["trailing_text_hidden"].shape[0] else pad)
            errs.append(float((e - c["step_input"]).abs().max()))
        info["step_input_rule_max_abs_err"] = max(errs)
    # code predictor: calls come in groups of 15 (1 prefill of 2 positions + 14 single steps)
    cp = cap.cp_calls
    n_groups = tts.model.talker.config.num_code_groups - 1
    frames_cp = [cp[i:i + n_groups] for i in range(0, len(cp), n_groups)]
    if frames_cp:
        d.npy("cp_prefill_inputs", torch.stack([f[0]["inputs_embeds"] for f in frames_cp[:CP_LOGIT_FRAMES]]),
              "[k,2,H_talker] code-predictor prefill input per frame: [talker last hidden, E_0(group-0 code)] "
              "(before small_to_mtp_projection)")
        d.npy("cp_logits", torch.stack([torch.stack([c["logits"] for c in f]) for f in frames_cp[:CP_LOGIT_FRAMES]]),
              f"[k,15,2048] raw code-predictor logits for groups 1..15 of the first k={CP_LOGIT_FRAMES} frames")
    info["frames"] = int(codes.shape[0])
    info["eos_reached"] = bool(int(codes.shape[0]) < gen["max_new_tokens"] - 1)
    info["talker_calls"] = len(calls)
    info["generate_kwargs"] = {k: (v if isinstance(v, (int, float, str, bool, type(None), list, dict)) else repr(v))
                               for k, v in (cap.generate_kwargs or {}).items()}
    info["logits_processors"] = cap.processors
    if case.get("greedy", True):
        n = len(codes)
        gaps = np.concatenate([np.array(cap.gaps["talker"][:n], np.float32)[:, None],
                               np.array(cap.gaps["code_predictor"][:n * n_groups], np.float32).reshape(n, n_groups)], 1)
        d.npy("greedy_top2_gap", gaps, "[frames,16] top-1 minus top-2 score behind each greedy code (group 0: "
                                       "talker after the official logits processors; groups 1..15: code predictor)")
        info["greedy_top2_gap_min"] = {"talker": float(gaps[:, 0].min()), "code_predictor": float(gaps[:, 1:].min())}
        info["talker_gap_calls"], info["cp_gap_calls"] = len(cap.gaps["talker"]), len(cap.gaps["code_predictor"])

    # ---- decoded audio --------------------------------------------------------------------------
    dec_codes = to_np(cap.decode_in[0][0]["audio_codes"]).astype(np.int64)
    if dec_codes.shape != codes.shape or (dec_codes != codes).any():
        d.npy("codec_input_codes", dec_codes, "[frames,16] codes given to the codec decoder (ref codes + generated)")
    pcm = np.asarray(wavs[0], dtype=np.float32)
    d.npy("pcm", pcm, f"float32 mono {sr} Hz output of the official pipeline")
    info["sample_rate"] = sr
    info["samples"] = int(pcm.shape[0])
    info["pcm_rms"] = rms(pcm)
    info["pcm_abs_max"] = float(np.abs(pcm).max()) if pcm.size else 0.0
    info["pcm_clipped_fraction"] = float(np.mean(np.abs(pcm) >= 0.999)) if pcm.size else 0.0
    info["distinct_group0_codes"] = int(len(np.unique(codes[:, 0]))) if codes.size else 0
    info["files"] = d.files
    d.json("case.json", info)
    return info


# --------------------------------------------------------------------------------------------
# standalone codec + tokenizer goldens
# --------------------------------------------------------------------------------------------
@torch.no_grad()
def codec_standalone(tokenizer_wrapper, out: Path, seed: int = 1234) -> dict:
    d = Dumper(out)
    dec = tokenizer_wrapper.model.decoder
    info = {}
    g = torch.Generator().manual_seed(seed)
    for T in (40, 330):
        codes = torch.randint(0, dec.config.codebook_size, (T, dec.config.num_quantizers), generator=g)
        d.npy(f"codes_T{T}", codes, f"[{T},16] random codes (torch.randint seed {seed})")
        wavs, sr = tokenizer_wrapper.decode({"audio_codes": codes})
        d.npy(f"pcm_T{T}", wavs[0], "official Qwen3TTSTokenizer.decode output (chunked_decode: chunk 300, left ctx 25)")
        info[f"pcm_T{T}_rms"] = rms(wavs[0])
    # intermediates for T=40 via the decoder's own submodules, same order as Decoder.forward
    codes = torch.from_numpy(np.load(out / "codes_T40.npy")).long()
    x = codes.transpose(0, 1)[None]  # [1,16,T]
    h = dec.quantizer.decode(x)
    d.npy("T40_quantized", h[0], "[codebook_dim,T] SplitRVQ decode: rvq_first(group0)+rvq_rest(groups1..15), after output_proj")
    h = dec.pre_conv(h)
    d.npy("T40_pre_conv", h[0], "[latent_dim,T] causal conv k=3")
    h = dec.pre_transformer(inputs_embeds=h.transpose(1, 2)).last_hidden_state
    d.npy("T40_pre_transformer", h[0], "[T,latent_dim] pre_transformer output (input_proj..layers..norm..output_proj)")
    h = h.permute(0, 2, 1)
    for i, blocks in enumerate(dec.upsample):
        for j, b in enumerate(blocks):
            h = b(h)
            d.npy(f"T40_upsample{i}_{j}", h[0], f"[C,T'] after upsample[{i}][{j}] ({type(b).__name__})")
    for i, b in enumerate(dec.decoder):
        h = b(h)
        d.npy(f"T40_decoder{i}", h[0], f"[C,T'] after decoder[{i}] ({type(b).__name__})")
    full = dec(x).clamp(-1, 1)[0, 0]
    info["T40_intermediates_vs_decode_max_abs_err"] = float(np.abs(to_np(full) - np.load(out / "pcm_T40.npy")).max())

    # codec encoder (Mimi) on a synthetic signal, through the official wrapper
    wav = synthetic_audio(3.0, seed=11, f0=180.0)
    d.npy("enc_input", wav, "float32 24 kHz signal for Qwen3TTSTokenizer.encode")
    enc = tokenizer_wrapper.encode(wav, sr=24000)
    d.npy("enc_codes", enc.audio_codes[0], "[frames,16] encoder codes (first 16 of 32 Mimi quantizers)")
    info["enc_frames"] = int(enc.audio_codes[0].shape[0])
    info["files"] = d.files
    d.json("codec.json", info)
    return info


def tokenizer_golden(tts, plain_tok, out: Path) -> dict:
    """Corpus -> ids under both regexes; one case per line so diffs stay readable."""
    out.mkdir(parents=True, exist_ok=True)
    proc = tts.processor
    rows = []
    for kind, s in tokenizer_corpus.corpus():
        ids = proc(text=s, return_tensors="pt", padding=True)["input_ids"][0].tolist()
        plain = plain_tok(s)["input_ids"]
        rows.append({"text": s, "kind": kind, "ids": ids, "ids_qwen_regex": plain, "differ": ids != plain})
    head = {
        "note": "ids = official processor (AutoProcessor.from_pretrained(..., fix_mistral_regex=True)); "
                "ids_qwen_regex = same files loaded without the flag (original Qwen2 split regex); "
                "corpus: golden/tokenizer_corpus.py (kind hand|mixed|codepoints)",
        "corpus_seed": tokenizer_corpus.SEED,
        "official_pre_tokenizer": repr(proc.tokenizer.backend_tokenizer.pre_tokenizer),
        "qwen_pre_tokenizer": repr(plain_tok.backend_tokenizer.pre_tokenizer),
    }
    body = ",\n".join("  " + json.dumps(r, ensure_ascii=False) for r in rows)
    text = json.dumps(head, indent=1, ensure_ascii=False)[:-2] + ',\n "cases": [\n' + body + "\n ]\n}\n"
    (out / "tokenizer_cases.json").write_text(text, encoding="utf-8")
    return {"n": len(rows), "n_differ": sum(r["differ"] for r in rows)}


# --------------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="tiny", help="export/random_checkpoint.py size of the checkpoints (default tiny)")
    ap.add_argument("--out", default=None, help="output directory (default golden/<size>)")
    ap.add_argument("--cases", default=None, help="cases file (default golden/cases/<size>.json)")
    ap.add_argument("--cases-only", action="store_true",
                    help="only the cases and manifest.json: no tokenizer corpus, no standalone codec dump")
    ap.add_argument("--checkpoints", default=None,
                    help="write the generated checkpoints here and keep them (default: a temp dir)")
    ap.add_argument("--threads", type=int, default=2,
                    help="torch.set_num_threads; floats move by ~1e-5 between thread counts (default 2)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    import transformers
    from qwen_tts import Qwen3TTSModel
    from transformers import AutoTokenizer

    out = Path(args.out or HERE / args.size)
    out.mkdir(parents=True, exist_ok=True)
    cases = json.loads(Path(args.cases or HERE / "cases" / f"{args.size}.json").read_text(encoding="utf-8"))
    tmp = None
    if args.checkpoints:
        ck_root = Path(args.checkpoints)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="qtts-golden-")
        ck_root = Path(tmp.name)

    manifest = {
        "format_version": FORMAT_VERSION,
        "source": "golden/make_golden.py (official qwen-tts on export/random_checkpoint.py checkpoints)",
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "transformers": transformers.__version__, "qwen_tts": version("qwen-tts"),
                     "numpy": np.__version__},
        "torch_threads": torch.get_num_threads(), "device": "cpu", "dtype": "float32",
        "attn_implementation": "eager", "models": {}, "checkpoint_sha256": {}, "cases": [],
    }
    timings = {}
    loaded = {}
    tok_log = logging.getLogger("transformers.tokenization_utils_base")
    t_all = time.time()
    for variant in VARIANTS:
        mdir = ck_root / f"{args.size}-{variant}"
        t0 = time.time()
        generate_checkpoint(mdir, args.size, variant, seed=SEED, dtype=DTYPE)
        timings[f"generate_{variant}_s"] = time.time() - t0
        t0 = time.time()
        messages = []
        with captured_messages(messages):
            tts = Qwen3TTSModel.from_pretrained(str(mdir), dtype=torch.float32, attn_implementation="eager",
                                                device_map="cpu")
        tok_log.setLevel(logging.ERROR)  # this load warns "incorrect regex pattern", as expected
        plain = AutoTokenizer.from_pretrained(str(mdir))  # no fix_mistral_regex -> original Qwen regex
        tok_log.setLevel(logging.NOTSET)
        tts.model.eval()
        timings[f"load_{variant}_s"] = time.time() - t0
        cap = Capture(tts)
        cap.install()
        manifest["models"][variant] = {
            "dir_name": mdir.name,
            "generator": {"function": "qtts.export.random_checkpoint.generate_checkpoint",
                          "size": args.size, "variant": variant, "seed": SEED, "dtype": DTYPE},
            "tts_model_type": tts.model.tts_model_type, "tts_model_size": tts.model.tts_model_size,
            "official_pre_tokenizer": repr(tts.processor.tokenizer.backend_tokenizer.pre_tokenizer),
            "load_check": load_check(tts, mdir),
            "load_messages": messages,
        }
        manifest["checkpoint_sha256"][variant] = sha256_files(mdir)
        loaded[variant] = (tts, cap, plain)

    if not args.cases_only:
        tts0, _, plain0 = loaded["custom_voice"]  # tokenizer + codec are shared by all variants
        t0 = time.time()
        manifest["tokenizer"] = tokenizer_golden(tts0, plain0, out / "tokenizer")
        timings["tokenizer_s"] = time.time() - t0
        t0 = time.time()
        manifest["codec_standalone"] = codec_standalone(tts0.model.speech_tokenizer, out / "codec_standalone")
        timings["codec_standalone_s"] = time.time() - t0

    for case in cases:
        variant = MODEL_FOR_MODE[case["mode"]]
        tts, cap, plain = loaded[variant]
        t0 = time.time()
        info = run_case(tts, cap, case, out / case["name"], plain)
        timings[case["name"]] = time.time() - t0
        manifest["cases"].append({"name": case["name"], "mode": case["mode"], "model": variant,
                                  "frames": info["frames"], "prefill_len": info["prefill_len"],
                                  "prefill_layout_max_abs_err": info["prefill_layout_max_abs_err"],
                                  "step_input_rule_max_abs_err": info.get("step_input_rule_max_abs_err"),
                                  "pcm_rms": info["pcm_rms"], "distinct_group0_codes": info["distinct_group0_codes"],
                                  "greedy_top2_gap_min": info.get("greedy_top2_gap_min"),
                                  "text_ids_differ_from_qwen_regex": info["text_ids_differ_from_qwen_regex"]})
        print(f"[golden] {case['name']:34s} frames={info['frames']:3d} prefill={info['prefill_len']:3d} "
              f"t={timings[case['name']]:.2f}s rms={info['pcm_rms']:.3f} "
              f"layout_err={info['prefill_layout_max_abs_err']} step_err={info.get('step_input_rule_max_abs_err')}",
              flush=True)
    write_json(out / "manifest.json", manifest)
    timings["total_s"] = time.time() - t_all
    print("[golden] timings (s): " + ", ".join(f"{k}={v:.2f}" for k, v in timings.items()))
    if not args.cases_only:
        print(f"[golden] tokenizer: {manifest['tokenizer']['n']} strings, {manifest['tokenizer']['n_differ']} differ "
              f"between regexes")
    print(f"[golden] wrote {out}")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
