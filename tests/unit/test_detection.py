"""Box helpers of the object-detection notebook."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from includes.lessons.object_detection import helpers as detection  # noqa: E402


def test_box_formats():
    np.testing.assert_array_equal(detection.xywh_to_xyxy([10, 20, 30, 40]), [10, 20, 40, 60])
    np.testing.assert_array_equal(detection.xywh_to_xyxy([[0, 0, 1, 2], [5, 5, 5, 5]]), [[0, 0, 1, 2], [5, 5, 10, 10]])
    np.testing.assert_array_equal(detection.xyxy_to_yxyx([[1, 2, 3, 4]]), [[2, 1, 4, 3]])


def test_draw_boxes():
    fig, ax = plt.subplots()
    rectangles = detection.draw_boxes(ax, [[0, 0, 10, 20], [5, 5, 8, 9]], labels=["a", None])
    assert len(rectangles) == 2 and len(ax.patches) == 2 and len(ax.texts) == 1
    assert rectangles[0].get_width() == 10 and rectangles[0].get_height() == 20
    plt.close(fig)


def test_shapes_dataset_is_deterministic_and_its_boxes_fit():
    images, boxes, labels = detection.make_shapes_dataset(30, seed=5)
    again, boxes_again, _ = detection.make_shapes_dataset(30, seed=5)
    np.testing.assert_array_equal(images, again)
    assert all(np.array_equal(a, b) for a, b in zip(boxes, boxes_again))
    assert images.shape == (30, 64, 64, 3) and 0 <= images.min() and images.max() <= 1
    every_box = np.concatenate(boxes)
    assert (every_box[:, :2] >= 0).all() and (every_box[:, 2:] <= 64).all()
    sides = every_box[:, 2:] - every_box[:, :2]
    assert ((sides >= 10) & (sides <= 26)).all() and np.allclose(sides[:, 0], sides[:, 1])
    assert set(np.concatenate(labels).tolist()) == {0, 1, 2}
    assert all(1 <= len(b) <= 4 for b in boxes)


def test_our_map_agrees_with_cocoeval():
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    _, boxes, labels = detection.make_shapes_dataset(40, seed=8)
    rng = np.random.default_rng(0)
    detections = []
    for truth, truth_labels in zip(boxes, labels):  # jittered true boxes, some mislabeled, plus false alarms
        jittered = truth + rng.normal(0, 1.5, size=truth.shape)
        noise = rng.uniform(0, 40, size=(2, 2))
        false_alarms = np.concatenate([noise, noise + 15], axis=1)
        found = np.concatenate([jittered, false_alarms])
        found_labels = np.concatenate(
            [
                np.where(rng.uniform(size=len(truth)) < 0.2, (truth_labels + 1) % 3, truth_labels),
                rng.integers(0, 3, size=2),
            ]
        )
        detections.append((found, rng.uniform(size=len(found)), found_labels))
    ours = detection.mean_average_precision(detections, boxes, labels)
    ground_truth = COCO()
    ground_truth.dataset = detection.coco_ground_truth(boxes, labels, 64)
    ground_truth.createIndex()
    evaluation = COCOeval(ground_truth, ground_truth.loadRes(detection.coco_detections(detections)), "bbox")
    evaluation.evaluate()
    evaluation.accumulate()
    assert 0.2 < ours["mAP"] < 0.95
    evaluation.summarize()
    assert ours["mAP"] == pytest.approx(evaluation.stats[1], abs=1e-6)
