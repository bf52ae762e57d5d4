"""Environment maps (HDRIs) that ship in the bpy wheel, for both camera backends (numpy and OpenEXR; no bpy).

Blender 5.0's bundled world studio lights, ``bpy/5.0/datafiles/studiolights/world/NAME.exr``, are 1024x512
equirectangular RGB float images licensed CC0 (their ``license.txt``: "All HDRIs are licensed as CC0",
created by Greg Zaal, Poly Haven; originals e.g. https://polyhaven.com/a/portland_landing_pad for "city").
Found from the installed package's location without importing bpy.

Mapping: Blender's (Cycles' ``direction_to_equirectangular``) for a world direction d (z up):
u = -atan2(d_y, d_x) / (2 pi) + 0.5, v = atan2(d_z, hypot(d_x, d_y)) / pi + 0.5, v = 1 at the image's top row.
The renderers' radiance is the map's value times ``HDRI_STRENGTH``.
"""

from __future__ import annotations

import functools
import importlib.util
import math
from pathlib import Path

import numpy as np

from scenes.model import HDRI_NAMES

HDRI_STRENGTH = 0.25  # map value -> renderer radiance: the brightest map (city, its sun included) gives ambient 0.53


def hdri_dir() -> Path:
    """The folder of the bundled world HDRIs in the installed bpy package (FileNotFoundError without it)."""
    spec = importlib.util.find_spec("bpy")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the bpy package is not installed: its bundled HDRIs are not available")
    folder = Path(spec.origin).parent / "5.0" / "datafiles" / "studiolights" / "world"
    if not folder.is_dir():
        raise FileNotFoundError(f"no bundled HDRIs in {folder}")
    return folder


def hdri_path(name: str) -> Path:
    """Path of the bundled HDRI ``name`` (one of HDRI_NAMES)."""
    if name not in HDRI_NAMES:
        raise ValueError(f"unknown HDRI {name!r}; known: {', '.join(HDRI_NAMES)}")
    return hdri_dir() / f"{name}.exr"


@functools.lru_cache(maxsize=4)
def load_hdri(name: str) -> np.ndarray:
    """(H, W, 3) float32 linear RGB of the HDRI ``name``, rows from the top (read once per process)."""
    import OpenEXR

    with OpenEXR.File(str(hdri_path(name))) as exr:
        channels = exr.parts[0].channels
        if "RGB" in channels:
            image = np.array(channels["RGB"].pixels, dtype=np.float32)
        else:
            image = np.stack([np.array(channels[c].pixels, dtype=np.float32) for c in "RGB"], axis=-1)
    image = np.maximum(image, 0.0)  # the maps' lossy (DWA) compression leaves a few texels slightly below 0
    image.setflags(write=False)
    return image


def hdri_radiance(name: str, directions: np.ndarray) -> np.ndarray:
    """(..., 3) linear radiance (times HDRI_STRENGTH) of the HDRI ``name`` seen along unit world
    ``directions`` (..., 3), nearest texel, Blender's equirectangular mapping (module docstring)."""
    image = load_hdri(name)
    height, width = image.shape[:2]
    d = np.asarray(directions, dtype=np.float64)
    u = -np.arctan2(d[..., 1], d[..., 0]) / (2.0 * math.pi) + 0.5
    v = np.arctan2(d[..., 2], np.hypot(d[..., 0], d[..., 1])) / math.pi + 0.5
    column = np.clip((u * width).astype(np.int64), 0, width - 1)
    row = np.clip(((1.0 - v) * height).astype(np.int64), 0, height - 1)
    return image[row, column].astype(np.float64) * HDRI_STRENGTH


@functools.lru_cache(maxsize=16)
def hdri_ambient(name: str) -> tuple[float, float, float]:
    """The uniform radiance that gives an upward-facing Lambertian surface the irradiance the HDRI gives it:
    E / pi, E = integral over the upper hemisphere of L cos(theta), over the map's texels (each weighted by
    its solid angle), times HDRI_STRENGTH. pyrender's ambient term under the HDRI."""
    image = load_hdri(name).astype(np.float64)
    height, width = image.shape[:2]
    elevation = (0.5 - (np.arange(height) + 0.5) / height) * math.pi  # row centres, +pi/2 at the top
    solid_angle = np.cos(elevation) * (math.pi / height) * (2.0 * math.pi / width)  # per texel
    weight = np.where(elevation > 0, np.sin(elevation), 0.0) * solid_angle  # cos(theta) = sin(elevation)
    irradiance = np.einsum("h,hwc->c", weight, image)
    return tuple(float(c) for c in irradiance / math.pi * HDRI_STRENGTH)
