"""Helpers for the object-detection notebooks (09.1, 09.1L): box formats, drawing, the generated shapes
dataset, the mAP bookkeeping and the COCO-format records for pycocotools.

Boxes in the course are ``(x_min, y_min, x_max, y_max)`` in pixels ("xyxy") unless a name says otherwise.
Detectors disagree on formats: MTCNN, OpenCV and COCO give ``(x, y, width, height)`` ("xywh"),
TensorFlow's ops take ``(y_min, x_min, y_max, x_max)`` ("yxyx").
"""

from __future__ import annotations

import numpy as np


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
        rectangle = Rectangle(
            (x_min, y_min),
            x_max - x_min,
            y_max - y_min,
            fill=False,
            edgecolor=color,
            linewidth=linewidth,
            linestyle=linestyle,
        )
        ax.add_patch(rectangle)
        rectangles.append(rectangle)
        if label:
            ax.text(
                x_min + 2,
                y_min + 2,
                label,
                color="black",
                fontsize=8,
                va="top",
                bbox=dict(facecolor=color, alpha=0.8, edgecolor="none", pad=1),
            )
    return rectangles


# --- a generated multi-object dataset: coloured shapes with their boxes ------------------------------------

SHAPE_CLASSES = ("circle", "square", "triangle")


def _shape_mask(shape: str, box, rows, cols) -> np.ndarray:
    """Pixels (by their centres) inside a shape that exactly fills the xyxy box."""
    x_min, y_min, x_max, y_max = box
    size = x_max - x_min
    if shape == "circle":
        centre_x, centre_y = (x_min + x_max) / 2, (y_min + y_max) / 2
        return (cols - centre_x) ** 2 + (rows - centre_y) ** 2 <= (size / 2) ** 2
    inside = (cols >= x_min) & (cols <= x_max) & (rows >= y_min) & (rows <= y_max)
    if shape == "square":
        return inside
    # an upright triangle: apex at the top middle of the box, base along its bottom edge
    half_width_at_row = (rows - y_min) / size * (size / 2)
    return inside & (np.abs(cols - (x_min + x_max) / 2) <= half_width_at_row)


def make_shapes_dataset(count: int, seed: int, image_size: int = 64, max_objects: int = 4, sizes=(10, 26)):
    """Images of 1..max_objects coloured shapes on a noisy background, with their true boxes and classes.

    Deterministic for a given seed. Returns ``images`` (count, size, size, 3) float32 in [0, 1], and two
    lists with one array per image: ``boxes`` (n, 4) xyxy in pixels and ``labels`` (n,) indices into
    SHAPE_CLASSES. Shapes never overlap by more than a sliver (IoU below 0.1), as objects on a table would.
    """
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:image_size, 0:image_size] + 0.5  # pixel centres
    images = np.empty((count, image_size, image_size, 3), dtype="float32")
    all_boxes, all_labels = [], []
    for index in range(count):
        image = rng.uniform(0.0, 0.35, size=3) + rng.normal(0, 0.05, size=(image_size, image_size, 3))
        boxes, labels = [], []
        for _ in range(rng.integers(1, max_objects + 1)):
            for _attempt in range(20):  # find a free place
                size = float(rng.integers(sizes[0], sizes[1] + 1))
                x_min, y_min = rng.uniform(0, image_size - size, size=2).round()
                box = np.array([x_min, y_min, x_min + size, y_min + size])
                if all(_iou(box, other) < 0.1 for other in boxes):
                    break
            else:
                continue
            label = int(rng.integers(len(SHAPE_CLASSES)))
            colour = rng.uniform(0.45, 1.0, size=3)
            top, left, bottom, right = int(y_min), int(x_min), int(y_min + size), int(x_min + size)
            window = (slice(top, bottom), slice(left, right))  # only the box's pixels can be inside
            image[window][_shape_mask(SHAPE_CLASSES[label], box, rows[window], cols[window])] = colour
            boxes.append(box)
            labels.append(label)
        images[index] = np.clip(image, 0, 1)
        all_boxes.append(np.array(boxes, dtype="float32").reshape(-1, 4))
        all_labels.append(np.array(labels, dtype="int64"))
    return images, all_boxes, all_labels


def _iou(box_a, box_b) -> float:
    width = max(0.0, min(box_a[2], box_b[2]) - max(box_a[0], box_b[0]))
    height = max(0.0, min(box_a[3], box_b[3]) - max(box_a[1], box_b[1]))
    shared = width * height
    union = (box_a[2] - box_a[0]) * (box_a[3] - box_a[1]) + (box_b[2] - box_b[0]) * (box_b[3] - box_b[1]) - shared
    return shared / union if union > 0 else 0.0


# --- mAP bookkeeping: the same rules as COCO's evaluation at one IoU threshold ----------------------------

RECALL_POINTS = np.linspace(0.0, 1.0, 101)  # COCO's 101 recall levels 0, 0.01, ..., 1


def match_detections(detections, true_boxes, true_labels, label: int, iou_threshold: float = 0.5):
    """For one class: (scores, is_true_positive) of all its detections over all images, and the number of
    true boxes of that class. ``detections`` is one (boxes, scores, labels) triple per image.

    In each image, detections are taken best score first, and each one claims the unclaimed true box of
    its class it overlaps most, if that IoU reaches the threshold; otherwise it is a false positive.
    """
    scores, hits, positives = [], [], 0
    for (boxes, det_scores, det_labels), truth, truth_labels in zip(detections, true_boxes, true_labels):
        truth = np.asarray(truth)[np.asarray(truth_labels) == label]
        positives += len(truth)
        mine = np.flatnonzero(np.asarray(det_labels) == label)
        mine = mine[np.argsort(-np.asarray(det_scores)[mine], kind="mergesort")]
        claimed = np.zeros(len(truth), dtype=bool)
        for index in mine:
            overlaps = np.array([_iou(boxes[index], other) for other in truth])
            overlaps[claimed] = -1.0
            best = int(np.argmax(overlaps)) if len(truth) else -1
            hit = best >= 0 and overlaps[best] >= iou_threshold
            if hit:
                claimed[best] = True
            scores.append(float(det_scores[index]))
            hits.append(hit)
    return np.array(scores), np.array(hits, dtype=bool), positives


def precision_recall(scores, hits, positives):
    """Precision and recall after each detection, best score first."""
    order = np.argsort(-scores, kind="mergesort")
    true_positives = np.cumsum(hits[order])
    false_positives = np.cumsum(~hits[order])
    recall = true_positives / max(positives, 1)
    precision = true_positives / np.maximum(true_positives + false_positives, 1)
    return precision, recall


def average_precision_101(precision, recall) -> float:
    """COCO's AP: the precision envelope (best precision at this recall or beyond), read at 101 recall levels."""
    if len(precision) == 0:
        return 0.0
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    where = np.searchsorted(recall, RECALL_POINTS, side="left")
    return float(np.mean([envelope[i] if i < len(envelope) else 0.0 for i in where]))


def mean_average_precision(detections, true_boxes, true_labels, iou_threshold: float = 0.5) -> dict:
    """AP per class name, COCO-style (101 points), and their mean under the key "mAP"."""
    result = {}
    for label, name in enumerate(SHAPE_CLASSES):
        precision, recall = precision_recall(
            *match_detections(detections, true_boxes, true_labels, label, iou_threshold)
        )
        result[name] = average_precision_101(precision, recall)
    result["mAP"] = float(np.mean([result[name] for name in SHAPE_CLASSES]))
    return result


# --- COCO-format records, for pycocotools --------------------------------------------------------------


def coco_ground_truth(true_boxes, true_labels, image_size: int) -> dict:
    """A COCO annotation dict (images, categories, annotations; boxes as xywh) for the generated images.

    Image ids are 1, 2, ... and category ids 1..3 (COCO's ids start at 1).
    """
    annotations = []
    for image_id, (boxes, labels) in enumerate(zip(true_boxes, true_labels), start=1):
        for box, label in zip(boxes, labels):
            width, height = float(box[2] - box[0]), float(box[3] - box[1])
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": int(label) + 1,
                    "bbox": [float(box[0]), float(box[1]), width, height],
                    "area": width * height,
                    "iscrowd": 0,
                }
            )
    return {
        "images": [{"id": i, "width": image_size, "height": image_size} for i in range(1, len(true_boxes) + 1)],
        "categories": [{"id": i + 1, "name": name} for i, name in enumerate(SHAPE_CLASSES)],
        "annotations": annotations,
    }


def coco_detections(detections) -> list[dict]:
    """The detections as COCO's result list: one dict per box with image_id, category_id, xywh bbox, score."""
    results = []
    for image_id, (boxes, scores, labels) in enumerate(detections, start=1):
        for box, score, label in zip(boxes, scores, labels):
            results.append(
                {
                    "image_id": image_id,
                    "category_id": int(label) + 1,
                    "bbox": [float(box[0]), float(box[1]), float(box[2] - box[0]), float(box[3] - box[1])],
                    "score": float(score),
                }
            )
    return results
