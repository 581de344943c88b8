#!/usr/bin/env bash
# Build .venv with everything the course needs, from the pinned versions.
# Safe to run again: when nothing changed since the last run it returns at once.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
PINS=requirements/course.in
LOCK=requirements/constraints.txt

say() { printf '\n==> %s\n' "$*"; }
fail() { printf '\nSetup stopped: %s\n' "$*" >&2; exit 1; }

# pip prints one warning per package for local index folders some machines list in
# their pip configuration; they are harmless, so keep them out of the log.
pip_quietly() {
  "$VENV/bin/pip" "$@" 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
  return "${PIPESTATUS[0]}"
}

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.11 python3; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  return 1
}

PYTHON_BIN=$(find_python) || fail "the course needs Python 3.11 and none was found on PATH; install it (python.org, \`pyenv install 3.11\` or your package manager) or name it with PYTHON=/path/to/python3.11, then run the command again."
command -v java >/dev/null 2>&1 || [ -n "${JAVA_HOME:-}" ] || fail "Spark needs Java 17 or 21 and none was found; install a JDK (Debian/Ubuntu: sudo apt-get install openjdk-17-jre-headless, macOS: brew install openjdk@17), then run the command again."

stamp=$(cat "$PINS" "$LOCK" pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)
if [ -f "$VENV/.course-ready" ] && [ "$(cat "$VENV/.course-ready")" = "$stamp" ]; then
  echo "Course environment is up to date ($VENV)."
  exit 0
fi

start=$(date +%s)
fresh_venv=false
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  say "Creating $VENV with $PYTHON_BIN"
  rm -rf "$VENV"
  "$PYTHON_BIN" -m venv "$VENV"
  fresh_venv=true
fi

say "Installing the course's pinned packages (a few minutes the first time)"
pip_quietly install --quiet --disable-pip-version-check -r "$PINS" -c "$LOCK" \
  || fail "pip could not install the pinned packages (see the lines above); check the network connection to PyPI and run the command again."
pip_quietly install --quiet --no-deps --no-build-isolation -e . \
  || fail "could not install the course's own package (includes/)."

horovod_start=$(date +%s)
if ! "$VENV/bin/python" -c 'import horovod.tensorflow' >/dev/null 2>&1; then
  say "Building Horovod 0.28.1 against TensorFlow (about 3 minutes on 2 cores; cached by pip afterwards)"
  HOROVOD_WITH_TENSORFLOW=1 HOROVOD_WITHOUT_PYTORCH=1 HOROVOD_WITHOUT_MXNET=1 \
  HOROVOD_WITHOUT_MPI=1 HOROVOD_WITH_GLOO=1 MAKEFLAGS="-j$(nproc)" \
    pip_quietly install --quiet --no-build-isolation -c "$LOCK" horovod==0.28.1 \
    || fail "Horovod did not build (see the compiler output above); it needs a C++ compiler and cmake (Debian/Ubuntu: sudo apt-get install build-essential cmake)."
fi
horovod_seconds=$(( $(date +%s) - horovod_start ))

if ! "$VENV/bin/python" -c 'import torch' >/dev/null 2>&1; then
  # Only the CPU build: a plain `pip install torch` on Linux pulls several GB of CUDA libraries.
  # A wheel already on this machine (pip's find-links) is used first, then PyTorch's CPU index.
  say "Installing PyTorch 2.13.0, CPU build (for TorchDistributor in 04.3)"
  pip_quietly install --quiet --no-deps --no-index torch==2.13.0 \
    || pip_quietly install --quiet --no-deps torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
    || fail "PyTorch 2.13.0 (CPU build) could not be installed; check the connection to download.pytorch.org and run the command again."
  pip_quietly install --quiet -c "$LOCK" torch==2.13.0 \
    || fail "PyTorch's dependencies could not be installed (see the lines above)."
fi

say "Checking the environment"
TF_CPP_MIN_LOG_LEVEL=3 "$VENV/bin/python" - <<'PY' || fail "the environment was built but a key package does not import (see the error above); delete .venv and run the command again."
import horovod.tensorflow, keras, mlflow, petastorm, pyspark, tensorflow, torch
print(f"TensorFlow {tensorflow.__version__}, Keras {keras.__version__}, PySpark {pyspark.__version__}, "
      f"MLflow {mlflow.__version__}, Horovod {horovod.__version__}, PyTorch {torch.__version__}")
PY
"$VENV/bin/python" -m ipykernel install --sys-prefix --name python3 --display-name "DL course (Python 3.11)" >/dev/null
echo "$stamp" > "$VENV/.course-ready"
seconds=$(( $(date +%s) - start ))
# One line per setup for the benchmark report (scripts/time_install.sh labels its runs).
mkdir -p build
printf '{"date": "%s", "label": "%s", "seconds": %d, "horovod_seconds": %d, "fresh_venv": %s, "cores": %d}\n' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${COURSE_INSTALL_LABEL:-setup}" "$seconds" "$horovod_seconds" "$fresh_venv" \
  "$(nproc)" >> build/install-times.jsonl
say "Course environment ready in $seconds s"
