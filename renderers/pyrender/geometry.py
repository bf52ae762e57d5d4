"""Numpy-only helpers of the pyrender backend: GL camera conventions and label colour codes (culling and
light poses, which Blender shares, are in ``scenes.camera_geometry`` and ``scenes.transforms``).

Nothing here imports pyrender or OpenGL, so these conventions can be tested and reused without a GL
context. Frames: OpenCV camera frame (x right, y down, z forward); poses are 4x4 ``a_from_b``.
"""

from __future__ import annotations

import numpy as np

# One batched amodal pass encodes one object per bit of the 24-bit RGB colour buffer.
AMODAL_BITS_PER_PASS = 24


def gl_intrinsics(K: np.ndarray) -> tuple[float, float, float, float]:
    """``(fx, fy, cx, cy)`` to hand to ``pyrender.IntrinsicsCamera`` for an OpenCV ``K`` (3x3, pixels).

    pyrender's projection maps a camera-frame point to window coordinates x_w = fx * x / z + cx
    (and, after its vertical flip of the read-back image, row coordinate fy * y / z + cy), and GL
    samples pixel (row i, column j) at window coordinates (j + 0.5, i + 0.5). Our K puts that pixel's
    centre at (u, v) = (j, i) (DESIGN.md), so the principal point moves by half a pixel.
    """
    return float(K[0, 0]), float(K[1, 1]), float(K[0, 2]) + 0.5, float(K[1, 2]) + 0.5


def instance_color(instance_id: int) -> tuple[int, int, int]:
    """Colour (R, G, B bytes) that encodes a uint16 instance id exactly in a segmentation pass."""
    if not 0 <= instance_id <= 0xFFFF:
        raise ValueError(f"instance id {instance_id} does not fit in uint16")
    return instance_id & 0xFF, instance_id >> 8, 0


def decode_instance(color: np.ndarray) -> np.ndarray:
    """Inverse of :func:`instance_color` for an image: (H, W, 3) uint8 -> (H, W) uint16 ids."""
    return color[..., 0].astype(np.uint16) | (color[..., 1].astype(np.uint16) << 8)


def bit_color(bit: int) -> tuple[int, int, int]:
    """Colour (R, G, B bytes) with only bit ``bit`` (0..23) of the 24-bit RGB value set."""
    if not 0 <= bit < AMODAL_BITS_PER_PASS:
        raise ValueError(f"bit {bit} outside 0..{AMODAL_BITS_PER_PASS - 1}")
    color = [0, 0, 0]
    color[bit // 8] = 1 << (bit % 8)
    return color[0], color[1], color[2]


def decode_bits(color: np.ndarray, count: int) -> list[np.ndarray]:
    """Split an OR-ed bit image (H, W, 3) uint8 into ``count`` bool (H, W) masks, mask k = bit k."""
    packed = color[..., 0].astype(np.uint32) | (color[..., 1].astype(np.uint32) << 8)
    packed |= color[..., 2].astype(np.uint32) << 16
    return [(packed >> np.uint32(k)) & np.uint32(1) == 1 for k in range(count)]
