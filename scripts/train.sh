#!/usr/bin/env bash
# Installs the project into .venv and runs the main job: the tutorial model
# trained end to end on the dataset that ships with fuel.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "installing the project into .venv (about a minute the first time)..."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
exec .venv/bin/python examples/mnist.py "$@"
