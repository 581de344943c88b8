#!/usr/bin/env bash
# Installs the system Chromium that the real-browser tests (tests/browser/) drive with Playwright,
# when it is missing and this machine allows it: Debian or Ubuntu (apt-get), as root or with passwordless sudo.
# Anywhere else it says so in one sentence and changes nothing; the browser tests then skip (or fail under CI=true).
# Playwright never downloads a browser of its own for this course.
set -u

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ] || command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "Chromium is not installed and this machine has no apt-get: to run the browser tests," \
         "install Chromium yourself (as /usr/bin/chromium or 'chromium' on the PATH)."
    exit 0
fi
if [ "$(id -u)" = 0 ]; then
    as_root=()  # empty: already root
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    echo "Chromium is not installed and installing it needs root:" \
         "run 'sudo apt-get install chromium' to run the browser tests."
    exit 0
fi

echo "Installing Chromium for the browser tests (apt-get install chromium)..."
if ${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    && ${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; then
    echo "Chromium installed: $("$CHROMIUM" --version 2>/dev/null)"
else
    echo "apt-get could not install Chromium (offline, or no such package on this system): the browser tests will skip."
fi
exit 0
