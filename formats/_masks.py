"""Masks and polygons for importers and record writers: COCO segmentations (polygons, uncompressed and
compressed RLE) to compressed RLE, and a mask to one polygon: along the pixel edges (pycocotools reads it
back as the mask) or just inside them (ultralytics does; the YOLO segmentation export).

Coordinates are continuous pixels (``formats.records``): pixel column j covers [j, j + 1). pycocotools
rasterizes polygons in that convention too (the square with corners (10, 10) and (20, 20) covers columns
and rows 10..19), so an edge-following polygon decodes back to exactly its mask (holes aside).
"""

from __future__ import annotations

import math
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


# How far polygon_from_mask(..., inset_px=INSET_PX) moves an outline inside its pixels, in pixels: the
# polygon ultralytics reads. int32 truncation (its polygon2mask) of a vertex x in [j + INSET_PX, j + 1 -
# INSET_PX] gives j whatever the rounding of the normalized text (yolo_decimals keeps it below INSET_PX / 8)
# and of ultralytics' float32 parsing (below INSET_PX / 8 for images up to 30k pixels), and its box from
# the polygon's extremes (segments2boxes) is the mask's box less INSET_PX on every side. A power of two:
# the offsets are exact in binary.
INSET_PX = 1.0 / 32.0
# The second vertex of a pinch (two pixels touching at a corner) is set off by INSET_PX times this ratio.
# Any path between the two pixels crosses the pinch point, which truncates to a pixel outside the mask;
# with an irrational ratio ultralytics' resampled points (linspace fractions) do not land on it exactly,
# though float32 rounding can still put one there (a pixel too many, rarely: a few pinches in a thousand).
_PINCH_RATIO = (1.0 + 5.0**0.5) / 2.0


def polygon_from_mask(mask: np.ndarray, inset_px: float = 0.0) -> np.ndarray:
    """(n, 2) float64 polygon (x, y in pixels, continuous: column j covers [j, j + 1)) around a bool (h, w)
    mask: its pixel-edge outline, moved ``inset_px`` inside the mask's pixels.

    ``inset_px=0``: the polygon follows pixel EDGES, so its bounds equal the mask's box ([x, x + w] by
    [y, y + h]) and pycocotools, which samples pixel centres, rasterizes it back to the mask.

    ``inset_px=INSET_PX`` (the YOLO segmentation export): every vertex lies inside a boundary pixel of
    the mask, INSET_PX from its edges. Ultralytics rasterizes a polygon with int32 truncation and
    ``cv2.fillPoly`` (``polygon2mask``; boundary included), which turns each vertex into the index of its
    pixel: that is the polygon through the boundary pixel centres (in fillPoly's integer convention) that
    ultralytics' own mask-to-polygon conversion traces, so its mask is ours. Pixel-centre samplers
    (pycocotools) still see the mask, and the polygon's extremes, from which ultralytics derives the
    segment's box, are the mask's box within INSET_PX on every side.

    Outlines: the mask's pixels become closed squares on a doubled lattice, cv2.findContours traces the
    outer boundary of each 8-connected part (pixels touching at a corner are one part), and the tracer's
    diagonal cuts of concave corners are put back, so an outline is rectilinear, its vertices the pixel
    corners where it turns (holes are filled: YOLO has no holes). Several parts are joined into one
    polygon by zero-width bridges at their closest vertices, as ultralytics' merge_multi_segment joins
    COCO polygons (pycocotools adds no pixel for them; ultralytics' fillPoly draws each as a line). An empty
    mask gives a (0, 2) array.
    """
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if len(rows) == 0:
        return np.zeros((0, 2))
    y0, x0 = int(rows[0]), int(cols[0])
    crop = mask[y0 : rows[-1] + 1, x0 : cols[-1] + 1]  # work on the box only: the doubled grid is 4x larger
    parts = [outline + (x0, y0) for outline in _outlines(crop)]
    if inset_px > 0:
        parts = [_inset(outline, mask, inset_px) for outline in parts]
    parts.sort(key=lambda p: (-len(p), p[0, 1], p[0, 0]))  # deterministic: biggest outline first
    return merge_parts(parts)


def _outlines(mask: np.ndarray) -> list[np.ndarray]:
    """The rectilinear outer outline of each 8-connected part of a bool mask: (n, 2) float64 pixel-corner
    coordinates (x, y) where the outline turns, in the tracer's order."""
    h, w = mask.shape
    # point (2i + 1, 2j + 1) is the centre of pixel (i, j); even coordinates are pixel corners and edge
    # midpoints; a pixel sets the 3x3 points of its closed square
    grid = np.zeros((2 * h + 1, 2 * w + 1), np.uint8)
    grid[1::2, 1::2] = mask
    grid = cv2.dilate(grid, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(grid, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    outlines = []
    for contour in contours:
        p = contour.reshape(-1, 2).astype(np.int64)
        q = np.roll(p, -1, axis=0)
        # The tracer steps diagonally across a concave corner (the corner point has no background
        # 4-neighbour): from an (even, odd) point to an (odd, even) one. Put the corner, the (even, even)
        # candidate of the two, back between them.
        diagonal = (p[:, 0] != q[:, 0]) & (p[:, 1] != q[:, 1])
        corner = np.stack(
            [np.where(p[:, 0] % 2 == 0, p[:, 0], q[:, 0]), np.where(p[:, 1] % 2 == 0, p[:, 1], q[:, 1])], 1
        )
        points = np.insert(p, np.flatnonzero(diagonal) + 1, corner[diagonal], axis=0)
        before, after = points - np.roll(points, 1, axis=0), np.roll(points, -1, axis=0) - points
        turns = before[:, 0] * after[:, 1] - before[:, 1] * after[:, 0] != 0
        outlines.append(points[turns].astype(np.float64) / 2.0)
    return outlines


def _inset(outline: np.ndarray, mask: np.ndarray, inset_px: float) -> np.ndarray:
    """A rectilinear outline (pixel corners, see _outlines) with every vertex moved ``inset_px`` into the
    mask pixel at its corner: the crossing of its two edges, each moved ``inset_px`` inward.

    At a pinch (the outline passes a corner between two diagonal pixels, twice) that crossing lies in an
    empty pixel; the vertex becomes two instead, the inset corners of the pixel the outline comes from and
    of the pixel it goes to.
    """
    step = np.roll(outline, -1, axis=0) - outline
    d_out = step / np.abs(step).sum(1, keepdims=True)  # unit: the edges are axis-aligned
    d_in = np.roll(d_out, 1, axis=0)
    x, y = outline[:, 0], outline[:, 1]
    orientation = np.sign(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))  # the mask is left of +area edges
    n_out = orientation * np.stack([-d_out[:, 1], d_out[:, 0]], 1)  # inward normals
    n_in = np.roll(n_out, 1, axis=0)
    inset = outline + inset_px * (n_in + n_out)
    col, row = np.floor(inset).astype(np.int64).T
    inside = (col >= 0) & (col < mask.shape[1]) & (row >= 0) & (row < mask.shape[0])
    inside[inside] = mask[row[inside], col[inside]]
    pinch = np.flatnonzero(~inside)
    inset[pinch] = outline[pinch] + inset_px * (n_in[pinch] - d_in[pinch])
    after_pinch = outline[pinch] + inset_px * _PINCH_RATIO * (n_out[pinch] + d_out[pinch])
    return np.insert(inset, pinch + 1, after_pinch, axis=0)


def yolo_decimals(width: int, height: int) -> int:
    """Decimals of normalized YOLO polygon coordinates for an image of ``width`` x ``height`` pixels: 6 (as
    ultralytics writes) or more, so the rounding stays below INSET_PX / 8 pixels."""
    return max(6, math.ceil(math.log10(4.0 * max(width, height) / INSET_PX)))


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


def box_polygon(bbox: tuple[float, float, float, float], inset_px: float = 0.0) -> np.ndarray:
    """(4, 2) polygon of an [x, y, w, h] box (its corners, clockwise in image coordinates), moved
    ``inset_px`` inside it (at most to its middle), as :func:`polygon_from_mask` moves outlines."""
    x, y, w, h = bbox
    dx, dy = min(inset_px, w / 2), min(inset_px, h / 2)
    x0, y0, x1, y1 = x + dx, y + dy, x + w - dx, y + h - dy
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)
