"""Box helpers of the object-detection notebook."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from includes.lessons.object_detection import helpers as detection  # noqa: E402


def test_box_formats():
    np.testing.assert_array_equal(detection.xywh_to_xyxy([10, 20, 30, 40]), [10, 20, 40, 60])
    np.testing.assert_array_equal(detection.xywh_to_xyxy([[0, 0, 1, 2], [5, 5, 5, 5]]),
                                  [[0, 0, 1, 2], [5, 5, 10, 10]])
    np.testing.assert_array_equal(detection.xyxy_to_yxyx([[1, 2, 3, 4]]), [[2, 1, 4, 3]])


def test_draw_boxes():
    fig, ax = plt.subplots()
    rectangles = detection.draw_boxes(ax, [[0, 0, 10, 20], [5, 5, 8, 9]], labels=["a", None])
    assert len(rectangles) == 2 and len(ax.patches) == 2 and len(ax.texts) == 1
    assert rectangles[0].get_width() == 10 and rectangles[0].get_height() == 20
    plt.close(fig)


def test_keras_hub_cell_never_downloads_in_tests(monkeypatch):
    monkeypatch.setenv("COURSE_TEST_RUN", "1")
    reason = detection.keras_hub_skip_reason()
    assert reason and reason.startswith("Skipped:")
    monkeypatch.setattr(detection.importlib.util, "find_spec", lambda name: None)
    assert "not installed" in detection.keras_hub_skip_reason()
