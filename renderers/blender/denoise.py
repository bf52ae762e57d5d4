"""Cycles' denoiser settings (no bpy import: they act on the ``bpy`` scene's cycles settings handed in)."""

from __future__ import annotations

from typing import Any


def set_denoising(cycles: Any, on: bool, device: str = "CPU") -> None:
    """Turn Cycles' denoiser on or off for the next render. On: OpenImageDenoise (it ships in the bpy wheel,
    ``libOpenImageDenoise`` 2.3), guided by the albedo and normal of the first hit, at OIDN's high quality.
    Prefilter "FAST" (the guides as they are): "ACCURATE" (the guides denoised first) left the road patch's
    noise as it was (1.48 display levels with it, 1.49 without; benchmarks/bench_blender_noise.py, 640x480)
    and cost more CPU per 16-sample street frame (320x240: 1.34x the undenoised frame's, against 1.07x for
    "FAST"; bpy 5.0.1). Cycles
    denoises the Combined pass only: depth, object index and normals are written as they are (checked by the
    tests), so labels are never denoised."""
    cycles.use_denoising = on
    if on:
        cycles.denoiser = "OPENIMAGEDENOISE"
        cycles.denoising_input_passes = "RGB_ALBEDO_NORMAL"
        cycles.denoising_prefilter = "FAST"
        cycles.denoising_quality = "HIGH"
        cycles.denoising_use_gpu = device == "GPU"
