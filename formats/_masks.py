"""Masks and polygons for importers and record writers: COCO segmentations (polygons, uncompressed and
compressed RLE) to compressed RLE, and a mask to one polygon that follows the pixel edges.

Coordinates are continuous pixels (``formats.records``): pixel column j covers [j, j + 1). pycocotools
rasterizes polygons in that convention too (the square with corners (10, 10) and (20, 20) covers columns
and rows 10..19), so an edge-following polygon decodes back to exactly its mask (holes aside).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from pycocotools import mask as mask_utils


def compressed(rle: dict[str, Any]) -> dict[str, Any]:
    """A pycocotools RLE as a JSON-ready dict: size [h, w], counts str."""
    counts = rle["counts"]
    return {
        "size": [int(v) for v in rle["size"]],
        "counts": counts.decode("ascii") if isinstance(counts, bytes) else counts,
    }


def _binary(rle: dict[str, Any]) -> dict[str, Any]:
    counts = rle["counts"]
    return {"size": list(rle["size"]), "counts": counts.encode("ascii") if isinstance(counts, str) else counts}


def decode(rle: dict[str, Any]) -> np.ndarray:
    """bool (h, w) mask of a compressed RLE dict (counts str or bytes)."""
    return mask_utils.decode(_binary(rle)).astype(bool)


def encode(mask: np.ndarray) -> dict[str, Any]:
    """Compressed RLE dict (counts str) of a bool (h, w) mask."""
    return compressed(mask_utils.encode(np.asfortranarray(mask.astype(np.uint8))))


def area(rle: dict[str, Any]) -> int:
    """Pixel count of a compressed RLE dict."""
    return int(mask_utils.area(_binary(rle)))


def rle_from_polygons(polygons: list[list[float]], height: int, width: int) -> dict[str, Any]:
    """Compressed RLE of the union of polygons (each flat [x1, y1, x2, y2, ...], pixels, >= 3 points)."""
    return compressed(mask_utils.merge(mask_utils.frPyObjects([list(map(float, p)) for p in polygons], height, width)))


def counts_from_string(counts: str) -> np.ndarray:
    """int64 run lengths of a compressed RLE ``counts`` string, decoded as pycocotools' ``rleFrString``
    does, without trusting the string: ValueError (with the reason) for a character outside '0'..'o'
    (48..111), a run whose 5-bit groups never end (a continuation bit on the last character; pycocotools
    would read past the string) or that has more than 7 groups (more than 35 bits).

    Each run is 5-bit groups, least significant first, char - 48: bit 0x20 says another group follows,
    bit 0x10 of the last group is the sign; from the fourth run on the value is a delta to the run two
    before. The caller checks the runs (>= 0, summing to h * w): pycocotools trusts them.
    """
    if not isinstance(counts, str) or not counts.isascii():
        raise ValueError("not an ASCII string")
    if len(counts) > 1 << 28:  # int64 sums below cannot wrap
        raise ValueError(f"{len(counts)} characters is too long")
    c = np.frombuffer(counts.encode("ascii"), np.uint8).astype(np.int64) - 48
    if len(c) == 0:
        return np.zeros(0, np.int64)
    bad = np.flatnonzero((c < 0) | (c > 63))
    if len(bad):
        raise ValueError(f"character {counts[bad[0]]!r} at {int(bad[0])} is outside '0'..'o'")
    more = (c & 0x20) != 0
    if more[-1]:
        raise ValueError("the last run is cut off (continuation bit on the last character)")
    ends = np.flatnonzero(~more)
    starts = np.concatenate([[0], ends[:-1] + 1])
    lengths = ends - starts + 1
    if lengths.max() > 7:
        raise ValueError(f"a run of {int(lengths.max())} characters (at most 7)")
    k = np.arange(len(c)) - np.repeat(starts, lengths)
    values = np.add.reduceat((c & 0x1F) << (5 * k), starts)
    values -= np.where(c[ends] & 0x10, np.int64(1) << (5 * lengths), 0)
    runs = values.copy()
    runs[1::2] = np.cumsum(values[1::2])  # run i >= 3 is values[i] + run[i - 2]
    runs[2::2] = np.cumsum(values[2::2])
    return runs


def check_rle(counts: Any, size: Any) -> str | None:
    """Why an RLE's ``counts`` (compressed str, or uncompressed list of ints) is not a valid mask of
    ``size`` [h, w], or None when it is: every run >= 0 and the runs sum to h * w. pycocotools trusts
    both and reads past its buffers otherwise."""
    height, width = size
    if isinstance(counts, list):
        if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in counts):
            return "uncompressed RLE counts must be integers >= 0"
        total = sum(counts)
    else:
        try:
            runs = counts_from_string(counts)
        except ValueError as exc:
            return f"compressed RLE counts: {exc}"
        if len(runs) and runs.min() < 0:
            return f"compressed RLE counts: run {int(np.argmin(runs))} is negative ({int(runs.min())})"
        total = int(runs.sum())
    if total != height * width:
        return f"RLE counts sum to {total}, not {height} * {width} = {height * width}"
    return None


def rle_from_counts(counts: list[int], height: int, width: int) -> dict[str, Any]:
    """Compressed RLE of an uncompressed (column-major run lengths) RLE."""
    return compressed(mask_utils.frPyObjects({"size": [height, width], "counts": counts}, height, width))


def polygon_from_mask(mask: np.ndarray) -> np.ndarray:
    """(n, 2) float64 polygon (x, y in pixels) around a bool (h, w) mask, following pixel EDGES.

    Method: the mask's pixels become closed squares on a doubled lattice: in a (2h + 1, 2w + 1) grid the
    point (2i + 1, 2j + 1) is the centre of pixel (i, j), even coordinates are pixel corners and edge
    midpoints, and a pixel sets the 3x3 points of its closed square. cv2.findContours traces the centres of
    the grid's boundary points, which are exactly on the squares' edges; halving gives pixel-edge
    coordinates. So the polygon's bounds equal the mask's box ([x, x + w] by [y, y + h]) and pycocotools
    rasterizes it back to the mask, holes aside (outer contours only: YOLO has no holes).

    Several parts (8-connected components; pixels touching at a corner are one part) are joined into
    one polygon by zero-width bridges: each part is spliced in at its closest pair of vertices, going there
    and back along the same segment, the way ultralytics' merge_multi_segment joins COCO polygons. The
    bridges add no area. An empty mask gives a (0, 2) array.
    """
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if len(rows) == 0:
        return np.zeros((0, 2))
    y0, x0 = int(rows[0]), int(cols[0])
    crop = mask[y0 : rows[-1] + 1, x0 : cols[-1] + 1]  # work on the box only: the doubled grid is 4x larger
    h, w = crop.shape
    grid = np.zeros((2 * h + 1, 2 * w + 1), np.uint8)
    grid[1::2, 1::2] = crop
    grid = cv2.dilate(grid, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(grid, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    parts = [c.reshape(-1, 2).astype(np.float64) / 2.0 + (x0, y0) for c in contours]
    parts.sort(key=lambda p: (-len(p), p[0, 1], p[0, 0]))  # deterministic: biggest outline first
    return merge_parts(parts)


def merge_parts(parts: list[np.ndarray]) -> np.ndarray:
    """One (n, 2) polygon of several closed ones, each spliced into the growing polygon at the closest
    pair of vertices (poly[i] -> part[j] ... around the part ... part[j] -> poly[i]): zero-width bridges."""
    if not parts:
        return np.zeros((0, 2))
    poly = parts[0]
    for part in parts[1:]:
        dist = ((poly[:, None, :] - part[None, :, :]) ** 2).sum(-1)
        i, j = np.unravel_index(int(np.argmin(dist)), dist.shape)
        around = np.concatenate([np.roll(part, -j, axis=0), part[j : j + 1]])  # part from j back to j
        poly = np.concatenate([poly[: i + 1], around, poly[i:]])
    return poly


def box_polygon(bbox: tuple[float, float, float, float]) -> np.ndarray:
    """(4, 2) polygon of an [x, y, w, h] box (its corners, clockwise in image coordinates)."""
    x, y, w, h = bbox
    return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float64)
