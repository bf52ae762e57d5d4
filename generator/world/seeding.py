"""Random generators derived by key, never by call order (DESIGN.md, Randomness).

Scene i's streams depend only on (root_seed, i, stream), so a scene is the same whatever the number of
workers, the shard, the order or a resume.

Attempts (targeted generation): attempt k of scene i draws every stream with the root entropy
``attempt_seed(root_seed, k)`` in place of root_seed. Attempt 0 is root_seed itself, so its scene is the
untargeted scene i; for k > 0 it is a 128-bit integer derived from (root_seed, ATTEMPT_KEY, k), so the
attempts of a scene are independent of each other and of every other scene's. scene.json's ``seeds``
records ``attempt`` and ``attempt_seed`` when k > 0 (absent: attempt 0), so any stream can be re-derived.
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
    "scenario": 11,  # a scenario's parameters (keyed by parameter) and critical actors (keyed by actor)
    "conditions": 12,  # the conditions preset's parameters (keyed by parameter) and its lamps
    "weather": 13,  # rain drops, snow flakes, fog backscatter and clutter, keyed by (time, sensor): scenes.conditions
    "people": 14,  # articulated people's build, clothing, stance and gait phase, keyed by instance id
    "paint": 15,  # vehicle paint from the palette (generator.world.paint), keyed (0, slot[, retry]), (1, actor), (2,)
    "furniture": 16,  # street furniture: traffic lights (root), items keyed by (sidewalk strip + 1, kind)
    "facades": 17,  # building facades (windows, doors, storefronts), keyed by the building's index
    "environment": 24,  # the environment map (scene.lighting.hdri); 24 keeps clear of streams added alongside
}


# Tags the entropy of attempts k > 0, so (root_seed, ATTEMPT_KEY, k) is no other seed's entropy.
ATTEMPT_KEY = 0x7A57


def attempt_seed(root_seed: int, attempt: int) -> int:
    """The root entropy of attempt ``attempt`` of a scene: ``root_seed`` for attempt 0, else a 128-bit
    integer from SeedSequence((root_seed, ATTEMPT_KEY, attempt))."""
    if attempt == 0:
        return int(root_seed)
    words = np.random.SeedSequence([int(root_seed), ATTEMPT_KEY, int(attempt)]).generate_state(4, np.uint32)
    return sum(int(w) << (32 * i) for i, w in enumerate(words))


def rng_for(root_seed: int, scene_index: int, stream: str, *subkeys: int) -> np.random.Generator:
    """The Generator of ``stream`` for scene ``scene_index`` of the run seeded with ``root_seed``.

    ``subkeys`` (e.g. an object's slot number) give each item its own generator, so drawing one more
    value for one object does not shift the draws of the others.
    """
    key = (scene_index, STREAMS[stream], *subkeys)
    return np.random.default_rng(np.random.SeedSequence(root_seed, spawn_key=key))


def seeds_record(root_seed: int, scene_index: int, attempt: int = 0) -> dict:
    """What scene.json stores so any stream can be re-derived (``attempt`` and its root entropy only
    for attempts k > 0: attempt 0's record is the untargeted scene's)."""
    record = {"root_seed": int(root_seed), "scene_index": int(scene_index), "streams": dict(STREAMS)}
    if attempt:
        record["attempt"] = int(attempt)
        record["attempt_seed"] = attempt_seed(root_seed, attempt)
    return record


def stream_seed(seeds: dict) -> int:
    """The root entropy the streams of a scene were drawn with, from its ``seeds`` record."""
    return int(seeds.get("attempt_seed", seeds["root_seed"]))
