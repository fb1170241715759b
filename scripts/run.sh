#!/usr/bin/env bash
# The main job on a fresh machine, offline, no API keys: install the package into a private
# virtualenv and run the quickstart (a mock_response call, then a real HTTP call, sync, async and
# streamed, to a small OpenAI-compatible server the example starts on 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${LITELLM_RS_VENV:-.venv}"
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet .
"$VENV/bin/python" examples/quickstart.py
