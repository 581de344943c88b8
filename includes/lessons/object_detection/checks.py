"""Checks for the lab of module 09 (object detection): IoU, box decoding, NMS, class-aware post-processing,
and the detector's mAP.

Each check runs the learner's function on small hand-made inputs whose answer is known, and judges what
it returns, so any correct implementation passes (loops or vectorised, NumPy or TensorFlow). When a
result fails, the check looks at what the classic mistakes would have returned (a box read as
``(x, y, width, height)``, an overlap not clipped at zero, NMS without sorting, the threshold the wrong way
round, NMS across classes) and names the one it recognises.
"""

from __future__ import annotations

import numpy as np

from includes.labs.checks import LabChecks, attempt, value_or

from .helpers import SHAPE_CLASSES, mean_average_precision


def _array(value) -> np.ndarray:
    """The learner's result (NumPy, TensorFlow tensor, list) as a float64 NumPy array."""
    return np.asarray(value, dtype="float64")


def _reference_iou(boxes_a, boxes_b) -> np.ndarray:
    boxes_a, boxes_b = _array(boxes_a), _array(boxes_b)
    top_left = np.maximum(boxes_a[:, None, :2], boxes_b[None, :, :2])
    bottom_right = np.minimum(boxes_a[:, None, 2:], boxes_b[None, :, 2:])
    shared = np.prod(np.clip(bottom_right - top_left, 0, None), axis=2)
    area_a = np.prod(boxes_a[:, 2:] - boxes_a[:, :2], axis=1)
    area_b = np.prod(boxes_b[:, 2:] - boxes_b[:, :2], axis=1)
    return shared / (area_a[:, None] + area_b[None, :] - shared)


def _as_xyxy(xywh) -> np.ndarray:
    xywh = _array(xywh)
    return np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)


def _close(value, expected, atol=1e-4) -> bool:
    value = _array(value)
    return value.shape == np.shape(expected) and bool(np.allclose(value, expected, atol=atol))


# --- Step 1: IoU of every pair ----------------------------------------------------------------------------

IOU_ROWS = np.array([[0, 0, 10, 10], [5, 5, 15, 15]], dtype="float32")
IOU_COLUMNS = np.array(
    [
        [0, 0, 10, 10],  # the same box
        [5, 5, 15, 15],  # shifted by (5, 5)
        [0, 0, 5, 10],  # the left half
        [2, 2, 8, 8],  # inside
        [10, 0, 20, 10],  # touching an edge
        [20, 0, 30, 10],  # apart in x only
        [50, 50, 60, 60],
    ],  # apart in x and y
    dtype="float32",
)


def check_iou(pairwise_iou):
    """Step 1: an (n, m) matrix of IoUs, right on overlapping, nested, touching and disjoint boxes."""
    expected = _reference_iou(IOU_ROWS, IOU_COLUMNS)
    value, error = attempt(pairwise_iou, IOU_ROWS, IOU_COLUMNS)
    matrix = value_or(np.full((2, 7), np.nan), _array, value)
    flipped = value_or(None, pairwise_iou, IOU_COLUMNS, IOU_ROWS)
    overlapping, apart = expected > 0, expected == 0
    read_as_xywh = _reference_iou(_as_xyxy(IOU_ROWS), _as_xyxy(IOU_COLUMNS))
    with LabChecks("Step 1: IoU of every pair of boxes") as check:
        if not check(
            error is None and matrix.shape == (2, 7),
            ok="It returns one IoU per pair: 2 boxes against 7 give a (2, 7) matrix.",
            problem=(
                f"pairwise_iou raised {error}."
                if error
                else f"pairwise_iou of 2 boxes against 7 should return a (2, 7) matrix, got shape {matrix.shape}."
            ),
            hint="Compare every box of the first set with every box of the second: broadcast the first "
            "set along a new second axis and the second set along a new first axis, or loop.",
        ):
            return
        check(
            lambda: _close(matrix[overlapping], expected[overlapping]),
            ok="Overlapping and nested boxes get the right IoU (1, 1/7, 0.5, 0.36, ...).",
            problem="The IoU of overlapping boxes is wrong (the same box should give 1, two 10x10 squares "
            "shifted by (5, 5) give 1/7, the left half of a square 0.5).",
            hint="The boxes are corners (x_min, y_min, x_max, y_max), not (x, y, width, height): a box's "
            "width is x_max - x_min, and the intersection's corners are the larger minimum and the "
            "smaller maximum."
            if _close(matrix, read_as_xywh)
            else "IoU = intersection area / (area a + area b - intersection area); the intersection's left "
            "edge is the larger of the two left edges, its right edge the smaller of the right edges.",
        )
        check(
            lambda: _close(matrix[apart], expected[apart]),
            ok="Boxes that only touch or do not overlap get exactly 0.",
            problem=f"Boxes that do not overlap should have IoU 0, got {np.round(matrix[apart], 3).tolist()}.",
            hint="Clip the intersection's width and its height at 0 separately before multiplying them: "
            "for boxes apart in both x and y, two negative sides multiply into a positive area.",
        )
        check(
            lambda: flipped is not None and _close(flipped, matrix.T),
            ok="It is symmetric: pairwise_iou(b, a) is the transpose of pairwise_iou(a, b).",
            problem="pairwise_iou(b, a) should be the transpose of pairwise_iou(a, b).",
            hint="Use the same rule for both boxes; nothing in IoU depends on which box comes first.",
        )


# --- Step 2: decoding offsets into boxes ------------------------------------------------------------------

DECODE_ANCHORS = np.array([[0, 0, 12, 12], [20, 10, 37, 27], [30, 30, 54, 54]], dtype="float32")
DECODE_BOXES = np.array([[1, 2, 11, 13], [18, 12, 40, 26], [28, 35, 50, 51]], dtype="float32")


def check_decode(decode_boxes, encode_boxes):
    """Step 2: decode_boxes inverts encode_boxes; zero offsets give back the anchors."""
    anchor_sizes = DECODE_ANCHORS[:, 2:] - DECODE_ANCHORS[:, :2]
    anchor_centres = DECODE_ANCHORS[:, :2] + anchor_sizes / 2
    still, error = attempt(decode_boxes, DECODE_ANCHORS, np.zeros((3, 4), dtype="float32"))
    still = value_or(np.full((3, 4), np.nan), _array, still)
    offsets = value_or(np.zeros((3, 4)), encode_boxes, DECODE_ANCHORS, DECODE_BOXES)
    round_trip = value_or(
        np.full((3, 4), np.nan), lambda: _array(decode_boxes(DECODE_ANCHORS, np.asarray(offsets, dtype="float32")))
    )
    with LabChecks("Step 2: decoding offsets into boxes") as check:
        if not check(
            error is None and still.shape == (3, 4),
            ok="It returns one box (4 numbers) per anchor.",
            problem=(
                f"decode_boxes raised {error}."
                if error
                else f"decode_boxes of 3 anchors should return a (3, 4) array, got shape {still.shape}."
            ),
            hint="Work on all anchors at once (columns of the arrays), or row by row, and return "
            "one row of 4 numbers per anchor.",
        ):
            return
        check(
            lambda: _close(still[:, 2:] - still[:, :2], anchor_sizes),
            ok="Zero offsets keep the anchors' sizes.",
            problem="With all offsets 0 the boxes should have the anchors' widths and heights "
            f"{anchor_sizes.tolist()}, got {np.round(still[:, 2:] - still[:, :2], 2).tolist()}.",
            hint="The size offsets are logarithms, log(w / w_anchor): the decoded width is the anchor's "
            "width times exp of its offset (so offset 0 keeps the size).",
        )
        check(
            lambda: _close((still[:, :2] + still[:, 2:]) / 2, anchor_centres),
            ok="Zero offsets keep the anchors' centres.",
            problem="With all offsets 0 the boxes should be centred on the anchors' centres "
            f"{anchor_centres.tolist()}.",
            hint="The position offsets move the anchor's centre (in units of its size), not its top-left "
            "corner: start from the centre, then go half the size each way to get the corners.",
        )
        check(
            lambda: _close(round_trip, DECODE_BOXES, atol=1e-3),
            ok="decode_boxes(anchors, encode_boxes(anchors, boxes)) gives the boxes back.",
            problem="Decoding the encoded boxes should give them back as (x_min, y_min, x_max, y_max), got "
            f"{np.round(round_trip, 2).tolist()} for {DECODE_BOXES.tolist()}.",
            hint="Undo each step of encode_boxes in reverse order, and return corners, not a centre and a size.",
        )


# --- Step 3: non-max suppression --------------------------------------------------------------------------

NMS_BOXES = np.array(
    [
        [0, 0, 10, 10],  # 0: a duplicate of box 1 (IoU 0.68), lower score
        [1, 1, 11, 11],  # 1: the best box of the first object
        [20, 20, 30, 30],  # 2: the best box of the second object
        [26, 20, 36, 30],  # 3: overlaps box 2 by IoU 0.25 only: another object
        [40, 40, 50, 50],
    ],  # 4: alone, weak
    dtype="float32",
)
NMS_SCORES = np.array([0.6, 0.9, 0.8, 0.5, 0.3], dtype="float32")
NMS_THRESHOLD = 0.5


def _random_candidates(count=60, seed=9):
    rng = np.random.default_rng(seed)
    corners = rng.uniform(0, 80, size=(count, 2))
    boxes = np.concatenate([corners, corners + rng.uniform(8, 30, size=(count, 2))], axis=1).astype("float32")
    return boxes, rng.uniform(0, 1, size=count).astype("float32")


def _kept(nms, boxes, scores, threshold):
    return [int(index) for index in np.asarray(nms(boxes, scores, threshold)).ravel()]


def check_nms(nms):
    """Step 3: NMS keeps the best box of each object first and drops only the duplicates above the threshold."""
    import tensorflow as tf

    kept, error = attempt(_kept, nms, NMS_BOXES, NMS_SCORES, NMS_THRESHOLD)
    kept = kept or []
    boxes, scores = _random_candidates()
    agreements = []
    for threshold in (0.3, 0.7):
        reference = tf.image.non_max_suppression(boxes[:, [1, 0, 3, 2]], scores, len(boxes), threshold).numpy()
        agreements.append(value_or(None, _kept, nms, boxes, scores, threshold) == reference.tolist())
    with LabChecks("Step 3: non-max suppression") as check:
        if not check(
            error is None,
            ok="nms ran and returned indices.",
            problem=f"nms raised {error}.",
            hint="Return the indices (positions in boxes) of the boxes you keep, best first.",
        ):
            return
        check(
            lambda: kept[:1] == [1],
            ok="The best-scoring box comes first.",
            problem=f"On the test boxes (scores {NMS_SCORES.tolist()}) the first box kept should be box 1, "
            f"the best score; got {kept}.",
            hint="Visit the boxes by decreasing score: the best box of an object must win, wherever it "
            "stands in the list.",
        )
        check(
            lambda: 0 not in kept,
            ok="A duplicate (IoU above the threshold with a better box) is dropped.",
            problem=f"Box 0 overlaps the better box 1 with IoU 0.68 > {NMS_THRESHOLD}: it is a duplicate and "
            f"should be dropped; kept {kept}.",
            hint="After keeping a box, remove the remaining boxes whose IoU with it is above the threshold.",
        )
        check(
            lambda: {2, 3, 4} <= set(kept),
            ok="Boxes overlapping less than the threshold, or not at all, survive.",
            problem=f"Boxes 2, 3 and 4 should all be kept (box 3 overlaps box 2 by IoU 0.25 only, box 4 "
            f"overlaps nothing); kept {kept}.",
            hint="Only boxes overlapping a kept box by MORE than the threshold are duplicates; keep those "
            "at or below it (is the comparison the wrong way round?).",
        )
        check(
            lambda: all(agreements),
            ok="It keeps the same boxes, in the same order, as tf.image.non_max_suppression on 60 random boxes.",
            problem="On 60 random boxes your nms keeps different boxes (or another order) than "
            "tf.image.non_max_suppression at thresholds 0.3 and 0.7.",
            hint="Compare each remaining box with every box kept so far (not only the first one), and "
            "return the kept indices best first.",
        )


# --- Step 4: from raw predictions to detections, class by class -------------------------------------------


def _made_up_prediction(anchors, encode_boxes):
    """Raw output for one image, written by hand: background everywhere except four anchors.

    Anchor a: a circle with a high score; anchor b: the same circle shifted by a pixel, lower score (a
    duplicate); anchor c: a square on almost the same spot (another object: a different class);
    anchor d: a triangle elsewhere.
    """
    anchors = np.asarray(anchors, dtype="float32")
    classes = len(SHAPE_CLASSES) + 1
    prediction = np.zeros((len(anchors), 4 + classes), dtype="float32")
    prediction[:, 4] = 5.0  # background wins everywhere: every shape scores about 0.007
    circle, circle_shifted, square = [20, 20, 36, 36], [21, 20, 37, 36], [21, 21, 37, 37]
    triangle = [2, 40, 14, 52]
    centres = (anchors[:, :2] + anchors[:, 2:]) / 2
    picked = []
    for box, label, logit in ((circle, 0, 9.0), (circle_shifted, 0, 7.0), (square, 1, 8.0), (triangle, 2, 8.0)):
        centre = (np.array(box[:2]) + np.array(box[2:])) / 2
        order = np.argsort(np.abs(centres - centre).sum(axis=1), kind="mergesort")
        anchor = int(next(index for index in order if index not in picked))
        picked.append(anchor)
        prediction[anchor, :4] = np.asarray(encode_boxes(anchors[[anchor]], np.array([box], dtype="float32")))[0]
        prediction[anchor, 4 + 1 + label] = logit
    return prediction, np.array([circle, square, triangle], dtype="float64")


def _softmax(logits):
    exps = np.exp(logits - logits.max())
    return exps / exps.sum()


def _detections(postprocess, prediction):
    boxes, scores, labels = postprocess(prediction)
    return (_array(boxes).reshape(-1, 4), _array(scores).ravel(), np.asarray(labels).astype("int64").ravel())


def check_postprocess(postprocess, anchors, encode_boxes):
    """Step 4: decoded boxes, softmax scores, one box per object and class, labels 0..2 (background excluded)."""
    prediction, expected_boxes = _made_up_prediction(anchors, encode_boxes)
    found, error = attempt(_detections, postprocess, prediction)
    boxes, scores, labels = found or (np.zeros((0, 4)), np.zeros(0), np.zeros(0, dtype="int64"))
    circles = labels == 0
    circle_score = _softmax(np.array([5.0, 9.0, 0.0, 0.0]))[1]
    with LabChecks("Step 4: from raw predictions to detections") as check:
        if not check(
            error is None and len(boxes) == len(scores) == len(labels),
            ok="postprocess returns boxes, scores and labels of the same length.",
            problem=f"postprocess raised {error}."
            if error
            else "postprocess should return three arrays of the same length: boxes, scores, labels.",
            hint="Return (boxes, scores, labels) for the boxes kept in all classes together.",
        ):
            return
        check(
            lambda: set(labels.tolist()) <= {0, 1, 2} and 2 in labels,
            ok="Labels are the shape classes 0..2; background is never reported.",
            problem=f"The labels should be indices into SHAPE_CLASSES (0, 1, 2), got {sorted(set(labels.tolist()))}.",
            hint="Column 0 of the class scores is background: the score of shape k sits in column k + 1, and "
            "its label is k.",
        )
        check(
            lambda: len(labels) <= 4 and scores.min() >= 0.05 and scores.max() <= 1.0,
            ok="Only boxes above the score threshold are kept, with scores that are probabilities.",
            problem=f"Every anchor but four predicts background, so at most four boxes should pass the score "
            f"threshold; got {len(labels)} boxes with scores from {scores.min() if len(scores) else 0:.3g} "
            f"to {scores.max() if len(scores) else 0:.3g}.",
            hint="Turn the class logits into probabilities with a softmax over the 4 columns, then keep "
            "only the boxes scoring at least the score threshold.",
        )
        check(
            lambda: circles.sum() == 1,
            ok="The duplicate circle is suppressed: one box per object.",
            problem=f"Two anchors predict the same circle (IoU 0.88): NMS should keep one; got {circles.sum()}.",
            hint="Run your nms on the boxes and scores of each class.",
        )
        check(
            lambda: (labels == 1).sum() == 1,
            ok="The square on the same spot as the circle is kept: NMS runs per class.",
            problem="A square overlaps the circle but is another object: it should be kept, got "
            f"{(labels == 1).sum()} square(s).",
            hint="Suppress duplicates within each class only (class-aware NMS): loop over the classes and run "
            "NMS on each class's scores separately.",
        )
        check(
            lambda: (
                circles.sum() == 1
                and _close(boxes[circles][0], expected_boxes[0], atol=1e-2)
                and np.isclose(scores[circles][0], circle_score, atol=1e-3)
            ),
            ok="The circle's box is decoded from its anchor's offsets, and its score is its softmax probability.",
            problem=f"The circle should be reported at {expected_boxes[0].tolist()} with score {circle_score:.3f}.",
            hint="Decode every anchor's offsets with your decode_boxes and keep the decoded boxes and the "
            "probabilities of the indices NMS returns.",
        )


# --- Step 5: the detector on held-out images ----------------------------------------------------------------


def check_detector(detections, true_boxes, true_labels, bar: float) -> dict:
    """Step 5: mAP@0.5 (COCO's 101-point AP) of the detections on the test images reaches the bar."""
    result = mean_average_precision(detections, true_boxes, true_labels, iou_threshold=0.5)
    per_class = ", ".join(f"{name} {result[name]:.3f}" for name in SHAPE_CLASSES)
    with LabChecks("Step 5: the detector on held-out images") as check:
        check(
            len(detections) == len(true_boxes),
            ok=f"One set of detections per test image ({len(true_boxes)}).",
            problem=f"There should be one (boxes, scores, labels) triple per test image: {len(true_boxes)}, "
            f"got {len(detections)}.",
            hint="Call postprocess on the prediction of every test image.",
        )
        check(
            result["mAP"] >= bar,
            ok=f"mAP@0.5 = {result['mAP']:.3f} (at least {bar}); per class: {per_class}.",
            problem=f"mAP@0.5 is {result['mAP']:.3f}, below {bar} (per class: {per_class}).",
            hint="If it is near 0, the boxes are off: compare decoded boxes with the true ones on one image. "
            "If it is lower than expected but not tiny, check that NMS keeps boxes per class and that "
            "the score threshold is low, then train longer.",
        )
    return result
