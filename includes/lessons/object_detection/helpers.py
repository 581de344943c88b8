"""Small helpers for the object-detection notebook (09.1): box formats, drawing, and the online-only cell.

Boxes in the course are ``(x_min, y_min, x_max, y_max)`` in pixels ("xyxy") unless a name says otherwise.
Detectors disagree on formats: MTCNN, OpenCV and COCO give ``(x, y, width, height)`` ("xywh"),
TensorFlow's ops take ``(y_min, x_min, y_max, x_max)`` ("yxyx").
"""
from __future__ import annotations

import importlib.util

import numpy as np

from includes.settings import is_test_run

KERAS_HUB_COCO_PRESET = "retinanet_resnet50_fpn_coco"


def xywh_to_xyxy(boxes) -> np.ndarray:
    """(x, y, width, height) -> (x_min, y_min, x_max, y_max), for one box or an (n, 4) array."""
    boxes = np.asarray(boxes, dtype=float)
    return np.concatenate([boxes[..., :2], boxes[..., :2] + boxes[..., 2:]], axis=-1)


def xyxy_to_yxyx(boxes) -> np.ndarray:
    """(x_min, y_min, x_max, y_max) -> (y_min, x_min, y_max, x_max), the order TensorFlow's ops expect."""
    return np.asarray(boxes, dtype=float)[..., [1, 0, 3, 2]]


def draw_boxes(ax, boxes, labels=None, color="lime", linewidth=2, linestyle="-"):
    """Draw xyxy boxes (and optional labels in their top-left corners) on a matplotlib axis; return the rectangles."""
    from matplotlib.patches import Rectangle

    boxes = np.atleast_2d(np.asarray(boxes, dtype=float))
    labels = [None] * len(boxes) if labels is None else list(labels)
    rectangles = []
    for (x_min, y_min, x_max, y_max), label in zip(boxes, labels):
        rectangle = Rectangle((x_min, y_min), x_max - x_min, y_max - y_min, fill=False,
                              edgecolor=color, linewidth=linewidth, linestyle=linestyle)
        ax.add_patch(rectangle)
        rectangles.append(rectangle)
        if label:
            ax.text(x_min + 2, y_min + 2, label, color="black", fontsize=8, va="top",
                    bbox=dict(facecolor=color, alpha=0.8, edgecolor="none", pad=1))
    return rectangles


def keras_hub_skip_reason() -> str | None:
    """Why the KerasHub cell should not run here (one sentence), or None when it may try.

    Checked without touching the network: the package must be installed, and test runs never download.
    """
    if importlib.util.find_spec("keras_hub") is None:
        return ("Skipped: the keras_hub package is not installed in this environment "
                "(with internet, `pip install keras-hub` and run this cell again).")
    if is_test_run():
        return "Skipped: this is a test run (COURSE_TEST_RUN=1), which never downloads model weights."
    return None
