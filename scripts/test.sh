#!/usr/bin/env bash
# Installs the project with its test extras into .venv and runs the whole suite,
# then the symbolic suite again under DebugMode (every call cross-checked
# against perform and against the unrewritten graph; the finiteness check is
# off because many tests compute inf on purpose), then under the LLVM and
# Python backends.
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian packages some tests need: Chromium (the live-plot test) and Open MPI
# (the data-parallel tests). Installed as root when missing; without them
# those tests skip, so a failed install never fails the run.
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v mpirun >/dev/null 2>&1 || missing="$missing openmpi-bin libopenmpi-dev"
if [ "$(id -u)" = 0 ] && [ -n "$missing" ]; then
    echo "installing Debian packages:$missing..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq $missing >/dev/null) ||
        echo "could not install$missing: the tests that need them will skip"
fi
echo "installing the project and its test extras into .venv..."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
# mpi4py (the `mpi` extra) builds against Open MPI, so it is not in `test`.
if command -v mpirun >/dev/null 2>&1; then
    .venv/bin/python -m pip install --quiet mpi4py \
        || echo "could not install mpi4py: the MPI tests will be skipped"
fi
set +e
.venv/bin/python -m pytest -n 2 tests "$@"
rc=$?
# pytest exits 5 when it collected no tests: that is not a failure.
if [ "$rc" -eq 5 ]; then rc=0; fi
if [ "$rc" -eq 0 ] && [ "$#" -eq 0 ]; then
    SYMBOLIC_FLAGS=mode=DebugMode,DebugMode__check_finite=False \
        .venv/bin/python -m pytest -n 2 tests/symbolic
    rc=$?
    if [ "$rc" -eq 5 ]; then rc=0; fi
fi
# The symbolic suite again under each other backend: LLVM with no C compiler
# at all (cxx empty: a test that starts one fails), then the Python perform
# reference. Tests of the C backend's own workings skip in these passes.
for flags in "linker=llvm,cxx=" "linker=py"; do
    if [ "$rc" -eq 0 ] && [ "$#" -eq 0 ]; then
        SYMBOLIC_FLAGS="$flags" .venv/bin/python -m pytest -n 2 tests/symbolic
        rc=$?
        if [ "$rc" -eq 5 ]; then rc=0; fi
    fi
done
set -e
exit "$rc"
