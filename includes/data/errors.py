"""The two ways getting a dataset can fail.

Both derive from :class:`DatasetError` (itself a ``RuntimeError``), so a notebook
can catch either with one ``except DatasetError``. Every message is a single
sentence that names the dataset and says what to do about it.
"""


class DatasetError(RuntimeError):
    """Base class of the dataset layer's errors."""


class DatasetUnavailableError(DatasetError):
    """No verified copy anywhere (mirror, cache) and the download failed."""


class DatasetChecksumError(DatasetError):
    """A copy was found or downloaded, but its bytes are not the expected ones."""
