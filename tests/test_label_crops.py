"""The crop-based masks and boxes of labels.annotate equal the full-image computation (encode_rle of
``instance == iid``, mask_box) byte for byte: random maps, ids touching every border, 1-pixel ids, a
full-image id and an empty map."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from labels.annotate import crop_box, crop_mask_rle, encode_rle
from labels.geometry import mask_box


def _maps() -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    blocky = np.zeros((48, 64), dtype=np.uint16)
    for iid in range(1, 9):
        r, c = rng.integers(0, 48), rng.integers(0, 64)
        blocky[r : r + rng.integers(1, 30), c : c + rng.integers(1, 40)] = iid
    borders = np.zeros((20, 30), dtype=np.uint16)
    borders[0, :] = 1  # top row
    borders[:, -1] = 2  # right column
    borders[-1, 3:7] = 3  # bottom row
    borders[5:9, 0] = 4  # left column
    borders[10, 10] = 5  # one pixel
    return [
        rng.integers(0, 6, size=(37, 53)).astype(np.uint16),  # noise: every id scattered everywhere
        blocky,
        borders,
        np.full((9, 11), 7, dtype=np.uint16),  # one id fills the image
    ]


@pytest.mark.parametrize("instance", _maps())
def test_crop_rle_and_box_equal_full_image(instance: np.ndarray) -> None:
    boxes = ndimage.find_objects(instance)
    ids = [int(i) for i in np.unique(instance) if i]
    assert ids
    for iid in ids:
        rows, cols = boxes[iid - 1]
        full = instance == iid
        assert crop_box(rows, cols) == mask_box(full)
        assert crop_mask_rle(instance, iid, rows, cols) == encode_rle(full)


def test_absent_ids_have_no_box() -> None:
    instance = np.zeros((5, 5), dtype=np.uint16)
    instance[2, 2] = 3
    boxes = ndimage.find_objects(instance)
    assert boxes[0] is None and boxes[1] is None  # ids 1 and 2 are absent: annotate never reads their box
    assert crop_box(*boxes[2]) == [2, 2, 1, 1]
