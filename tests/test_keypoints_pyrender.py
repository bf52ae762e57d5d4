"""People's keypoint flags from pyrender's passes agree with those from an exact ray cast of the same posed
parts (tests/_pixel_cast.py): the labels read only buffers, so a backend that draws the articulated body
where ``assets.articulated`` poses it gets the same flags up to its rasterization at silhouettes. Needs
pyrender drawing people as their parts (branch h15-render)."""

from __future__ import annotations

import numpy as np
import pytest
from _people import generated_streets, street_of_people
from _pixel_cast import PixelCastBackend

from labels import annotate
from renderers.base import Pass

pytestmark = [pytest.mark.gl, pytest.mark.filterwarnings("ignore:tostring:DeprecationWarning")]


def test_pyrender_and_a_ray_cast_flag_the_same_keypoints():
    from renderers.pyrender import create_backend

    scenes = generated_streets(2, seed=3) + [street_of_people(np.random.default_rng(2), i) for i in range(2)]
    same = total = 0
    with create_backend(frozenset({Pass.DEPTH, Pass.INSTANCE, Pass.AMODAL})) as gl:
        for s in scenes:
            cam = s.rig.cameras[0]
            a, b = gl.render(s, 0.0, cam.name), PixelCastBackend().render(s, 0.0, cam.name)
            ours = annotate(s, 0, cam, a.instance, a.amodal, a.depth)["objects"][cam.name]
            exact = annotate(s, 0, cam, b.instance, b.amodal, b.depth)["objects"][cam.name]
            for x, y in zip(ours, exact, strict=True):
                if "keypoints" in y and y["visible"]:
                    fx, fy = (np.array([k[2] for k in r["keypoints"]]) for r in (x, y))
                    assert ((fx == 0) == (fy == 0)).all()  # outside the image: geometry alone
                    same, total = same + int((fx == fy)[fy > 0].sum()), total + int((fy > 0).sum())
    assert total > 300 and same / total >= 0.99, (same, total)
