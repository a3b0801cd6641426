#!/usr/bin/env bash
# The GPU bench in one call on the lent machine (issue 15): installs onnxruntime-gpu and the few
# missing wheels from what was carried, makes this tree importable as `qtts`, then runs
# deploy/gpu/bench_gpu.py (checkpoints, exports, parity, batch-1 streaming, concurrency curve,
# JSON under $OUT, a table last). Run from the repository root.
#
#   GPU:  bash deploy/gpu/bench_gpu.sh                      (carry .whl; onnxruntime-gpu as below)
#   CPU:  PROVIDER=cpu bash deploy/gpu/bench_gpu.sh         (dry run on tiny shapes: the script's test)
#
# onnxruntime-gpu (~256 MB) cannot travel in one call (64 MiB a call): `make gpu-wheels` splits it
# into .ortgpu/piece.NN (../shared/tools/ortgpu-pieces.sh) and collects the small wheels in .whl/.
# Earlier calls on the same warm machine copy one piece each to /tmp/ortgpu/ (carry
# [".ortgpu/piece.NN"]: `mkdir -p /tmp/ortgpu && cp .ortgpu/piece.* /tmp/ortgpu/`); this script then
# joins and checks them (carry [".ortgpu/SHA256SUMS", ".whl"]). ORTGPU_WHEEL=path skips the pieces.
#
# Environment: PROVIDER (cuda), OUT (build/bench-gpu), BUDGET_S (420: the driver skips steps past it),
# SIZES, PROFILES, CONCURRENCY, FRAMES, PYTHON; any other driver option after `--`.
set -euo pipefail
PROVIDER=${PROVIDER:-cuda}
OUT=${OUT:-build/bench-gpu}
mkdir -p "$OUT"
if [ "$PROVIDER" = cpu ]; then
  PYTHON=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
  set -- --sizes "${SIZES:-tiny}" --profiles "${PROFILES:-fp16,bf16}" --concurrency "${CONCURRENCY:-1,2}" \
    --frames "${FRAMES:-8}" --parity-frames 8 --warm-runs 1 --level-seconds 5 --capacity 64 "$@"
else
  PYTHON=${PYTHON:-python3}
  site=/tmp/site
  mkdir -p "$site"
  if ! PYTHONPATH=$site "$PYTHON" -c "import onnxruntime as o, sys; sys.exit('CUDAExecutionProvider' not in o.get_available_providers())" 2>/dev/null; then
    wheel=${ORTGPU_WHEEL:-}
    if [ -z "$wheel" ]; then
      [ -f .ortgpu/SHA256SUMS ] && cp .ortgpu/SHA256SUMS /tmp/ortgpu/ 2>/dev/null || true
      [ -f /tmp/ortgpu/SHA256SUMS ] || { echo "no onnxruntime-gpu: carry the pieces first (see the header)" >&2; exit 2; }
      wheel=/tmp/ortgpu/$(awk '{print $2}' /tmp/ortgpu/SHA256SUMS)
      (cd /tmp/ortgpu && cat piece.* > "$wheel" && sha256sum -c SHA256SUMS)
    fi
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --target "$site" "$wheel"
  fi
  if compgen -G ".whl/*.whl" >/dev/null; then  # soundfile, cffi, pycparser, soxr (make gpu-wheels)
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --target "$site" --upgrade .whl/*.whl
  fi
  mkdir -p /tmp/qtts-path && ln -sfn "$PWD" /tmp/qtts-path/qtts  # the tree is the package `qtts` (pyproject package-dir)
  export PYTHONPATH=$site:/tmp/qtts-path${PYTHONPATH:+:$PYTHONPATH}
  # the CUDA 13 / cuDNN 9 libraries come with the image's torch (nvidia/*/lib); preload_dlls may not look there
  nv=$("$PYTHON" -c "import glob, nvidia; print(':'.join(d for p in nvidia.__path__ for d in sorted(glob.glob(p + '/**/lib', recursive=True))))" 2>/dev/null || true)
  export LD_LIBRARY_PATH=$nv${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  "$PYTHON" -c "import onnxruntime as o; o.preload_dlls(); print('onnxruntime', o.__version__, o.get_available_providers())"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
  set -- --sizes "${SIZES:-0.6b,1.7b}" --profiles "${PROFILES:-fp16,bf16}" --concurrency "${CONCURRENCY:-1,8,32,64}" \
    --frames "${FRAMES:-40}" "$@"
fi
export PYTHONUNBUFFERED=1
"$PYTHON" deploy/gpu/bench_gpu.py --provider "$PROVIDER" --budget-s "${BUDGET_S:-420}" \
  --work "${WORK:-build/bench-gpu/work}" --out "$OUT/bench_gpu.json" "$@" 2>&1 | tee "$OUT/bench_gpu.log"
