#!/usr/bin/env bash
# Every check of the CUDA backend that needs a GPU, in one go (CI has none).
#
# 1. makes .venv-gpu over $PYTHON (default python3) with its site packages
#    visible (a GPU image's PyTorch, cuBLAS and NVRTC stay usable) and
#    installs the project and pycuda (the `cuda` extra) into it; pycuda
#    builds against the CUDA toolkit (nvcc on PATH or CUDA_HOME);
# 2. checks that a device is usable (prints the missing piece otherwise);
# 3. runs the CUDA backend's own tests, then the whole tests/symbolic suite
#    under device=cuda with cuda__crosscheck=True: every node a CUDA kernel
#    runs is recomputed by its op's perform and compared;
# 4. runs benchmarks/gpu.py (MLP epoch, LSTM step, LeNet step against
#    PyTorch CUDA in the same process; time to first result).
#
# Offline GPU machines: set WHEELS to a folder of the packages to install
# (pip then reads only that folder).  Prepared on a machine with an index:
#     pip download --no-deps -d .whl pycuda pytools mako platformdirs \
#         siphash24 picklable-itertools progressbar2 python-utils
# (pycuda comes as a source archive and is built on the GPU machine; a
# compiled wheel such as siphash24's must match that machine's Python:
# give pip download its --python-version and --platform).
#
# Usage: [WHEELS=.whl] [PYTHON=python3] scripts/gpu_check.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
CUDA_ROOT="${CUDA_HOME:-$(dirname "$(dirname "$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)")")}"
export CUDA_ROOT PATH="$CUDA_ROOT/bin:$PATH"
pip_args=(--quiet)
if [ -n "${WHEELS:-}" ]; then
    pip_args+=(--no-index --find-links "$WHEELS" --no-build-isolation)
fi
echo "== installing the project and pycuda into .venv-gpu (CUDA at $CUDA_ROOT)"
"$PYTHON" -m venv --system-site-packages .venv-gpu
py=.venv-gpu/bin/python
"$py" -m pip install "${pip_args[@]}" --no-deps -e .
"$py" -m pip install "${pip_args[@]}" numpy scipy pyyaml six toolz llvmlite \
    picklable-itertools progressbar2 pytest pycuda
echo "== the device"
"$py" - <<'PY'
from symbolic.backends.cuda import build
from symbolic.backends.cuda.driver import CudaUnavailable, require_cuda

try:
    context = require_cuda("cuda")
except CudaUnavailable as error:
    raise SystemExit(f"no usable GPU ({error.missing} missing): {error}")
print(context, "compute capability", context.compute_capability())
print("kernels compiled by", build.choose_compiler())
PY
status=0
echo "== the CUDA backend's tests"
"$py" -m pytest -q -p no:cacheprovider tests/symbolic/backends/cuda || status=1
echo "== tests/symbolic under device=cuda, cross-checked against perform"
SYMBOLIC_FLAGS=device=cuda,cuda__crosscheck=True \
    "$py" -m pytest -q -p no:cacheprovider --maxfail=50 tests/symbolic "$@" \
    || status=1
echo "== benchmarks/gpu.py"
SYMBOLIC_FLAGS=device=cuda,floatX=float32 "$py" benchmarks/gpu.py || status=1
exit "$status"
