"""Blender's camera for an OpenCV one (numpy only, no bpy): the film width its lens is scaled to and the
sensor shift that puts the principal point where K has it, so a Blender render has our intrinsics
exactly (DESIGN.md: pixel (row i, column j) centred at (u, v) = (j, i)).
"""

from __future__ import annotations

# The 36 mm film of Blender's default camera; any width works, the lens is scaled to match fx.
SENSOR_WIDTH_MM = 36.0


def shift_from_principal_point(cx: float, cy: float, width: int, height: int) -> tuple[float, float]:
    """Blender camera ``(shift_x, shift_y)`` (sensor_fit "HORIZONTAL": units of the image width) that
    puts the principal point at OpenCV pixel coordinates ``(cx, cy)``.

    With no shift Blender's optical axis crosses the image centre, which in OpenCV pixel coordinates
    (pixel (i, j) centred at (u, v) = (j, i)) is ((width - 1) / 2, (height - 1) / 2). A positive
    shift_x moves the view right (the principal point left); a positive shift_y moves it up (the
    principal point down, to larger v).
    """
    return ((width - 1) / 2.0 - cx) / width, (cy - (height - 1) / 2.0) / width
