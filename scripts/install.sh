#!/usr/bin/env bash
# Install synthsense and its dependencies into ./.venv (Python 3.11: bpy 5.0.1 exists only for 3.11).
# Installs Mesa's EGL driver with apt-get when it is missing (headless pyrender renders through EGL).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! ldconfig -p 2>/dev/null | grep -q 'libEGL_mesa.so.0'; then
  echo "install: Mesa EGL not found, installing libegl1 libgl1-mesa-dri libegl-mesa0 with apt-get" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libegl1 libegl-mesa0 libgl1-mesa-dri libgl1 >/dev/null
fi

PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "install: Python 3.11 is required (bpy 5.0.1 wheels exist only for 3.11); found $("$PYTHON" --version)" >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[dev,ray]"

# The consumers' own code that tests read our exports with (TrackEval, FiftyOne's COCO importer,
# ultralytics' label rasterization) needs numpy 2: a venv of its own (scripts/consumers.txt).
[ -x .venv-consumers/bin/python ] || "$PYTHON" -m venv .venv-consumers
.venv-consumers/bin/python -m pip install -q --upgrade pip
.venv-consumers/bin/python -m pip install -q -r scripts/consumers.txt
.venv-consumers/bin/python -m pip install -q --no-deps ultralytics==8.4.190
echo "install: done (.venv, .venv-consumers)"
