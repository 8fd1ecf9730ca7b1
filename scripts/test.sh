#!/usr/bin/env bash
# Installs the project with its test extras into .venv and runs the whole suite,
# then the symbolic suite again under DebugMode (every call cross-checked
# against perform and against the unrewritten graph; the finiteness check is
# off because many tests compute inf on purpose).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
# The data-parallel tests need Open MPI and mpi4py (the `mpi` extra). As root
# without mpirun, try to install them; the tests skip when this fails.
if [ "$(id -u)" -eq 0 ] && ! command -v mpirun >/dev/null 2>&1; then
    { apt-get install -y openmpi-bin libopenmpi-dev >/dev/null 2>&1 \
        || { apt-get update >/dev/null 2>&1 \
             && apt-get install -y openmpi-bin libopenmpi-dev >/dev/null 2>&1; }; } \
        || echo "could not install Open MPI: the MPI tests will be skipped"
fi
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
set -e
exit "$rc"
