"""A person walking past a parked car, rendered by pyrender frame after frame: its lower keypoints go from
visible (2) to hidden by the car (1, the car's id as occluder) and back, its head stays visible over the
roof, and its feet alternate along the walk in the labels' own 3D keypoints."""

from __future__ import annotations

import numpy as np
import pytest
from _people import box, camera, person, scene

from labels import annotate
from renderers.base import Pass
from scenes.skeleton import COCO_KEYPOINTS

pytestmark = [pytest.mark.gl, pytest.mark.filterwarnings("ignore:tostring:DeprecationWarning")]

CAR_ID, PERSON_ID = 9, 1
SPEED = 10.0 / 6.0  # m/s: from y = +5 m to y = -5 m in 6 s behind the car at x = 11 m (+y: the camera's left)


def _walk_past():
    walker = person(PERSON_ID, (11.0, 5.0), -np.pi / 2, speed=SPEED)
    # the walk lasts 2 s in _people.person; stretch it over 6 s so it crosses the whole view
    start, end = walker.trajectory.poses
    end = end.copy()
    end[:3, 3] = start[:3, 3] + 3.0 * (end[:3, 3] - start[:3, 3])
    walker.trajectory.times, walker.trajectory.poses = [0.0, 6.0], [start, end]
    car = box(CAR_ID, (8.0, 0.0, 0.7), (1.8, 4.4, 1.4))  # a car-sized box parked across the view
    return scene([walker, car], eye=(0.0, 0.0, 1.3), target=(10.0, 0.0, 1.0), cam=camera(320, 240), num_frames=60)


def test_keypoints_go_hidden_behind_a_parked_car_and_visible_again_and_the_feet_alternate():
    from renderers.pyrender import create_backend

    s = _walk_past()
    cam = s.rig.cameras[0]
    knee, nose = COCO_KEYPOINTS.index("left_knee"), COCO_KEYPOINTS.index("nose")
    knee_flags, occluders, nose_flags, ankles = [], [], [], []
    with create_backend(frozenset({Pass.DEPTH, Pass.INSTANCE, Pass.AMODAL})) as gl:
        for frame in range(0, s.num_frames, 2):
            result = gl.render(s, s.frame_time(frame), cam.name)
            [record] = [
                o
                for o in annotate(s, frame, cam, result.instance, result.amodal, result.depth)["objects"][cam.name]
                if o["instance_id"] == PERSON_ID
            ]
            flags = [k[2] for k in record["keypoints"]]
            knee_flags.append(flags[knee])
            occluders.append(record["keypoint_occluders"][knee])
            nose_flags.append(flags[nose])
            world = np.asarray(record["keypoints_world"])
            # along the walk (-y): positive when the left ankle is ahead of the right one
            ankles.append(world[COCO_KEYPOINTS.index("right_ankle"), 1] - world[COCO_KEYPOINTS.index("left_ankle"), 1])
            # every keypoint flagged visible lies on the person's own pixels
            for u, v, flag in record["keypoints"]:
                if flag == 2:
                    assert result.instance[int(np.floor(v + 0.5)), int(np.floor(u + 0.5))] == PERSON_ID
    hidden = [k for k, f in enumerate(knee_flags) if f == 1]
    assert hidden, knee_flags
    assert 2 in knee_flags[: hidden[0]] and 2 in knee_flags[hidden[-1] + 1 :], knee_flags  # 2 -> 1 -> 2
    # hidden by the car, or in some frames by the other leg swinging in front of it
    assert {occluders[k] for k in hidden} <= {CAR_ID, PERSON_ID} and CAR_ID in {occluders[k] for k in hidden}
    assert any(nose_flags[k] == 2 for k in hidden)  # the head shows over the roof meanwhile
    # the feet alternate: the left and right ankles change lead several times over a 6 s walk
    signs = np.sign([a for a in ankles if abs(a) > 0.05])
    assert int(np.count_nonzero(np.diff(signs))) >= 6
