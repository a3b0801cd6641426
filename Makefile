# Two commands for a newcomer: `make demo` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
TTS    := $(VENV)/bin/tts-run
REFVENV ?= .refvenv
MODEL  ?=
PROFILE ?= fp32
FRAMES ?= 40
SHARED ?= ../shared

BENCH_GPU_PROVIDER ?= cuda

.PHONY: setup test deploy-check demo export bench bench-gpu gpu-wheels bench-concurrency bench-reference soak golden refvenv conformance-shared loadtest lint clean eval-normalize protos

setup: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[cpu,dev,server,export]'
	touch $@

test: setup
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check .

# deploy/: kubectl kustomize renders every overlay, schema validation, hadolint, the loopback scale-out test
deploy-check: setup
	$(PY) -m pytest tests/deploy -q

# Regenerate the gRPC (Riva-compatible) message and service modules from server/riva/proto/*.proto
protos: setup
	$(PY) -m grpc_tools.protoc -I . --python_out=. --pyi_out=. --grpc_python_out=. server/riva/proto/riva_audio.proto \
	    server/riva/proto/riva_common.proto server/riva/proto/riva_tts.proto
	rm -f server/riva/proto/riva_audio_pb2_grpc.py server/riva/proto/riva_common_pb2_grpc.py
	# a private descriptor pool (server/riva/proto/__init__.py): the stock client registers the same names
	sed -i -e 's/_descriptor_pool.Default().AddSerializedFile/POOL.AddSerializedFile/' \
	    -e 's/^# @@protoc_insertion_point(imports)$$/&\nfrom qtts.server.riva.proto import POOL/' server/riva/proto/riva_*_pb2.py
	# generated from the repository's paths (server/...); installed, the package is qtts.server
	sed -i -e "s/\([ ']\)server\.riva\.proto/\1qtts.server.riva.proto/g" server/riva/proto/riva_*_pb2*.py*

# Embedded default model: random weights (noise), generated from a seed, exported, then spoken.
demo: setup
	@echo "== NOTE: the embedded demo model has RANDOM weights: the WAV is noise, not speech."
	@echo "== For real speech: make export MODEL=Qwen/Qwen3-TTS-12Hz-0.6B-CustomVoice (or a local checkpoint dir)"
	$(TTS) export
	$(TTS) synth "Привет, мир! Hello from the Qwen3-TTS runtime." --speaker ryan --language auto --seed 0 --max-frames 100 -o demo.wav
	@echo "== wrote demo.wav"

# make export MODEL=<checkpoint dir or hub id> [PROFILE=fp32]
export: setup
	$(TTS) export $(MODEL) --profile $(PROFILE)

# checkpoints/<size>-<variant>: random weights in the released layout (size tiny|0.6b|1.7b)
checkpoints/%/config.json: | setup
	$(TTS) random-checkpoint checkpoints/$* --size $(firstword $(subst -, ,$*)) --variant $(patsubst $(firstword $(subst -, ,$*))-%,%,$*)

# Tiny models and real 0.6B shapes (random weights), FRAMES frames per request -> bench.json
# (streaming time to first audio over 20 requests, RTF, chunk gaps, underruns; Base: 10 s reference
# encoding and requests in the cloned voice; codec streaming-vs-full parity)
# QUANT_MODELS are also exported and benched per QUANT_PROFILES (engines/<model>-<profile>), with the
# teacher-forced fidelity gates against their fp32 engine; summary: profile, engine_mb, stream_vs_whole_rtf
BENCH_MODELS ?= tiny-custom_voice tiny-base 0.6b-custom_voice 0.6b-base
QUANT_MODELS ?= 0.6b-custom_voice
QUANT_PROFILES ?= cpu-int8 cpu-int4
QUANT_ENGINES := $(foreach m,$(QUANT_MODELS),$(foreach p,$(QUANT_PROFILES),$(m)-$(p)))
bench: setup $(BENCH_MODELS:%=checkpoints/%/config.json) $(QUANT_MODELS:%=checkpoints/%/config.json)
	for m in $(BENCH_MODELS); do $(TTS) export checkpoints/$$m --out engines/$$m || exit 1; done
	for m in $(QUANT_MODELS); do for p in $(QUANT_PROFILES); do $(TTS) export checkpoints/$$m --profile $$p --out engines/$$m-$$p || exit 1; done; done
	$(TTS) bench $(BENCH_MODELS:%=--engines engines/%) $(QUANT_ENGINES:%=--engines engines/%) --frames $(FRAMES) --codec-parity \
	    $(if $(wildcard bench_reference.json),--reference bench_reference.json) --out bench.json

# The GPU bench in one call on a lent GPU machine (deploy/gpu/bench_gpu.sh: fp16/bf16 engines of random 0.6B
# and 1.7B checkpoints, parity against the fp32 CPU engine, batch-1 streaming TTFA/RTF, the concurrency
# curve -> $$OUT/bench_gpu.json and a table). `make bench-gpu BENCH_GPU_PROVIDER=cpu` dry-runs it on tiny shapes.
bench-gpu:
	PROVIDER=$(BENCH_GPU_PROVIDER) bash deploy/gpu/bench_gpu.sh

# What the GPU machine lacks (it reaches no index): onnxruntime-gpu in pieces (.ortgpu), the runtime's
# missing wheels (.whl), the official qwen-tts and faster-qwen3-tts with their missing needs (.whl-reference)
WHEEL_PLATFORM := --only-binary=:all: --python-version 3.12 --implementation cp --platform manylinux_2_28_x86_64 \
    --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64
gpu-wheels:
	bash $(SHARED)/tools/ortgpu-pieces.sh
	for d in .whl .whl-reference; do grep -qx "/$$d/" .git/info/exclude || echo "/$$d/" >> .git/info/exclude; done
	$(PYTHON) -m pip download -q --no-deps $(WHEEL_PLATFORM) -d .whl $$(grep -v '^#' deploy/gpu/wheels.txt)
	$(PYTHON) -m pip download -q --no-deps $(WHEEL_PLATFORM) -d .whl-reference $$(grep -v '^#' deploy/gpu/reference-wheels.txt)
	du -sh .ortgpu .whl .whl-reference

# The batching scheduler under load (closed loop per concurrency, Poisson open loop, priority isolation)
# -> bench_concurrency_<model>.json + .png; 0.6B shapes stop at C=8 (the CPU runs them slower than real time)
bench-concurrency: setup checkpoints/tiny-custom_voice/config.json checkpoints/0.6b-custom_voice/config.json
	$(VENV)/bin/pip install -q -e '.[cpu,dev,bench]'
	for m in tiny-custom_voice 0.6b-custom_voice; do $(TTS) export checkpoints/$$m --out engines/$$m || exit 1; done
	$(TTS) bench --engines engines/tiny-custom_voice --concurrency 1,2,4,8,16,32 --rate 8 --frames $(FRAMES) --out bench_concurrency_tiny.json
	$(TTS) bench --engines engines/0.6b-custom_voice --concurrency 1,2,4,8 --frames $(FRAMES) --requests 8 --no-isolation --seconds 300 --out bench_concurrency_0.6b.json

# A real `tts-run serve` (tiny engine, loopback) under HTTP load from `tts-run loadtest`: closed loop at
# C = 1, 8, 32, LOADTEST_SECONDS per level, FRAMES frames per request -> docs/bench/loadtest.{json,png}
LOADTEST_PORT ?= 18080
LOADTEST_SECONDS ?= 30
LOADTEST_ENGINE ?= engines/tiny-custom_voice
loadtest: setup checkpoints/tiny-custom_voice/config.json
	$(TTS) export checkpoints/tiny-custom_voice --out $(LOADTEST_ENGINE)
	$(TTS) serve --engines $(LOADTEST_ENGINE) --port $(LOADTEST_PORT) --max-streams 32 --api-key sk-loadtest & pid=$$!; \
	trap 'kill $$pid; wait $$pid' EXIT; \
	$(TTS) loadtest --url http://127.0.0.1:$(LOADTEST_PORT) --api-key sk-loadtest --concurrency 1,8,32 --duration $(LOADTEST_SECONDS) \
	    --max-new-tokens $(FRAMES) --wait-ready 120 --out docs/bench/loadtest.json

# One long stream on the tiny model (MINUTES of audio): memory growth, underruns, sample accounting -> soak.json
MINUTES ?= 10
soak: setup checkpoints/tiny-custom_voice/config.json
	$(TTS) export checkpoints/tiny-custom_voice --out engines/tiny-custom_voice
	$(TTS) soak --engines engines/tiny-custom_voice --minutes $(MINUTES) --out soak.json

# The official implementation on the same checkpoints (needs the reference venv: make refvenv)
bench-reference: checkpoints/tiny-custom_voice/config.json checkpoints/0.6b-custom_voice/config.json
	HF_HUB_OFFLINE=1 $(REFVENV)/bin/python golden/bench_reference.py --frames $(FRAMES) \
	    --checkpoints checkpoints/tiny-custom_voice checkpoints/0.6b-custom_voice --out bench_reference.json

refvenv:
	VENV=$(abspath $(REFVENV)) bash $(SHARED)/reference/setup_venv.sh
	$(REFVENV)/bin/pip install -q --no-deps -e .  # the golden scripts import qtts (our generator, bench text)

golden:
	HF_HUB_OFFLINE=1 $(REFVENV)/bin/python golden/make_golden.py --out golden/tiny
	HF_HUB_OFFLINE=1 $(REFVENV)/bin/python golden/make_golden.py --size tiny-hd24 --cases-only

# Conformance against the team's shared golden set (needs the reference venv to rebuild its checkpoints)
conformance-shared: setup
	VENV=$(abspath $(REFVENV)) bash $(SHARED)/reference/make_tiny_models.sh build/shared-ckpt
	for v in custom_voice voice_design base; do \
	  $(TTS) export build/shared-ckpt/tiny-$$v --out build/shared-engines/tiny-$$v && \
	  $(TTS) conformance --concurrency 4 --engines build/shared-engines/tiny-$$v --cases $(SHARED)/reference/cases/tiny.json \
	      --out build/conformance/tiny-$$v --golden $(SHARED)/golden/tiny || exit 1; \
	done

# Held-out everyday-text evaluation of the normalizer, per category, with ru-normalizr on the Russian cases
eval-normalize: setup
	$(VENV)/bin/pip install -q -e '.[eval]'
	for d in eval eval_fresh eval_blind eval_blind2 eval_blind3 eval_blind4; do echo "== tests/normalize/$$d"; $(PY) -m qtts.normalize.evaluate --dir tests/normalize/$$d || exit 1; done

clean:
	rm -rf build engines/*/ checkpoints demo.wav bench.json bench_concurrency_*
