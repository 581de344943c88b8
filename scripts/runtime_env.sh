#!/usr/bin/env bash
# Runtime parity (`make test-runtime RUNTIME=15.4`): every notebook, small data, in a virtual environment
# with the versions a Databricks ML runtime ships.
#
#   scripts/runtime_env.sh RUNTIME                 build .venv-runtime-RUNTIME (reused when unchanged), run the tests
#   scripts/runtime_env.sh RUNTIME --build-only    build it, run nothing
#   scripts/runtime_env.sh RUNTIME --resolve-only  only show that the set resolves (Linux x86_64), install nothing
#   scripts/runtime_env.sh RUNTIME -- ARGS         extra pytest arguments (e.g. -- -k 04.1)
#
# The environment is the runtime's pins (requirements/runtimes/RUNTIME.txt) first, then exactly what the
# course's install step adds on Databricks (requirements/databricks-RUNTIME.txt, which
# includes/setup/environment.py installs with %pip over the runtime's packages: its pins win, as there), then
# the test tools (requirements/runtimes/test-tools.txt). Horovod, where the runtime has it, is built against
# the runtime's TensorFlow (scripts/horovod.sh, the course's wheel cache keyed by TensorFlow version).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n==> %s\n' "$*"; }
fail() { printf '\nRuntime parity stopped: %s\n' "$*" >&2; exit 1; }

RUNTIME=${1:-}
shift || true
MODE=run
PYTEST_ARGS=()
while [ $# -gt 0 ]; do
  case $1 in
    --build-only) MODE=build ;;
    --resolve-only) MODE=resolve ;;
    --) shift; PYTEST_ARGS=("$@"); break ;;
    *) fail "unknown option $1 (see the top of scripts/runtime_env.sh)." ;;
  esac
  shift
done

known=$(ls requirements/runtimes | sed -n 's/^\([0-9][0-9]*\.[0-9][0-9]*\)\.txt$/\1/p' | tr '\n' ' ')
[ -n "$RUNTIME" ] || fail "name a runtime: make test-runtime RUNTIME=<one of: ${known% }>."
PINS=requirements/runtimes/$RUNTIME.txt
STEP=requirements/databricks-$RUNTIME.txt
TOOLS=requirements/runtimes/test-tools.txt
[ -f "$PINS" ] || fail "there is no $PINS; the runtimes written down are: ${known% }."
[ -f "$STEP" ] || fail "there is no $STEP (the course's install step for that runtime)."
VENV=.venv-runtime-$RUNTIME
OUT=build/runtime-$RUNTIME

py_version=$(sed -n 's/^# python: *\([0-9.]*\).*/\1/p' "$PINS" | head -n 1)
[ -n "$py_version" ] || fail "$PINS has no '# python: X.Y' line."
pin_of() { sed -n "s/^$1==\([^ ;#]*\).*/\1/p" "$PINS" | head -n 1; }
horovod_version=$(pin_of horovod)
torch_version=$(pin_of torch)

# uv, the course's tool cache and pip's package sources (this needs the course's Python 3.11 on the machine).
source scripts/uv_env.sh

# The runtime's Python: RUNTIME_PYTHON, else pythonX.Y on PATH, else one installed by pyenv (its shims fail
# for a version that is installed but not selected), else one uv already knows (uv downloads none here).
runtime_python() {
  local candidate
  for candidate in "${RUNTIME_PYTHON:-}" "python$py_version" \
      "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$py_version"*/bin/"python$py_version"; do
    [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c "import sys; sys.exit(f'{sys.version_info[0]}.{sys.version_info[1]}' != '$py_version')" 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  "$UV_BIN" python find "$py_version" --no-python-downloads 2>/dev/null
}

# The inputs, in the runtime's order: its pins (Horovod aside: it is built, not resolved), the install
# step's file and the test tools; the install step's pins override the runtime's (MLflow 3 over MLflow 2),
# as `%pip install -r` does on the cluster.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
torch_index=()
torch_pin=${torch_version:+torch==$torch_version}
if [ -n "$torch_version" ] && { [ "$(uname -s)" = Linux ] || [ "$MODE" = resolve ]; }; then
  # Linux gets PyTorch's CPU build (a plain Linux wheel pulls several GB of CUDA libraries): from PyTorch's
  # CPU index, or from a wheel in pip's find-links when that index is out of reach.
  torch_pin="torch==$torch_version+cpu"
  if "$PYTHON_BIN" -c "import urllib.request; urllib.request.urlopen('$TORCH_CPU_INDEX/torch/', timeout=10)" 2>/dev/null; then
    torch_index=(--extra-index-url "$TORCH_CPU_INDEX" --index-strategy unsafe-best-match)
  elif [ "$MODE" = resolve ]; then
    # Only to show that the rest resolves: PyPI's build of the same version has the same dependencies,
    # CUDA libraries aside.
    echo "Note: $TORCH_CPU_INDEX is out of reach; resolving with PyPI's torch $torch_version (the CUDA build) instead of +cpu." >&2
    torch_pin="torch==$torch_version"
  else
    echo "Note: $TORCH_CPU_INDEX is out of reach; torch $torch_version+cpu must be a wheel in pip's find-links (or set RUNTIME_TORCH)." >&2
  fi
fi
# RUNTIME_TORCH replaces that line where the runtime's torch cannot be had (only 04.3 uses PyTorch), e.g.
# RUNTIME_TORCH='torch==2.3.1' (PyPI's CUDA build, several GB) or 'torch==2.13.0+cpu' (the course's own);
# the version check below then reports torch as a deviation instead of failing.
deviations=""
if [ -n "${RUNTIME_TORCH:-}" ] && [ -n "$torch_version" ]; then
  torch_pin=$RUNTIME_TORCH
  deviations=torch
  echo "Note: torch from RUNTIME_TORCH ($RUNTIME_TORCH), not the runtime's $torch_version: a deviation from the runtime." >&2
fi
grep -v -E '^(horovod|torch)==' "$PINS" > "$scratch/runtime.in"
[ -z "$torch_pin" ] || echo "$torch_pin" >> "$scratch/runtime.in"
overrides=(--override "$STEP")
# Horovod builds without build isolation, with the setuptools the course builds it with.
[ -z "$horovod_version" ] || overrides+=(--override requirements/overrides.txt)
[ -z "$horovod_version" ] || grep '^setuptools==' requirements/overrides.txt >> "$scratch/runtime.in"

compile() {
  "$UV_BIN" pip compile "$scratch/runtime.in" "$STEP" "$TOOLS" "${overrides[@]}" \
    ${torch_index[@]+"${torch_index[@]}"} --no-python-downloads --no-header --no-annotate --quiet "$@"
}

if [ "$MODE" = resolve ]; then
  mkdir -p "$OUT"
  say "Resolving Databricks Runtime $RUNTIME ML's set + $STEP + test tools for Linux x86_64, Python $py_version"
  compile --python-version "$py_version" --python-platform x86_64-unknown-linux-gnu -o "$OUT/resolved-linux-x86_64.txt" \
    || fail "the set does not resolve (uv's explanation above): a runtime pin, the install step and the test tools contradict each other, or a version is missing from the package sources."
  echo "Resolved: $OUT/resolved-linux-x86_64.txt ($(grep -c '==' "$OUT/resolved-linux-x86_64.txt") packages)."
  for name in mlflow pyspark tensorflow-cpu keras numpy pandas pyarrow; do
    grep -i "^$name==" "$OUT/resolved-linux-x86_64.txt" || true
  done
  exit 0
fi

RUNTIME_PY=$(runtime_python) \
  || fail "Databricks Runtime $RUNTIME ML runs Python $py_version and this machine has no Python $py_version (uv cannot download one here): install it (pyenv install $py_version, or your package manager) or name it with RUNTIME_PYTHON=/path/to/python$py_version, then run the command again."

stamp=$(cat "$PINS" "$STEP" "$TOOLS" requirements/overrides.txt scripts/runtime_env.sh scripts/horovod.sh \
  scripts/uv_env.sh <("$RUNTIME_PY" -VV) <(echo "${RUNTIME_TORCH:-}") | hash16)
if [ -f "$VENV/.runtime-ready" ] && [ "$(cat "$VENV/.runtime-ready")" = "$stamp" ]; then
  echo "Runtime $RUNTIME environment is up to date ($VENV)."
else
  start=$(date +%s)
  say "Creating $VENV with $RUNTIME_PY (Databricks Runtime $RUNTIME ML's versions)"
  # From scratch on every change, so nothing of an earlier set lingers.
  rm -rf "$VENV"
  "$RUNTIME_PY" -m venv "$VENV"
  mkdir -p "$OUT"
  compile --python "$VENV/bin/python" -o "$OUT/resolved.txt" \
    || fail "the runtime's set does not resolve (uv's explanation above): a runtime pin, the install step and the test tools contradict each other, or a version is missing from the package sources."
  uv_install() { "$UV_BIN" pip install --python "$VENV/bin/python" --quiet "$@"; }
  say "Installing $(grep -c '==' "$OUT/resolved.txt") packages with uv"
  # --no-deps: the resolved file is the whole set, resolved with the overrides (an install would otherwise
  # re-read each package's own requirements, e.g. torch's setuptools>=77 against Horovod's build pin).
  uv_install --no-deps -r "$OUT/resolved.txt" ${torch_index[@]+"${torch_index[@]}"} \
    || fail "uv could not install $OUT/resolved.txt (see the lines above); check the connection to PyPI and run the command again."
  if [ -n "$horovod_version" ]; then
    source scripts/horovod.sh
    install_horovod "$VENV" "$horovod_version"
  fi

  say "The packages' bytecode (compiled once per runtime environment on this machine, then reused)"
  compile_bytecode "$VENV" "runtime-$RUNTIME-$stamp"

  say "Checking the runtime's versions"
  RUNTIME_DEVIATIONS=$deviations "$VENV/bin/python" - "$PINS" "$STEP" <<'PY' || fail "the environment does not have the runtime's versions (see above); delete $VENV and run the command again."
import os, re, sys
from importlib import metadata

def pins(path):
    found = {}
    for line in open(path):
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+)==([^\s;#]+)", line)
        if match:
            found[match.group(1).lower()] = match.group(2)
    return found

runtime, step = pins(sys.argv[1]), pins(sys.argv[2])
deviations = set(os.environ.get("RUNTIME_DEVIATIONS", "").split())
wrong = []
for name, wanted in sorted(runtime.items()):
    try:
        found = metadata.version(name)
    except metadata.PackageNotFoundError:
        found = None
    if name in deviations:
        note, ok = "DEVIATION: not the runtime's version", found is not None
    elif name in step:
        note = f"install step {step[name]}"
        ok = found == step[name]
    else:
        note = "runtime"
        ok = found is not None and found.split("+")[0] == wanted
    print(f"  {name:24} runtime {wanted:12} here {found or '-':14} ({note})")
    if not ok:
        wrong.append(name)
sys.exit(f"not at the expected version: {', '.join(wrong)}" if wrong else 0)
PY
  "$VENV/bin/python" -m ipykernel install --sys-prefix --name python3 \
    --display-name "DL course on Databricks Runtime $RUNTIME ML (parity)" >/dev/null
  echo "$stamp" > "$VENV/.runtime-ready"
  say "Runtime $RUNTIME environment ready in $(( $(date +%s) - start )) s"
fi

[ "$MODE" = run ] || exit 0
say "Running every notebook with the small-data flag on Databricks Runtime $RUNTIME ML's versions"
# The course's package from this clone; a course folder of its own (not the main test run's); the parity
# plugin replaces the notebooks that stop by design on this runtime with a check of their one sentence.
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export COURSE_RUNTIME_PARITY="$RUNTIME"
export COURSE_HOME="${COURSE_HOME:-$PWD/$OUT/course}"
# The notebooks' kernel is this environment's (a user-level `python3` kernel would otherwise come first).
export JUPYTER_PATH="$PWD/$VENV/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
exec "$VENV/bin/python" -m pytest -p tests.runtime.plugin tests/notebooks tests/labs tests/runtime \
  ${PYTEST_ARGS[@]+"${PYTEST_ARGS[@]}"}
