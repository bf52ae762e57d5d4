"""The light gallery of the README: docs/light_sky.jpg (the default street's first frame, procedural sky, Blender
Cycles at 16 samples with OpenImageDenoise beside pyrender with the Preetham sky and sun shadows) and
docs/light_shadows_pyrender.jpg (pyrender, sun shadows on the road: low buildings, a sun 35 degrees up behind
the camera's right).

    .venv/bin/python scripts/light_gallery.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from generator.config import compose_config
from generator.world.sampling import sample_scene
from renderers.base import Pass
from renderers.blender import create_backend as blender_backend
from renderers.pyrender import create_backend as pyrender_backend

DOCS = Path(__file__).resolve().parent.parent / "docs"
RGB = frozenset({Pass.RGB})


def main() -> None:
    scene = sample_scene(
        compose_config(["camera.width=320", "camera.height=240", "scene.lighting.sky={color: 0, sky: 1}"]), 0
    )
    with blender_backend(RGB, samples=16) as blender:
        left = blender.render(scene, 0.0).rgb
    with pyrender_backend(RGB, shadows=True) as gl:
        right = gl.render(scene, 0.0).rgb
        shadows = sample_scene(
            compose_config(
                [
                    "camera.width=640",
                    "camera.height=480",
                    "scene.lighting.sun_elevation_deg=35",
                    "scene.lighting.sun_azimuth_deg=250",
                    "scene.building_height_m=4",
                    "scene.lighting.sky={color: 0, sky: 1}",
                ]
            ),
            1,
        )
        shadow_frame = gl.render(shadows, 0.0).rgb
    Image.fromarray(np.concatenate([left, right], axis=1)).save(DOCS / "light_sky.jpg", quality=88)
    Image.fromarray(shadow_frame).save(DOCS / "light_shadows_pyrender.jpg", quality=88)


if __name__ == "__main__":
    main()
