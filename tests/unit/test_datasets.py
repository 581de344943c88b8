"""Tests of the data layer (``includes/data/``, its catalogue ``datasets/manifest.json``).

Three groups:

* fetching, against a real HTTP server on 127.0.0.1 (http.server in a thread)
  and small hand-made manifest entries: download, cache, re-fetch of a
  corrupted copy, wrong bytes, unreachable server, mirror first;
* extracted image archives and the small-subset builder, on a tiny tree of
  generated JPEGs;
* the real files, from the offline mirror (skipped when there is none).

Every test gets its own cache and Keras home under ``tmp_path``; nothing is
written to the home directory.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import http.server
import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import zipfile
from importlib.util import find_spec
from pathlib import Path

import pytest

import includes.data as datasets
from includes import settings
from includes.data import DatasetChecksumError, DatasetEntry, DatasetUnavailableError, fetch, manifest, verify

REPOSITORY = settings.REPO_ROOT
# Where `.ci/run` finds the mirror when COURSE_DATA_MIRROR is unset: ../shared/mirror beside the repository.
DEFAULT_MIRROR = REPOSITORY.parent / "shared" / "mirror"
TREE_COUNTS = {"train/cats": 3, "train/dogs": 3, "validation/cats": 2, "validation/dogs": 2}


# --- Fixtures and helpers ----------------------------------------------------------


@pytest.fixture(autouse=True)
def isolated_folders(tmp_path, monkeypatch):
    """A private cache and Keras home, no mirror, small mode decided by each test."""
    monkeypatch.setenv(settings.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv(settings.KERAS_HOME_ENV, str(tmp_path / "keras"))
    monkeypatch.delenv(settings.MIRROR_ENV, raising=False)
    monkeypatch.delenv(settings.SMALL_ENV, raising=False)
    return tmp_path


class LocalServer:
    """A static-file HTTP server on 127.0.0.1 that records the paths requested."""

    def __init__(self, root: Path):
        self.root = root
        self.requests: list[str] = []
        requests = self.requests

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(root), **kwargs)

            def do_GET(self):
                requests.append(self.path)
                super().do_GET()

            def log_message(self, *args):  # keep the test output quiet
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def serve(self, name: str, payload: bytes) -> str:
        """Publish ``payload`` as ``/<name>`` and return its URL."""
        (self.root / name).write_bytes(payload)
        return f"{self.base_url}/{name}"

    def close(self):
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "served"
    root.mkdir()
    local = LocalServer(root)
    yield local
    local.close()


@pytest.fixture
def closed_port_url():
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/nothing-here.txt"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_entry(payload: bytes, url: str, name: str = "tiny.txt", **fields) -> DatasetEntry:
    """A manifest entry for a small file whose expected bytes are ``payload``."""
    values = dict(
        name=name, url=url, filename=name, mirror_path=f"tiny/{name}", size=len(payload), sha256=sha256(payload)
    )
    values.update(fields)
    return DatasetEntry(**values)


def tree_entry(url: str = "http://127.0.0.1:9/pets.zip", **fields) -> DatasetEntry:
    values = dict(
        name="pets.zip",
        url=url,
        filename="pets.zip",
        mirror_path="pets.zip",
        extracted_dir="pets",
        image_counts=dict(TREE_COUNTS),
    )
    values.update(fields)
    return DatasetEntry(**values)


def make_image_tree(root: Path, counts: dict[str, int]) -> Path:
    """Tiny valid JPEGs named like the Kaggle files (cat.0.jpg, dog.0.jpg, ...)."""
    from PIL import Image

    for class_folder, count in counts.items():
        folder = root / class_folder
        folder.mkdir(parents=True, exist_ok=True)
        animal = folder.name.rstrip("s")
        for number in range(count):
            colour = (number * 20 % 256, 100, 200)
            Image.new("RGB", (16, 12), colour).save(folder / f"{animal}.{number}.jpg", quality=90)
    return root


def zip_tree(root: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                bundle.write(path, f"{root.name}/{path.relative_to(root).as_posix()}")
    return buffer.getvalue()


def is_one_sentence(message: str) -> bool:
    """Ends with a full stop and has no sentence break (". X") before it."""
    return message.endswith(".") and not re.search(r"[.!?]\s+[A-Z]", message[:-1])


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".part") or p.name.startswith(".tmp")]


# --- The manifest ----------------------------------------------------------------


def test_manifest_entries_are_complete_and_consistent():
    names = [e.name for e in manifest.entries()]
    assert len(names) == len(set(names))
    assert {"housing.tgz", "imagenet_class_index.json", "cats_and_dogs_filtered.zip"} <= set(names)
    for entry in manifest.entries():
        assert entry.url.startswith("https://")
        assert entry.url.rsplit("/", 1)[1] == entry.filename
        assert entry.mirror_path.endswith(entry.filename)
        for digest in (entry.sha256, entry.content_sha256, entry.mirror_sha256):
            assert digest is None or re.fullmatch(r"[0-9a-f]{64}", digest)
        assert entry.licence and entry.description
        has_a_check = entry.sha256 or entry.content_sha256 or entry.image_counts or entry.mirror_sha256
        assert has_a_check, f"{entry.name} cannot be verified at all"
    fashion = [e for e in manifest.entries() if e.name.startswith("fashion-mnist/")]
    assert len(fashion) == 4 and all(e.content_sha256 for e in fashion)
    weights = manifest.get_entry("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_160_no_top.h5")
    assert weights.mirror_is_standin and "STAND-IN" in weights.mirror_note


def test_unknown_dataset_name_lists_the_known_ones():
    with pytest.raises(KeyError, match="housing.tgz"):
        fetch("no-such-file.csv")


def test_describe_has_one_row_per_entry():
    table = datasets.describe()
    assert list(table.columns[:4]) == ["name", "url", "size", "licence"]
    assert len(table) == len(manifest.entries())


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("YES", True), ("0", False), ("", False)])
def test_small_mode_follows_the_environment_unless_explicit(monkeypatch, value, expected):
    monkeypatch.setenv(settings.SMALL_ENV, value)
    assert settings.resolve_small(None) is expected
    assert settings.resolve_small(True) is True and settings.resolve_small(False) is False


# --- Fetching single files over HTTP ------------------------------------------------


def test_download_is_verified_and_cached(server, isolated_folders):
    payload = b"district,value\n" * 1000
    entry = file_entry(payload, server.serve("tiny.txt", payload))

    path = fetch(entry)

    assert path == isolated_folders / "cache" / "tiny" / "tiny.txt"
    assert path.read_bytes() == payload
    assert server.requests == ["/tiny.txt"]
    assert leftovers(isolated_folders / "cache") == []


def test_second_fetch_uses_the_cache_without_network(server, closed_port_url):
    payload = b"cached bytes\n" * 100
    first = fetch(file_entry(payload, server.serve("tiny.txt", payload)))

    offline_entry = file_entry(payload, closed_port_url)
    assert fetch(offline_entry) == first
    assert server.requests == ["/tiny.txt"]


def test_corrupted_cached_file_is_deleted_and_fetched_again(server, caplog):
    payload = b"the right bytes\n" * 100
    entry = file_entry(payload, server.serve("tiny.txt", payload))
    path = fetch(entry)
    path.write_bytes(b"the wrong bytes\n" * 100)

    with caplog.at_level(logging.WARNING, logger="datasets"):
        assert fetch(entry) == path

    assert path.read_bytes() == payload
    assert server.requests == ["/tiny.txt", "/tiny.txt"]
    notices = [r.getMessage() for r in caplog.records]
    assert len(notices) == 1 and "'tiny.txt'" in notices[0] and "fetching it again" in notices[0]


def test_wrong_bytes_from_the_server_raise_a_checksum_error(server, isolated_folders):
    entry = file_entry(b"what the manifest expects", server.serve("tiny.txt", b"something else entirely"))

    with pytest.raises(DatasetChecksumError) as raised:
        fetch(entry)

    message = str(raised.value)
    assert "'tiny.txt'" in message and is_one_sentence(message)
    cache = isolated_folders / "cache"
    assert not (cache / "tiny" / "tiny.txt").exists()
    assert leftovers(cache) == []


def test_unreachable_server_without_mirror_raises_one_clear_sentence(closed_port_url, isolated_folders):
    entry = file_entry(b"never seen", closed_port_url)

    with pytest.raises(DatasetUnavailableError) as raised:
        fetch(entry)

    message = str(raised.value)
    assert isinstance(raised.value, RuntimeError)
    assert "'tiny.txt'" in message and "COURSE_DATA_MIRROR" in message and closed_port_url in message
    assert "tiny/tiny.txt" in message
    assert is_one_sentence(message), message
    assert leftovers(isolated_folders / "cache") == []


def test_http_error_is_reported_with_its_status(server):
    entry = file_entry(b"missing", f"{server.base_url}/not-published.txt")
    with pytest.raises(DatasetUnavailableError, match="HTTP 404"):
        fetch(entry)


# --- The mirror --------------------------------------------------------------------


def test_mirror_is_used_first_and_in_place(tmp_path, monkeypatch, closed_port_url):
    payload = b"mirrored\n"
    mirror_copy = tmp_path / "mirror" / "tiny" / "tiny.txt"
    mirror_copy.parent.mkdir(parents=True)
    mirror_copy.write_bytes(payload)
    monkeypatch.setenv(settings.MIRROR_ENV, str(tmp_path / "mirror"))

    assert fetch(file_entry(payload, closed_port_url)) == mirror_copy
    assert not (tmp_path / "cache").exists()


def test_bad_mirror_copy_is_an_error_not_a_silent_download(tmp_path, monkeypatch, server):
    mirror_copy = tmp_path / "mirror" / "tiny" / "tiny.txt"
    mirror_copy.parent.mkdir(parents=True)
    mirror_copy.write_bytes(b"damaged")
    monkeypatch.setenv(settings.MIRROR_ENV, str(tmp_path / "mirror"))
    entry = file_entry(b"intact", server.serve("tiny.txt", b"intact"))

    with pytest.raises(DatasetChecksumError, match="mirror") as raised:
        fetch(entry)
    assert is_one_sentence(str(raised.value))
    assert server.requests == []


def test_unavailable_message_names_the_mirror_that_was_searched(tmp_path, monkeypatch, closed_port_url):
    (tmp_path / "empty-mirror").mkdir()
    monkeypatch.setenv(settings.MIRROR_ENV, str(tmp_path / "empty-mirror"))
    with pytest.raises(DatasetUnavailableError, match="empty-mirror") as raised:
        fetch(file_entry(b"x", closed_port_url))
    assert is_one_sentence(str(raised.value))


def test_gzip_files_are_verified_by_content_not_wrapper(tmp_path, monkeypatch, closed_port_url):
    content = bytes(range(256)) * 40
    canonical = gzip.compress(content, compresslevel=9, mtime=0)
    rewrapped = gzip.compress(content, compresslevel=1, mtime=1_234_567)
    assert canonical != rewrapped
    entry = file_entry(canonical, closed_port_url, name="pixels.gz", sha256=None, content_sha256=sha256(content))
    mirror_copy = tmp_path / "mirror" / entry.mirror_path
    mirror_copy.parent.mkdir(parents=True)
    monkeypatch.setenv(settings.MIRROR_ENV, str(tmp_path / "mirror"))

    mirror_copy.write_bytes(rewrapped)
    assert fetch(entry) == mirror_copy

    mirror_copy.write_bytes(gzip.compress(content[:-1]))
    with pytest.raises(DatasetChecksumError):
        fetch(entry)
    mirror_copy.write_bytes(b"not gzip at all")
    with pytest.raises(DatasetChecksumError, match="unreadable"):
        fetch(entry)


def test_mirror_sha256_is_accepted_only_from_the_mirror(tmp_path, monkeypatch, server):
    standin, canonical = b"stand-in weights", b"canonical weights"
    entry = file_entry(canonical, server.serve("tiny.txt", standin), mirror_sha256=sha256(standin))
    with pytest.raises(DatasetChecksumError):  # downloaded: must be the canonical file
        fetch(entry)

    mirror_copy = tmp_path / "mirror" / entry.mirror_path
    mirror_copy.parent.mkdir(parents=True)
    mirror_copy.write_bytes(standin)
    monkeypatch.setenv(settings.MIRROR_ENV, str(tmp_path / "mirror"))
    assert fetch(entry) == mirror_copy


# --- Extracted image archives ----------------------------------------------------------


@pytest.fixture
def no_decoding(monkeypatch):
    """Make any image decoding fail the test (to prove a marker was used)."""

    def refuse(path):
        raise AssertionError(f"decoded {path} again")

    monkeypatch.setattr(verify, "image_file_problem", refuse)


def test_mirror_may_hold_the_extracted_folder_of_an_archive(tmp_path, monkeypatch, request):
    folder = make_image_tree(tmp_path / "mirror" / "pets", TREE_COUNTS)
    monkeypatch.setenv(settings.MIRROR_ENV, str(tmp_path / "mirror"))

    assert fetch(tree_entry()) == folder
    assert list((tmp_path / "cache" / ".verified").glob("*.json")), "verification marker not cached"

    request.getfixturevalue("no_decoding")
    assert fetch(tree_entry()) == folder  # second time: counts only, no decoding


def test_changed_tree_is_decoded_again(tmp_path, monkeypatch):
    folder = make_image_tree(tmp_path / "mirror" / "pets", TREE_COUNTS)
    monkeypatch.setenv(settings.MIRROR_ENV, str(tmp_path / "mirror"))
    fetch(tree_entry())

    victim = folder / "train" / "cats" / "cat.1.jpg"
    victim.write_bytes(victim.read_bytes()[:-40])  # truncated: verify() alone would pass it
    with pytest.raises(DatasetChecksumError, match="train/cats/cat.1.jpg"):
        fetch(tree_entry())


def test_tree_with_a_wrong_count_is_rejected(tmp_path, monkeypatch):
    make_image_tree(tmp_path / "mirror" / "pets", {**TREE_COUNTS, "validation/dogs": 1})
    monkeypatch.setenv(settings.MIRROR_ENV, str(tmp_path / "mirror"))
    with pytest.raises(DatasetChecksumError, match="validation/dogs holds 1 images, expected 2") as raised:
        fetch(tree_entry())
    assert is_one_sentence(str(raised.value))


def test_tree_with_a_file_that_is_not_an_image_is_rejected(tmp_path, monkeypatch):
    folder = make_image_tree(tmp_path / "mirror" / "pets", TREE_COUNTS)
    (folder / "train" / "dogs" / "dog.2.jpg").write_text("<html>Not found</html>")
    monkeypatch.setenv(settings.MIRROR_ENV, str(tmp_path / "mirror"))
    with pytest.raises(DatasetChecksumError, match="train/dogs/dog.2.jpg does not decode"):
        fetch(tree_entry())


def test_downloaded_archive_is_extracted_verified_and_cached(tmp_path, server, closed_port_url, request):
    source = make_image_tree(tmp_path / "build" / "pets", TREE_COUNTS)
    entry = tree_entry(url=server.serve("pets.zip", zip_tree(source)))

    folder = fetch(entry)

    assert folder == tmp_path / "cache" / "pets"
    assert verify.count_problem(folder, TREE_COUNTS) is None
    assert (tmp_path / "cache" / "pets.zip").is_file()
    request.getfixturevalue("no_decoding")
    assert fetch(tree_entry(url=closed_port_url)) == folder


def test_downloaded_archive_with_wrong_contents_is_discarded(tmp_path, server):
    source = make_image_tree(tmp_path / "build" / "pets", {**TREE_COUNTS, "train/cats": 2})
    entry = tree_entry(url=server.serve("pets.zip", zip_tree(source)))

    with pytest.raises(DatasetChecksumError, match="train/cats holds 2 images"):
        fetch(entry)
    assert not (tmp_path / "cache" / "pets").exists()
    assert not (tmp_path / "cache" / "pets.zip").exists()


# --- The small subset of an image tree ---------------------------------------------------


def test_small_subset_builder_takes_the_first_files_in_natural_order(tmp_path):
    source = make_image_tree(
        tmp_path / "full", {"train/cats": 12, "train/dogs": 12, "validation/cats": 5, "validation/dogs": 5}
    )
    target = tmp_path / "small"

    assert datasets.build_image_subset(source, target, {"train": 3, "validation": 2}) == target

    assert sorted(p.name for p in (target / "train" / "cats").iterdir()) == ["cat.0.jpg", "cat.1.jpg", "cat.2.jpg"]
    assert (
        verify.count_problem(target, {"train/cats": 3, "train/dogs": 3, "validation/cats": 2, "validation/dogs": 2})
        is None
    )
    assert (target / "validation" / "dogs" / "dog.1.jpg").read_bytes() == (
        source / "validation" / "dogs" / "dog.1.jpg"
    ).read_bytes()


def test_small_subset_is_kept_when_complete_and_rebuilt_when_not(tmp_path):
    source = make_image_tree(tmp_path / "full", TREE_COUNTS)
    target = tmp_path / "small"
    per_split = {"train": 2, "validation": 1}
    datasets.build_image_subset(source, target, per_split)
    marker = target / ".subset.json"
    marker_inode = marker.stat().st_ino

    datasets.build_image_subset(source, target, per_split)
    assert marker.stat().st_ino == marker_inode  # untouched

    (target / "train" / "dogs" / "dog.1.jpg").unlink()
    datasets.build_image_subset(source, target, per_split)
    assert (target / "train" / "dogs" / "dog.1.jpg").is_file()

    datasets.build_image_subset(source, target, {"train": 3, "validation": 2})
    assert len(list((target / "train" / "cats").iterdir())) == 3


def test_cats_vs_dogs_small_mode_builds_the_subset_in_the_cache(tmp_path, monkeypatch):
    make_image_tree(tmp_path / "mirror" / "cats_and_dogs_filtered", TREE_COUNTS)
    monkeypatch.setenv(settings.MIRROR_ENV, str(tmp_path / "mirror"))
    monkeypatch.setattr(datasets.cats_dogs, "SMALL_PER_CLASS", {"train": 2, "validation": 1})
    real_entry = manifest.get_entry("cats_and_dogs_filtered.zip")
    monkeypatch.setattr(datasets.cats_dogs, "DATASET", dataclasses.replace(real_entry, image_counts=TREE_COUNTS))
    monkeypatch.setenv(settings.SMALL_ENV, "1")

    small = datasets.cats_vs_dogs_dir()

    assert small == tmp_path / "cache" / "cats_and_dogs_filtered_small"
    assert (
        verify.count_problem(small, {"train/cats": 2, "train/dogs": 2, "validation/cats": 1, "validation/dogs": 1})
        is None
    )
    assert datasets.cats_vs_dogs_dir(small=False) == tmp_path / "mirror" / "cats_and_dogs_filtered"


# --- The real files, from the offline mirror ---------------------------------------------


def _real_mirror() -> Path | None:
    candidate = settings.mirror_dir() or DEFAULT_MIRROR
    return candidate if (candidate / "housing" / "housing.tgz").is_file() else None


REAL_MIRROR = _real_mirror()  # read before the autouse fixture clears the variable
needs_mirror = pytest.mark.skipif(REAL_MIRROR is None, reason="no offline mirror (COURSE_DATA_MIRROR)")


@pytest.fixture
def real_mirror(monkeypatch):
    monkeypatch.setenv(settings.MIRROR_ENV, str(REAL_MIRROR))
    return REAL_MIRROR


@pytest.fixture(scope="module")
def housing_full(tmp_path_factory):
    """Housing loaded once for the module (read in place from the mirror)."""
    if REAL_MIRROR is None:
        pytest.skip("no offline mirror")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(settings.MIRROR_ENV, str(REAL_MIRROR))
        patch.setenv(settings.CACHE_ENV, str(tmp_path_factory.mktemp("housing-cache")))
        return datasets.load_california_housing(small=False)


@needs_mirror
def test_california_housing_matches_scikit_learns_features(housing_full):
    X, y = housing_full
    assert list(X.columns) == [
        "MedInc",
        "HouseAge",
        "AveRooms",
        "AveBedrms",
        "Population",
        "AveOccup",
        "Latitude",
        "Longitude",
    ]
    assert X.shape == (20_640, 8) and len(y) == 20_640
    assert not X.isna().any().any() and not y.isna().any()
    assert all(str(dtype) == "float64" for dtype in X.dtypes)
    assert X["MedInc"].mean() == pytest.approx(3.8707, abs=1e-3)
    assert X["AveRooms"].mean() == pytest.approx(5.4290, abs=1e-3)
    assert X["AveBedrms"].mean() == pytest.approx(1.0967, abs=1e-3)  # scikit-learn: 1.09668 (no imputation)
    assert y.name == "MedHouseVal" and y.max() == pytest.approx(5.00001)


@needs_mirror
def test_california_housing_small_mode_and_split(real_mirror, monkeypatch):
    monkeypatch.setenv(settings.SMALL_ENV, "yes")
    X, y = datasets.load_california_housing()
    assert X.shape == (2_000, 8) and len(y) == 2_000
    again, _ = datasets.load_california_housing()
    assert X.index.equals(again.index)

    split = datasets.california_housing_split()
    assert [len(part) for part in split[:3]] == [1_200, 400, 400]
    assert set(split.X_train.index) | set(split.X_val.index) | set(split.X_test.index) == set(X.index)


@needs_mirror
def test_california_housing_split_is_60_20_20_and_deterministic(real_mirror):
    split = datasets.california_housing_split(small=False, seed=7)
    assert [len(split.X_train), len(split.X_val), len(split.X_test)] == [12_384, 4_128, 4_128]
    assert split.y_train.index.equals(split.X_train.index)
    assert not set(split.X_train.index) & set(split.X_test.index)
    assert datasets.california_housing_split(small=False, seed=7).X_val.index.equals(split.X_val.index)
    assert not datasets.california_housing_split(small=False, seed=8).X_val.index.equals(split.X_val.index)


@needs_mirror
def test_imagenet_class_index_is_installed_for_keras(real_mirror, isolated_folders):
    index = datasets.imagenet_class_index()
    assert len(index) == 1000 and index["0"] == ["n01440764", "tench"]
    installed = datasets.install_imagenet_class_index_for_keras()
    assert installed == isolated_folders / "keras" / "models" / "imagenet_class_index.json"
    assert hashlib.md5(installed.read_bytes()).hexdigest() == "c2c37ea517e94d9795004a39431a14cb"


@needs_mirror
def test_mobilenet_weights_are_installed_and_flagged_as_stand_in(real_mirror, isolated_folders):
    result = datasets.install_mobilenet_v2_weights()
    assert (
        result.path
        == isolated_folders / "keras" / "models" / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_160_no_top.h5"
    )
    assert result.weights == "imagenet" and result.standin is True and "STAND-IN" in result.description


@needs_mirror
def test_fashion_mnist_files_are_placed_where_keras_looks(real_mirror, isolated_folders):
    folder = datasets.install_fashion_mnist_for_keras()
    assert folder == isolated_folders / "keras" / "datasets" / "fashion-mnist"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [
            "train-images-idx3-ubyte.gz",
            "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz",
        ]
    )


@needs_mirror
@pytest.mark.skipif(find_spec("keras") is None or find_spec("tensorflow") is None, reason="needs keras + tensorflow")
def test_load_fashion_mnist_through_keras_in_small_mode(real_mirror, isolated_folders):
    """Runs in a fresh interpreter so Keras reads this test's KERAS_HOME."""
    script = (
        "import json\nfrom includes.data import load_fashion_mnist\n"
        "(xt, yt), (xs, ys) = load_fashion_mnist(small=True)\n"
        "print(json.dumps([xt.shape, yt.shape, xs.shape, ys.shape, str(xt.dtype), int(yt.max())]))\n"
    )
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}
    finished = subprocess.run(
        [sys.executable, "-c", script], cwd=REPOSITORY, env=environment, capture_output=True, text=True, timeout=120
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    shapes = json.loads(finished.stdout.strip().splitlines()[-1])
    assert shapes == [[6000, 28, 28], [6000], [1000, 28, 28], [1000], "uint8", 9]
