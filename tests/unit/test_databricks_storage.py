"""Where the course stores its data and work on Databricks, and how the driver's data cache reaches Spark.

The runtime is simulated: ``DATABRICKS_RUNTIME_VERSION`` is set and the two FUSE mounts, ``/dbfs`` and
``/Volumes``, are moved into a temporary folder (``paths.DBFS_MOUNT`` and ``paths.VOLUMES_MOUNT``).
"""

import json
from pathlib import Path

import pytest

from includes import settings
from includes.setup import paths
from includes.setup.environment import CourseSetupError


@pytest.fixture
def mounts(monkeypatch, tmp_path):
    """A Databricks driver whose /dbfs and /Volumes are folders of tmp_path; no volume configured."""
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "15.4")
    for variable in (settings.HOME_ENV, settings.VOLUME_ENV):
        monkeypatch.setenv(variable, "restored after the test")
        monkeypatch.delenv(variable)
    dbfs, volumes = tmp_path / "dbfs", tmp_path / "Volumes"
    monkeypatch.setattr(paths, "DBFS_MOUNT", str(dbfs))
    monkeypatch.setattr(paths, "VOLUMES_MOUNT", str(volumes))
    monkeypatch.setattr(settings, "DATABRICKS_HOME_ROOT", dbfs / "tmp" / "dl-course")
    (dbfs / "tmp").mkdir(parents=True)
    (volumes / "main" / "dl_course" / "files").mkdir(parents=True)  # the volume an instructor created
    return {"dbfs": dbfs, "volumes": volumes, "volume": volumes / "main" / "dl_course" / "files"}


def test_a_configured_volume_holds_each_learners_home(mounts, monkeypatch):
    monkeypatch.setenv(settings.VOLUME_ENV, "main.dl_course.files")
    assert settings.course_volume() == ("main", "dl_course", "files")
    home = paths.course_home("Ada.Lovelace@example.com")
    assert home == mounts["volume"] / "dl-course" / "ada.lovelace-example.com"
    assert (
        paths.spark_uri(home / "work") == "dbfs:/Volumes/main/dl_course/files/dl-course/ada.lovelace-example.com/work"
    )
    assert paths.file_uri(home) == home.as_uri()
    assert not paths.home_is_shared(), "each learner has a folder of their own in the volume"


def test_without_a_volume_the_home_is_the_learners_dbfs_folder(mounts):
    home = paths.course_home("Ada.Lovelace@example.com")
    assert home == mounts["dbfs"] / "tmp" / "dl-course" / "ada.lovelace-example.com"
    assert paths.spark_uri(home) == "dbfs:/tmp/dl-course/ada.lovelace-example.com"


def test_locally_the_volume_setting_changes_nothing(monkeypatch):
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)
    monkeypatch.delenv(settings.HOME_ENV, raising=False)
    monkeypatch.setenv(settings.VOLUME_ENV, "main.dl_course.files")
    assert paths.course_home("ada") == settings.LOCAL_HOME


@pytest.mark.parametrize(
    "value", ["main.dl_course", "/Volumes/main/dl_course/files", "main..files", "main.dl course.files", "a.b.c.d"]
)
def test_a_malformed_volume_is_refused_in_one_sentence(mounts, monkeypatch, value):
    monkeypatch.setenv(settings.VOLUME_ENV, value)
    with pytest.raises(ValueError) as refused:
        paths.course_home("ada@example.com")
    message = str(refused.value)
    assert "COURSE_VOLUME should read <catalog>.<schema>.<volume>" in message and repr(value) in message
    assert message.count(". ") == 0


def test_a_volume_that_is_not_there_is_named_with_what_to_ask_for(mounts, monkeypatch):
    monkeypatch.setenv(settings.VOLUME_ENV, "main.dl_course.missing")
    with pytest.raises(CourseSetupError) as stopped:
        paths.make_home(paths.course_home("ada@example.com"))
    assert "main.dl_course.missing" in str(stopped.value) and "WRITE VOLUME" in str(stopped.value)
    assert not (mounts["volumes"] / "main" / "dl_course" / "missing").exists(), "a volume is never made here"


# --- staging the driver's data cache -------------------------------------------------------------------------
@pytest.fixture
def cache(monkeypatch, tmp_path):
    """A data cache on the driver's disk holding a small image folder (links into a full set, like the course's)."""
    cache = tmp_path / "driver-cache"
    full = cache / "images_full" / "validation"
    subset = cache / "images_small" / "validation"
    for label in ("cats", "dogs"):
        (full / label).mkdir(parents=True)
        (subset / label).mkdir(parents=True)
        for i in range(3):
            (full / label / f"{label}.{i}.jpg").write_bytes(bytes([i]) * (100 + i))
            (subset / label / f"{label}.{i}.jpg").symlink_to(full / label / f"{label}.{i}.jpg")
    monkeypatch.setenv(settings.CACHE_ENV, str(cache))
    monkeypatch.delenv(settings.MIRROR_ENV, raising=False)
    return subset


def _staged_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_staging_copies_the_cache_once_into_the_course_home(mounts, cache, monkeypatch, capsys):
    monkeypatch.setenv(settings.VOLUME_ENV, "main.dl_course.files")
    home = paths.make_home(paths.course_home("ada@example.com"))
    uri = paths.stage_for_spark(cache, home)
    staged = home / "data" / "images_small" / "validation"
    assert uri == "dbfs:/Volumes/main/dl_course/files/dl-course/ada-example.com/data/images_small/validation"
    assert _staged_files(staged) == _staged_files(cache) and len(_staged_files(staged)) == 6
    assert not any(p.is_symlink() for p in staged.rglob("*")), "the executors get the bytes, not links"
    assert json.loads(paths.staged_marker(staged).read_text()) == {
        f"{label}/{label}.{i}.jpg": 100 + i for label in ("cats", "dogs") for i in range(3)
    }
    assert "copied validation (6 file(s)" in capsys.readouterr().out


def test_staging_skips_a_complete_copy(mounts, cache, monkeypatch, capsys):
    home = paths.make_home(paths.course_home("ada@example.com"))
    first = paths.stage_for_spark(cache, home)
    assert first == "dbfs:/tmp/dl-course/ada-example.com/data/images_small/validation"
    capsys.readouterr()
    copies = []
    monkeypatch.setattr(paths.shutil, "copyfile", lambda *args: copies.append(args))
    assert paths.stage_for_spark(cache, home) == first
    assert copies == [] and capsys.readouterr().out == ""


def test_an_interrupted_copy_is_finished_by_the_next_call(mounts, cache, monkeypatch):
    home = paths.make_home(paths.course_home("ada@example.com"))
    staged = paths.staged_place(cache, home)
    staged.mkdir(parents=True)
    (staged / "cats").mkdir()
    (staged / "cats" / "cats.0.jpg").write_bytes((cache / "cats" / "cats.0.jpg").read_bytes())  # finished
    (staged / "cats" / "cats.1.jpg").write_bytes(b"\x01" * 40)  # cut off mid-file
    (staged / "cats" / "old.jpg").write_bytes(b"from an older copy")  # no longer in the cache
    assert not paths.staged_marker(staged).exists(), "no marker: the copy was not finished"

    copies, copy = [], paths.shutil.copyfile
    monkeypatch.setattr(
        paths.shutil, "copyfile", lambda source, target: copies.append(target.name) or copy(source, target)
    )
    paths.stage_for_spark(cache, home)
    assert _staged_files(staged) == _staged_files(cache)
    assert "cats.1.jpg" in copies and "cats.0.jpg" not in copies and len(copies) == 5
    assert paths.staged_marker(staged).exists()


def test_a_changed_or_deleted_staged_file_is_copied_again(mounts, cache):
    home = paths.make_home(paths.course_home("ada@example.com"))
    paths.stage_for_spark(cache, home)
    staged = paths.staged_place(cache, home)
    (staged / "dogs" / "dogs.2.jpg").unlink()
    paths.stage_for_spark(cache, home)
    assert _staged_files(staged) == _staged_files(cache)


def test_a_single_file_is_staged_beside_its_marker(mounts, tmp_path, monkeypatch):
    cache = tmp_path / "driver-cache"
    (cache / "housing").mkdir(parents=True)
    (cache / "housing" / "housing.csv").write_text("a,b\n1,2\n")
    monkeypatch.setenv(settings.CACHE_ENV, str(cache))
    home = paths.make_home(paths.course_home("ada@example.com"))
    assert (
        paths.stage_for_spark(cache / "housing" / "housing.csv", home)
        == "dbfs:/tmp/dl-course/ada-example.com/data/housing/housing.csv"
    )
    assert (home / "data" / "housing" / "housing.csv").read_text() == "a,b\n1,2\n"
    assert paths.staged_marker(home / "data" / "housing" / "housing.csv").name == ".housing.csv.staged.json"


def test_locally_and_for_data_already_on_dbfs_nothing_is_copied(mounts, cache, monkeypatch, tmp_path):
    already_shared = mounts["volume"] / "class-data" / "images"
    already_shared.mkdir(parents=True)
    assert (
        paths.stage_for_spark(already_shared, tmp_path / "home")
        == "dbfs:/Volumes/main/dl_course/files/class-data/images"
    )
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION")
    assert paths.stage_for_spark(cache, tmp_path / "home") == cache.as_uri()
    assert not (tmp_path / "home").exists()


def test_a_failed_copy_says_where_in_one_sentence(mounts, cache, monkeypatch):
    home = paths.make_home(paths.course_home("ada@example.com"))

    def refuse(source, target):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(paths.shutil, "copyfile", refuse)
    with pytest.raises(CourseSetupError) as stopped:
        paths.stage_for_spark(cache, home)
    assert "could not copy" in str(stopped.value) and str(stopped.value).count(". ") == 0


def test_reset_removes_the_learners_folder_in_the_volume_and_nothing_else(mounts, monkeypatch, capsys, tmp_path):
    from includes.setup import reset

    monkeypatch.setenv(settings.VOLUME_ENV, "main.dl_course.files")
    # The workspace's tracking server stands in as a throw-away store: without a URI, MLflow's client would
    # create ./mlflow.db in the repository.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'workspace-mlflow.db'}")
    monkeypatch.setattr(reset, "_learners_tracking_data", lambda client, user, unity_catalog: [])
    monkeypatch.setattr(reset, "registry_is_unity_catalog", lambda: False)
    ada = paths.make_home(paths.course_home("ada@example.com"))
    grace = paths.make_home(paths.course_home("grace@example.com"))
    (ada / "data" / "images").mkdir(parents=True)
    (mounts["volume"] / "class-data").mkdir()  # the instructor's own files in the same volume

    assert reset.reset_course("ada@example.com") == [f"folder {ada}"]
    assert not ada.exists() and grace.is_dir() and (mounts["volume"] / "class-data").is_dir()
