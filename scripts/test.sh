#!/usr/bin/env bash
# Installs the project with its test extras into .venv and runs the whole suite,
# then the symbolic suite again under DebugMode (every call cross-checked
# against perform and against the unrewritten graph; the finiteness check is
# off because many tests compute inf on purpose).
set -euo pipefail
cd "$(dirname "$0")/.."
# The live-plot test drives a headless Chromium: install Debian's when we can
# (as root, binary absent). Without it that test skips, so never fail here.
if [ "$(id -u)" = 0 ] && ! command -v chromium >/dev/null 2>&1; then
    echo "installing chromium for the live-plot test..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq chromium >/dev/null) ||
        echo "chromium could not be installed: the live-plot test will skip"
fi
echo "installing the project and its test extras into .venv..."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
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
