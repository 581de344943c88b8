# Shared by scripts/setup.sh and scripts/lock.sh (sourced, not run): finds Python 3.11,
# brings uv (bootstrapped with pip into the course's tool folder when the machine has none)
# and points uv at the same package sources as this machine's pip configuration.
# Expects `fail` to be defined by the script that sources it.

UV_VERSION=0.13.8
# The course's own cache folder: Horovod wheels and the uv bootstrap live here, shared by
# every clone on the machine (COURSE_TOOL_CACHE moves it).
COURSE_TOOL_CACHE=${COURSE_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dl-course}
# PyTorch's CPU builds for Linux (a plain Linux wheel pulls several GB of CUDA libraries).
TORCH_CPU_INDEX=https://download.pytorch.org/whl/cpu

# A short content hash (macOS has shasum rather than sha256sum).
hash16() { if command -v sha256sum >/dev/null 2>&1; then sha256sum; else shasum -a 256; fi | cut -c1-16; }

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.11 python3; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(not ((3, 11, 5) <= sys.version_info[:3] < (3, 12)))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  return 1
}

PYTHON_BIN=$(find_python) || fail "the course needs Python 3.11 (3.11.5 or later) and none was found on PATH; install it (python.org, \`pyenv install 3.11\` or your package manager) or name it with PYTHON=/path/to/python3.11, then run the command again."

# uv: $UV if set, else a uv on PATH, else uv $UV_VERSION installed with pip into a small venv
# of its own under the course's cache folder (once per machine, a few seconds).
find_uv() {
  if [ -n "${UV:-}" ]; then echo "$UV"; return 0; fi
  if command -v uv >/dev/null 2>&1; then command -v uv; return 0; fi
  local tools="$COURSE_TOOL_CACHE/tools/uv-$UV_VERSION"
  if [ ! -x "$tools/bin/uv" ]; then
    printf '\n==> %s\n' "Installing uv $UV_VERSION with pip into $tools (once per machine)" >&2
    rm -rf "$tools"
    "$PYTHON_BIN" -m venv "$tools" >&2 \
      && "$tools/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION" >&2 \
      || { rm -rf "$tools"; return 1; }
  fi
  echo "$tools/bin/uv"
}
UV_BIN=$(find_uv) || fail "could not install uv $UV_VERSION with pip (see the lines above); check the connection to PyPI, or install uv yourself (https://docs.astral.sh/uv/) and run the command again."

# uv does not read pip's configuration: hand it the index, extra indexes and find-links that
# pip uses on this machine (a company mirror, local wheel folders), unless UV_* already say.
eval "$("$PYTHON_BIN" - <<'PY'
import shlex, subprocess, sys
out = subprocess.run([sys.executable, "-m", "pip", "config", "list"],
                     capture_output=True, text=True).stdout
# pip's precedence, lowest first: global < user < site < environment variables.
rank = {"global": 0, "install": 1, "download": 1, ":env:": 3}
best = {}
for line in out.splitlines():
    key, sep, value = line.partition("=")
    if not sep:
        continue
    section, _, name = key.rpartition(".")
    value = value.strip().strip("'\"")
    level = rank.get(section, 0)
    if name in ("index-url", "extra-index-url", "find-links") and level >= best.get(name, (-1, ""))[0]:
        best[name] = (level, value)
uv_names = {"index-url": "UV_INDEX_URL", "extra-index-url": "UV_EXTRA_INDEX_URL",
            "find-links": "UV_FIND_LINKS"}
for name, (_, value) in best.items():
    parts = value.split()
    joined = ",".join(parts) if name == "find-links" else " ".join(parts)
    var = uv_names[name]
    print(f'[ -n "${{{var}:-}}" ] || export {var}={shlex.quote(joined)}')
if "extra-index-url" in best:
    # pip merges all indexes; uv takes a package from the first index that has it unless told.
    print('[ -n "${UV_INDEX_STRATEGY:-}" ] || export UV_INDEX_STRATEGY=unsafe-best-match')
PY
)"
export UV_NO_PROGRESS=1

# compile_bytecode VENV KEY: uv, unlike pip, leaves the packages' bytecode to be written on first import, and a
# machine that sets PYTHONDONTWRITEBYTECODE (many CI images do) then compiles TensorFlow, Keras, MLflow and
# PySpark from source in every new process: 19 s instead of 6 s for `import tensorflow, keras, mlflow,
# pyspark.sql` on 2 cores, paid by every kernel, Horovod worker and Spark Python worker. Compiled once at
# setup instead (about 40 s on 2 cores), and kept in the course's cache under KEY (the setup's stamp) so that
# the next clone with the same lock links the files in, in a second or two (scripts/bytecode_cache.py).
# A few packages ship test files in Python 2 syntax that do not compile; compileall reports and skips them,
# so its exit status says nothing here.
compile_bytecode() {
  local venv=$1 site cache
  site=$(site_packages "$venv")
  cache="$COURSE_TOOL_CACHE/bytecode/$2-$(python_tag "$venv")"
  "$venv/bin/python" scripts/bytecode_cache.py restore "$site" "$cache" && return 0
  "$venv/bin/python" -m compileall -q -j0 --invalidation-mode checked-hash "$site" >/dev/null 2>&1 || true
  "$venv/bin/python" scripts/bytecode_cache.py save "$site" "$cache" || true
}

# python_tag VENV: the environment's Python and platform, e.g. cp311-linux-x86_64 (what compiled files depend on).
python_tag() {
  "$1/bin/python" -c 'import sys, platform; print(f"cp{sys.version_info[0]}{sys.version_info[1]}-{platform.system().lower()}-{platform.machine()}")'
}

# site_packages VENV: the environment's site-packages folder.
site_packages() {
  "$1/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'
}
