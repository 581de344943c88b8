"""Module 09's lab checks: the solution passes, the mistakes learners really make fail with their own hint,
and other correct designs (loops instead of broadcasting, TensorFlow instead of NumPy) pass too."""

import numpy as np
import pytest
import tensorflow as tf

from includes.labs.checks import LabCheckFailed
from includes.lessons.object_detection import checks
from includes.lessons.object_detection.helpers import make_shapes_dataset

# --- Step 1: IoU ---------------------------------------------------------------------------------------------


def pairwise_iou(boxes_a, boxes_b):
    """The solution's answer: broadcasting."""
    top_left = np.maximum(boxes_a[:, None, :2], boxes_b[None, :, :2])
    bottom_right = np.minimum(boxes_a[:, None, 2:], boxes_b[None, :, 2:])
    shared = np.prod(np.clip(bottom_right - top_left, 0, None), axis=2)
    area_a = np.prod(boxes_a[:, 2:] - boxes_a[:, :2], axis=1)
    area_b = np.prod(boxes_b[:, 2:] - boxes_b[:, :2], axis=1)
    return shared / (area_a[:, None] + area_b[None, :] - shared)


def looped_iou(boxes_a, boxes_b):
    """Another correct answer: two loops and max(0, ...) on each side."""
    result = np.zeros((len(boxes_a), len(boxes_b)))
    for i, a in enumerate(boxes_a):
        for j, b in enumerate(boxes_b):
            width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
            height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
            shared = width * height
            result[i, j] = shared / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - shared)
    return result


def unclipped_iou(boxes_a, boxes_b):
    """Wrong: the intersection's sides are not clipped at 0, so boxes apart in x and y 'overlap'."""
    top_left = np.maximum(boxes_a[:, None, :2], boxes_b[None, :, :2])
    bottom_right = np.minimum(boxes_a[:, None, 2:], boxes_b[None, :, 2:])
    shared = np.prod(bottom_right - top_left, axis=2)
    area_a = np.prod(boxes_a[:, 2:] - boxes_a[:, :2], axis=1)
    area_b = np.prod(boxes_b[:, 2:] - boxes_b[:, :2], axis=1)
    return shared / (area_a[:, None] + area_b[None, :] - shared)


def xywh_iou(boxes_a, boxes_b):
    """Wrong: the last two numbers are read as a width and a height."""

    def corners(boxes):
        return np.concatenate([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], axis=1)

    return pairwise_iou(corners(boxes_a), corners(boxes_b))


def test_iou_solution_and_a_loop_pass(capsys):
    checks.check_iou(pairwise_iou)
    checks.check_iou(looped_iou)
    assert "✘" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (unclipped_iou, "Clip the intersection's width and its height at 0 separately"),
        (xywh_iou, "not (x, y, width, height)"),
    ],
)
def test_iou_mistakes_fail_with_their_hint(wrong, hint, capsys):
    with pytest.raises(LabCheckFailed):
        checks.check_iou(wrong)
    assert hint in capsys.readouterr().out


def test_iou_of_one_pair_only_fails_on_the_shape(capsys):
    with pytest.raises(LabCheckFailed):
        checks.check_iou(lambda a, b: looped_iou(a[:1], b[:1])[0, 0])
    assert "should return a (2, 7) matrix" in capsys.readouterr().out


# --- Step 2: decoding ----------------------------------------------------------------------------------------


def centres_and_sizes(boxes):
    sizes = boxes[:, 2:] - boxes[:, :2]
    return boxes[:, :2] + sizes / 2, sizes


def encode_boxes(anchors, boxes):
    anchor_centres, anchor_sizes = centres_and_sizes(anchors)
    centres, sizes = centres_and_sizes(boxes)
    return np.concatenate([(centres - anchor_centres) / anchor_sizes, np.log(sizes / anchor_sizes)], axis=1)


def decode_boxes(anchors, offsets):
    anchor_centres, anchor_sizes = centres_and_sizes(anchors)
    centres = anchor_centres + offsets[:, :2] * anchor_sizes
    sizes = anchor_sizes * np.exp(offsets[:, 2:])
    return np.concatenate([centres - sizes / 2, centres + sizes / 2], axis=1)


def tensorflow_decode(anchors, offsets):
    """Another correct answer: TensorFlow ops, one column at a time, returning a tensor."""
    anchors, offsets = tf.constant(anchors, "float32"), tf.constant(offsets, "float32")
    width, height = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
    cx = anchors[:, 0] + width / 2 + offsets[:, 0] * width
    cy = anchors[:, 1] + height / 2 + offsets[:, 1] * height
    w, h = width * tf.exp(offsets[:, 2]), height * tf.exp(offsets[:, 3])
    return tf.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)


def decode_without_exp(anchors, offsets):
    """Wrong: the size offsets are used as plain factors, not logarithms."""
    anchor_centres, anchor_sizes = centres_and_sizes(anchors)
    centres = anchor_centres + offsets[:, :2] * anchor_sizes
    sizes = anchor_sizes * offsets[:, 2:]
    return np.concatenate([centres - sizes / 2, centres + sizes / 2], axis=1)


def decode_from_the_corner(anchors, offsets):
    """Wrong: the offsets move the anchor's top-left corner, as if it were the centre."""
    _, anchor_sizes = centres_and_sizes(anchors)
    centres = anchors[:, :2] + offsets[:, :2] * anchor_sizes
    sizes = anchor_sizes * np.exp(offsets[:, 2:])
    return np.concatenate([centres - sizes / 2, centres + sizes / 2], axis=1)


def test_decode_solution_and_tensorflow_pass(capsys):
    checks.check_decode(decode_boxes, encode_boxes)
    checks.check_decode(tensorflow_decode, encode_boxes)
    assert "✘" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, hint",
    [(decode_without_exp, "times exp of its offset"), (decode_from_the_corner, "move the anchor's centre")],
)
def test_decode_mistakes_fail_with_their_hint(wrong, hint, capsys):
    with pytest.raises(LabCheckFailed):
        checks.check_decode(wrong, encode_boxes)
    assert hint in capsys.readouterr().out


# --- Step 3: NMS ---------------------------------------------------------------------------------------------


def nms(boxes, scores, iou_threshold):
    """The solution's answer: vectorised against the remaining boxes."""
    order = np.argsort(-np.asarray(scores), kind="stable")
    keep = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(int(best))
        order = rest[pairwise_iou(boxes[[best]], boxes[rest])[0] <= iou_threshold]
    return keep


def nms_with_a_suppressed_mask(boxes, scores, iou_threshold):
    """Another correct answer: one pass down the sorted list, marking suppressed boxes."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    suppressed, keep = set(), []
    for position, i in enumerate(order):
        if i in suppressed:
            continue
        keep.append(i)
        for j in order[position + 1 :]:
            if looped_iou(boxes[[i]], boxes[[j]])[0, 0] > iou_threshold:
                suppressed.add(j)
    return np.array(keep)


def nms_unsorted(boxes, scores, iou_threshold):
    """Wrong: the boxes are visited in the order they come, not by score."""
    order, keep = list(range(len(boxes))), []
    while order:
        best, order = order[0], order[1:]
        keep.append(best)
        order = [i for i in order if pairwise_iou(boxes[[best]], boxes[[i]])[0, 0] <= iou_threshold]
    return keep


def nms_threshold_reversed(boxes, scores, iou_threshold):
    """Wrong: keeps the overlapping boxes and drops the others."""
    order, keep = np.argsort(-scores), []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(int(best))
        order = rest[pairwise_iou(boxes[[best]], boxes[rest])[0] > iou_threshold]
    return keep


def test_nms_solution_and_a_mask_pass(capsys):
    checks.check_nms(nms)
    checks.check_nms(nms_with_a_suppressed_mask)
    assert "✘" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (nms_unsorted, "Visit the boxes by decreasing score"),
        (nms_threshold_reversed, "Only boxes overlapping a kept box by MORE than the threshold are duplicates"),
    ],
)
def test_nms_mistakes_fail_with_their_hint(wrong, hint, capsys):
    with pytest.raises(LabCheckFailed):
        checks.check_nms(wrong)
    assert hint in capsys.readouterr().out


# --- Step 4: post-processing -----------------------------------------------------------------------------------

STRIDE, SIZES, IMAGE_SIZE = 8, (12.0, 17.0, 24.0), 64
_centres = np.arange(STRIDE / 2, IMAGE_SIZE, STRIDE)
_cy, _cx, _size = (grid.ravel() for grid in np.meshgrid(_centres, _centres, SIZES, indexing="ij"))
ANCHORS = np.stack([_cx - _size / 2, _cy - _size / 2, _cx + _size / 2, _cy + _size / 2], axis=1).astype("float32")


def make_postprocess(class_aware=True, shift_labels=False, use_logits=False):
    def postprocess(prediction):
        boxes = np.clip(decode_boxes(ANCHORS, prediction[:, :4]), 0, IMAGE_SIZE)
        scores = prediction[:, 4:] if use_logits else tf.nn.softmax(prediction[:, 4:]).numpy()
        found = []
        if not class_aware:  # one NMS over each anchor's best shape
            best_class = scores[:, 1:].argmax(axis=1)
            best_score = scores[:, 1:].max(axis=1)
            candidates = np.flatnonzero(best_score >= 0.05)
            kept = candidates[nms(boxes[candidates], best_score[candidates], 0.45)]
            return boxes[kept], best_score[kept], best_class[kept]
        for label in range(3):
            class_scores = scores[:, label + 1]
            candidates = np.flatnonzero(class_scores >= 0.05)
            kept = candidates[nms(boxes[candidates], class_scores[candidates], 0.45)]
            found.append((boxes[kept], class_scores[kept], np.full(len(kept), label + shift_labels)))
        return tuple(np.concatenate(parts) for parts in zip(*found))

    return postprocess


def tensorflow_postprocess(prediction):
    """Another correct answer: TensorFlow's batched, per-class NMS."""
    boxes = np.clip(decode_boxes(ANCHORS, prediction[:, :4]), 0, IMAGE_SIZE)[:, [1, 0, 3, 2]]
    probabilities = tf.nn.softmax(prediction[:, 4:])[:, 1:]
    result = tf.image.combined_non_max_suppression(
        boxes[None, :, None, :].astype("float32"),
        probabilities[None],
        max_output_size_per_class=20,
        max_total_size=60,
        iou_threshold=0.45,
        score_threshold=0.05,
        clip_boxes=False,
    )
    count = int(result.valid_detections[0])
    return (
        result.nmsed_boxes[0, :count].numpy()[:, [1, 0, 3, 2]],
        result.nmsed_scores[0, :count].numpy(),
        result.nmsed_classes[0, :count].numpy().astype(int),
    )


def test_postprocess_solution_and_tensorflow_pass(capsys):
    checks.check_postprocess(make_postprocess(), ANCHORS, encode_boxes)
    checks.check_postprocess(tensorflow_postprocess, ANCHORS, encode_boxes)
    assert "✘" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (make_postprocess(class_aware=False), "Suppress duplicates within each class only"),
        (make_postprocess(shift_labels=True), "Column 0 of the class scores is background"),
        (make_postprocess(use_logits=True), "Turn the class logits into probabilities with a softmax"),
    ],
)
def test_postprocess_mistakes_fail_with_their_hint(wrong, hint, capsys):
    with pytest.raises(LabCheckFailed):
        checks.check_postprocess(wrong, ANCHORS, encode_boxes)
    assert hint in capsys.readouterr().out


# --- Step 5: the mAP bar -------------------------------------------------------------------------------------

_, TRUE_BOXES, TRUE_LABELS = make_shapes_dataset(20, seed=3)


def test_detector_passes_with_good_detections_even_with_weak_extras(capsys):
    perfect = [(boxes, np.ones(len(boxes)), labels) for boxes, labels in zip(TRUE_BOXES, TRUE_LABELS)]
    with_extras = [
        (
            np.concatenate([boxes, boxes + 7]),
            np.concatenate([np.ones(len(boxes)), np.full(len(boxes), 0.1)]),
            np.concatenate([labels, labels]),
        )
        for boxes, _, labels in perfect
    ]
    assert checks.check_detector(perfect, TRUE_BOXES, TRUE_LABELS, bar=0.7)["mAP"] == pytest.approx(1.0)
    assert checks.check_detector(with_extras, TRUE_BOXES, TRUE_LABELS, bar=0.7)["mAP"] == pytest.approx(1.0)
    assert "✘" not in capsys.readouterr().out


@pytest.mark.parametrize("mistake", ["labels shifted", "xywh boxes"])
def test_detector_fails_below_the_bar(mistake, capsys):
    detections = []
    for boxes, labels in zip(TRUE_BOXES, TRUE_LABELS):
        if mistake == "labels shifted":
            labels = (labels + 1) % 3
        else:
            boxes = np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], axis=1)
        detections.append((boxes, np.ones(len(boxes)), labels))
    with pytest.raises(LabCheckFailed):
        checks.check_detector(detections, TRUE_BOXES, TRUE_LABELS, bar=0.7)
    assert "the boxes are off" in capsys.readouterr().out
