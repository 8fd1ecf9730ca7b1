#!/usr/bin/env bash
# Installs the project with its test extras into .venv and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
set +e
.venv/bin/python -m pytest -n 2 tests "$@"
rc=$?
set -e
# pytest exits 5 when it collected no tests: that is not a failure.
if [ "$rc" -eq 5 ]; then rc=0; fi
exit "$rc"
