"""Who is taking the course, resolved before any folder, experiment or model name is made from it.

On Databricks twenty learners can share one cluster, so everything the course writes is named after the
learner: ``COURSE_USER`` when it is set (an instructor's override, or a shared JupyterHub), else the
workspace user (``current_user()``) on Databricks, else the operating-system user.
"""

from __future__ import annotations

import getpass

from .. import settings
from .environment import on_databricks


def workspace_user() -> str:
    """The Databricks workspace user running this notebook (e.g. ``ada@example.com``)."""
    from pyspark.sql import SparkSession

    return SparkSession.builder.getOrCreate().sql("SELECT current_user()").first()[0]


def learner() -> str:
    """The learner's name: ``COURSE_USER``, the workspace user on Databricks, or the OS user."""
    override = settings.user_override()
    if override:
        return override
    if on_databricks():
        return workspace_user()
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        return "learner"
