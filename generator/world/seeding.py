"""Random generators derived by key, never by call order (DESIGN.md, Randomness).

Scene i's streams depend only on (root_seed, i, stream), so a scene is the same whatever the number of
workers, the shard, the order or a resume.
"""

from __future__ import annotations

import numpy as np

# Named streams; the integer is the spawn key's second element. Append only: never renumber.
STREAMS: dict[str, int] = {
    "layout": 0,  # counts, categories, positions, yaws
    "assets": 1,  # asset choice and shape parameters
    "materials": 2,
    "lighting": 3,
    "camera": 4,
    "context": 5,  # road, sidewalks, buildings, table
    "counts": 6,  # how many objects
    "reentry": 7,  # the scripted re-entry car
    "motion": 8,  # camera motion (tabletop)
    "sensor_noise": 9,  # LiDAR / radar noise and dropout, keyed further by (frame, sensor)
    "textures": 10,  # procedural material textures, keyed like "materials"
}


def rng_for(root_seed: int, scene_index: int, stream: str, *subkeys: int) -> np.random.Generator:
    """The Generator of ``stream`` for scene ``scene_index`` of the run seeded with ``root_seed``.

    ``subkeys`` (e.g. an object's slot number) give each item its own generator, so drawing one more
    value for one object does not shift the draws of the others.
    """
    key = (scene_index, STREAMS[stream], *subkeys)
    return np.random.default_rng(np.random.SeedSequence(root_seed, spawn_key=key))


def seeds_record(root_seed: int, scene_index: int) -> dict:
    """What scene.json stores so any stream can be re-derived."""
    return {"root_seed": int(root_seed), "scene_index": int(scene_index), "streams": dict(STREAMS)}
