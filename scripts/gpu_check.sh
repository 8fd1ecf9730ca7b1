#!/usr/bin/env bash
# Every check of the CUDA backend that needs a GPU, in one go (CI has none).
#
# 1. installs the project with the `test` and `cuda` extras (pycuda builds
#    against the CUDA toolkit: nvcc on PATH or CUDA_HOME set);
# 2. checks that a device is usable (prints the missing piece otherwise);
# 3. runs the CUDA backend's own GPU tests, then the whole tests/symbolic
#    suite under device=cuda with cuda__crosscheck=True: every node a CUDA
#    kernel runs is recomputed by its op's perform and compared;
# 4. runs benchmarks/gpu.py (MLP epoch, LSTM step, LeNet step against
#    PyTorch CUDA in the same process; time to first result).
#
# Usage: scripts/gpu_check.sh [extra pytest arguments for step 3]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
echo "== installing the project with the test and cuda extras"
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test,cuda]"
echo "== the device"
.venv/bin/python - <<'PY'
from symbolic.backends.cuda.driver import CudaUnavailable, require_cuda

try:
    context = require_cuda("cuda")
except CudaUnavailable as error:
    raise SystemExit(f"no usable GPU ({error.missing} missing): {error}")
print(context, "compute capability", context.compute_capability())
PY
status=0
echo "== the CUDA backend's tests"
.venv/bin/python -m pytest -q -p no:cacheprovider tests/symbolic/backends/cuda \
    || status=1
echo "== tests/symbolic under device=cuda, cross-checked against perform"
SYMBOLIC_FLAGS=device=cuda,cuda__crosscheck=True \
    .venv/bin/python -m pytest -q -p no:cacheprovider --maxfail=50 tests/symbolic "$@" \
    || status=1
echo "== benchmarks/gpu.py"
SYMBOLIC_FLAGS=device=cuda,floatX=float32 .venv/bin/python benchmarks/gpu.py \
    || status=1
exit "$status"
