import math

import numpy as np

from scribblegap.core.metrics import ConfusionMatrix, gap_reduction


def test_hand_computed_example():
    target = np.array([[0, 0, 1], [1, 2, 255]])
    pred = np.array([[0, 1, 1], [1, 0, 2]])
    cm = ConfusionMatrix(3).update(pred, target)
    # class 0: tp 1, fp 1 (the 2 predicted as 0), fn 1 -> 1/3; class 1: tp 2, fp 1, fn 0 -> 2/3;
    # class 2: tp 0, fp 0 (the 255 pixel is skipped), fn 1 -> 0
    assert np.allclose(cm.iou(), [1 / 3, 2 / 3, 0])
    assert math.isclose(cm.miou(), (1 / 3 + 2 / 3 + 0) / 3)
    assert math.isclose(cm.miou([0, 1]), 0.5)
    assert math.isclose(cm.pixel_accuracy(), 3 / 5)


def test_accumulates_and_merges():
    a = ConfusionMatrix(2).update(np.array([0, 1]), np.array([0, 1]))
    b = ConfusionMatrix(2).update(np.array([1, 1]), np.array([0, 1]))
    whole = ConfusionMatrix(2).update(np.array([0, 1, 1, 1]), np.array([0, 1, 0, 1]))
    assert np.array_equal(a.merge(b).matrix, whole.matrix)


def test_abstaining_prediction_counts_as_a_miss():
    cm = ConfusionMatrix(2).update(np.array([255, 1, 0]), np.array([0, 1, 0]))
    assert np.allclose(cm.iou(), [0.5, 1.0]) and math.isclose(cm.pixel_accuracy(), 2 / 3)


def test_absent_class_is_nan_and_skipped_in_mean():
    cm = ConfusionMatrix(3).update(np.array([0, 1]), np.array([0, 1]))
    assert math.isnan(cm.iou()[2]) and cm.miou() == 1.0


def test_gap_reduction():
    assert math.isclose(gap_reduction(0.664, 0.60, 0.70), 0.64)
    assert math.isnan(gap_reduction(0.5, 0.6, 0.6))
