"""Streaming a URL to a file with a progress bar (standard library HTTP only).

This module knows nothing about the manifest or checksums: it moves bytes and
reports failures as :class:`DownloadFailed` with a short, human reason
("HTTP 404 Not Found", "[Errno 111] Connection refused") that the fetcher
puts into its error sentence.
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

TIMEOUT_SECONDS = 30
CHUNK_SIZE = 1 << 20
USER_AGENT = "dl-course-datasets/1.0 (+urllib)"


class DownloadFailed(Exception):
    """The bytes could not be fetched; ``str(error)`` is the reason."""


def _reason(error: BaseException) -> str:
    """A one-line reason without a trailing full stop."""
    if isinstance(error, urllib.error.HTTPError):
        text = f"HTTP {error.code} {error.reason}"
    elif isinstance(error, urllib.error.URLError):
        text = str(error.reason)
    else:
        text = str(error) or type(error).__name__
    return " ".join(text.split()).rstrip(".")


def download(url: str, destination: Path, *, label: str, expected_size: int | None = None) -> int:
    """Write the body of ``url`` to ``destination``; return the number of bytes.

    ``destination`` should be a temporary name: a failed download leaves a
    partial file there for the caller to delete. The progress bar's total is
    the server's Content-Length, or ``expected_size`` when the server sends
    none; a body shorter than the announced length is a failure.
    """
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    received = 0
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            announced = response.headers.get("Content-Length")
            announced_size = int(announced) if announced and announced.isdigit() else None
            with (
                open(destination, "wb") as out,
                tqdm(
                    total=announced_size or expected_size,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    desc=f"Downloading {label}",
                ) as bar,
            ):
                for chunk in iter(lambda: response.read(CHUNK_SIZE), b""):
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
    except (TimeoutError, urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
        raise DownloadFailed(_reason(error)) from error
    if announced_size is not None and received != announced_size:
        raise DownloadFailed(f"connection closed after {received} of {announced_size} bytes")
    return received
