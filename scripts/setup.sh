#!/usr/bin/env bash
# Build .venv with everything the course needs, from the lock (requirements/lock.txt), with uv.
# Safe to run again: when nothing changed since the last run it returns at once.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
PINS=requirements/course.in
LOCK=requirements/lock.txt
HOROVOD_VERSION=0.28.1

say() { printf '\n==> %s\n' "$*"; }
fail() { printf '\nSetup stopped: %s\n' "$*" >&2; exit 1; }

stamp=$(cat "$PINS" "$LOCK" pyproject.toml scripts/setup.sh scripts/uv_env.sh scripts/horovod.sh \
  | { command -v sha256sum >/dev/null 2>&1 && sha256sum || shasum -a 256; } | cut -c1-16)
if [ -f "$VENV/.course-ready" ] && [ "$(cat "$VENV/.course-ready")" = "$stamp" ]; then
  echo "Course environment is up to date ($VENV)."
  exit 0
fi

# Python 3.11, uv (installed with pip when the machine has none) and pip's package sources.
source scripts/uv_env.sh
uv_install() { "$UV_BIN" pip install --python "$VENV/bin/python" --quiet "$@"; }

start=$(date +%s)
fresh_venv=false
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  say "Creating $VENV with $PYTHON_BIN"
  rm -rf "$VENV"
  # The standard venv (with pip inside, as learners expect); uv installs into it.
  "$PYTHON_BIN" -m venv "$VENV"
  fresh_venv=true
fi

say "Installing the course's locked packages with uv (a minute or two the first time)"
# torch is installed on its own below (its CPU build lives on PyTorch's index), so the rest
# of the lock goes in first; uv picks this platform's lines by their markers.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
grep -v '^torch==' "$LOCK" > "$scratch/lock-without-torch.txt"
grep '^torch==' "$LOCK" > "$scratch/torch.txt"
# From uv's cache alone first (a second clone installs in seconds, with no index look-ups);
# online when something is missing from it.
uv_install --offline -r "$scratch/lock-without-torch.txt" 2>/dev/null \
  || uv_install -r "$scratch/lock-without-torch.txt" \
  || fail "uv could not install the locked packages (see the lines above); check the network connection to PyPI and run the command again."
uv_install --no-deps --no-build-isolation -e . \
  || fail "could not install the course's own package (includes/)."

# Only the CPU build on Linux: a plain `pip install torch` there pulls several GB of CUDA
# libraries. A wheel already on this machine (pip's find-links) is used first, then PyTorch's
# CPU index; on macOS the standard wheel comes from PyPI. Its dependencies are in the lock.
say "Installing PyTorch 2.13.0 (for TorchDistributor in 04.3)"
uv_install --no-deps --offline -r "$scratch/torch.txt" 2>/dev/null \
  || uv_install --no-deps --no-index -r "$scratch/torch.txt" 2>/dev/null \
  || uv_install --no-deps -r "$scratch/torch.txt" --index-url "$TORCH_CPU_INDEX" \
  || uv_install --no-deps -r "$scratch/torch.txt" \
  || fail "PyTorch 2.13.0 (CPU build) could not be installed; check the connection to download.pytorch.org and run the command again."

# Built against the TensorFlow just installed, once per TensorFlow version (scripts/horovod.sh).
source scripts/horovod.sh
install_horovod "$VENV" "$HOROVOD_VERSION"

say "The packages' bytecode (compiled once per lock on this machine, then reused: every kernel starts faster)"
compile_bytecode "$VENV" "$stamp"

say "Checking the environment"
TF_CPP_MIN_LOG_LEVEL=3 "$VENV/bin/python" - <<'PY' || fail "the environment was built but a key package does not import (see the error above); delete .venv and run the command again."
import horovod.tensorflow, keras, mlflow, petastorm, pyspark, tensorflow, torch
from includes.setup.java import java_home
print(f"TensorFlow {tensorflow.__version__}, Keras {keras.__version__}, PySpark {pyspark.__version__}, "
      f"MLflow {mlflow.__version__}, Horovod {horovod.__version__}, PyTorch {torch.__version__}")
print(f"Java for Spark: {java_home() or 'the java on PATH'}")
PY
"$VENV/bin/python" -m ipykernel install --sys-prefix --name python3 --display-name "DL course (Python 3.11)" >/dev/null
echo "$stamp" > "$VENV/.course-ready"
seconds=$(( $(date +%s) - start ))
# One line per setup for the benchmark report (scripts/time_install.sh labels its runs).
mkdir -p build
printf '{"date": "%s", "label": "%s", "seconds": %d, "horovod_seconds": %d, "fresh_venv": %s, "cores": %d}\n' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${COURSE_INSTALL_LABEL:-setup}" "$seconds" "$horovod_seconds" "$fresh_venv" \
  "$(nproc 2>/dev/null || sysctl -n hw.ncpu)" >> build/install-times.jsonl
say "Course environment ready in $seconds s"
