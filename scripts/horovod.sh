# Horovod for one virtual environment, built against that environment's TensorFlow. Sourced (not run) by
# scripts/setup.sh (.venv) and scripts/runtime_env.sh (a Databricks runtime's versions).
# Expects `say`, `fail`, `uv_install` (installs into the environment at hand), `site_packages`, `python_tag` and COURSE_TOOL_CACHE
# (scripts/uv_env.sh) from the script that sources it.
#
# Horovod compiles against the installed TensorFlow, and a wheel built for one TensorFlow fails at import
# with another (HorovodVersionMismatchError); so its wheel is built once per TensorFlow version into the
# course's own cache (keyed by that version, the Python and the platform), shared by every clone and every
# environment on this machine, and never taken from pip's or uv's generic caches.

# install_horovod VENV VERSION: sets horovod_seconds (0 when the environment already had the right wheel).
install_horovod() {
  local venv=$1 version=$2 tf_version py_tag wheel_dir marker site started
  tf_version=$("$venv/bin/python" -c 'from importlib import metadata as m
for name in ("tensorflow-cpu", "tensorflow"):
    try: print(m.version(name)); break
    except m.PackageNotFoundError: pass')
  [ -n "$tf_version" ] || fail "Horovod needs TensorFlow in $venv, and there is none."
  py_tag=$(python_tag "$venv")
  site=$(site_packages "$venv")
  wheel_dir="${COURSE_WHEEL_CACHE:-$COURSE_TOOL_CACHE/wheels}/horovod-$version-tf$tf_version-$py_tag"
  started=$(date +%s)
  # The environment remembers which cached wheel its Horovod came from (importing Horovod to find out
  # would load TensorFlow, 15 s or more); the checks after this import it anyway.
  marker="$venv/.horovod-wheel"
  if [ "$(cat "$marker" 2>/dev/null)" != "$wheel_dir" ] || [ ! -d "$site/horovod" ]; then
    if ! ls "$wheel_dir"/horovod-*.whl >/dev/null 2>&1; then
      say "Building Horovod $version against TensorFlow $tf_version (about 2 minutes on a quiet 2-core machine; once per TensorFlow version)"
      mkdir -p "$wheel_dir.partial"
      HOROVOD_WITH_TENSORFLOW=1 HOROVOD_WITHOUT_PYTORCH=1 HOROVOD_WITHOUT_MXNET=1 \
      HOROVOD_WITHOUT_MPI=1 HOROVOD_WITH_GLOO=1 MAKEFLAGS="-j$(nproc 2>/dev/null || sysctl -n hw.ncpu)" \
        "$venv/bin/python" -m pip wheel --quiet --disable-pip-version-check --no-cache-dir \
          --no-deps --no-build-isolation -w "$wheel_dir.partial" "horovod==$version" \
        2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
      [ "${PIPESTATUS[0]}" -eq 0 ] && ls "$wheel_dir.partial"/horovod-*.whl >/dev/null 2>&1 \
        || { rm -rf "$wheel_dir.partial"; fail "Horovod did not build (see the compiler output above); it needs a C++ compiler and cmake (Debian/Ubuntu: sudo apt-get install build-essential cmake, macOS: xcode-select --install and brew install cmake)."; }
      rm -rf "$wheel_dir" && mv "$wheel_dir.partial" "$wheel_dir"
    else
      say "Installing Horovod $version from the course's wheel cache ($wheel_dir)"
    fi
    # --no-cache: uv copies this very file, never a wheel of the same name from its own cache.
    uv_install --no-deps --no-index --no-cache --reinstall-package horovod \
      --find-links "$wheel_dir" "horovod==$version" \
      || fail "Horovod's wheel in $wheel_dir could not be installed; delete that folder and run the command again."
    echo "$wheel_dir" > "$marker"
  fi
  horovod_seconds=$(( $(date +%s) - started ))
}
