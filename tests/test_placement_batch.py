"""The batched overlap tests (``placement.overlaps_any``, ``Placer.try_place``) decide exactly as the
pairwise separating-axis test they replace, written out here as it was before issue 17."""

from __future__ import annotations

import numpy as np

from generator.world.placement import Placer, SweptFootprint, overlaps_any, swept_overlap


def _pairwise(a: SweptFootprint, b: SweptFootprint, margin: float) -> bool:
    """The pairwise test as it was: bounding circles, then the four axes one by one."""

    def corners(centres, yaws, length, width):
        c, s = np.cos(yaws), np.sin(yaws)
        half = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]]) * [length / 2, width / 2]
        x = half[None, :, 0] * c[:, None] - half[None, :, 1] * s[:, None]
        y = half[None, :, 0] * s[:, None] + half[None, :, 1] * c[:, None]
        return np.stack([x, y], axis=-1) + centres[:, None, :]

    radius = 0.5 * (np.hypot(a.length, a.width) + np.hypot(b.length, b.width)) + margin
    near = np.hypot(*(a.centres - b.centres).T) <= radius
    if not near.any():
        return False
    corners_a = corners(a.centres[near], a.yaws[near], a.length, a.width)
    corners_b = corners(b.centres[near], b.yaws[near], b.length, b.width)
    separated = np.zeros(int(near.sum()), dtype=bool)
    for yaw in (a.yaws[near], b.yaws[near]):
        for axis in (np.stack([np.cos(yaw), np.sin(yaw)], 1), np.stack([-np.sin(yaw), np.cos(yaw)], 1)):
            pa = np.einsum("nkd,nd->nk", corners_a, axis)
            pb = np.einsum("nkd,nd->nk", corners_b, axis)
            separated |= (pa.max(1) + margin <= pb.min(1)) | (pb.max(1) + margin <= pa.min(1))
    return bool((~separated).any())


def _random_swept(rng: np.random.Generator, steps: int) -> SweptFootprint:
    start, velocity = rng.uniform(-10, 10, 2), rng.uniform(-3, 3, 2)
    centres = start + velocity * np.arange(steps)[:, None] * 0.1
    yaws = rng.uniform(-np.pi, np.pi) + rng.uniform(-0.3, 0.3) * np.arange(steps) * 0.1
    return SweptFootprint(centres, yaws, float(rng.uniform(0.3, 5.0)), float(rng.uniform(0.3, 2.5)))


def test_batched_overlap_decides_as_pairwise() -> None:
    rng = np.random.default_rng(17)
    hits = 0
    for _ in range(300):
        a = _random_swept(rng, 9)
        others = [_random_swept(rng, 9) for _ in range(int(rng.integers(1, 6)))]
        margin = float(rng.choice([0.0, 0.1, 0.2]))
        expected = [_pairwise(a, b, margin) for b in others]
        assert [swept_overlap(a, b, margin) for b in others] == expected
        assert overlaps_any(a, others, margin) == any(expected)
        hits += any(expected)
    assert 30 < hits < 270  # both outcomes exercised


def test_placer_accepts_as_pairwise() -> None:
    rng = np.random.default_rng(3)
    placer, reference = Placer(margin=0.2, steps=7), []
    for _ in range(120):  # past the first buffer's 16 rows, so it grows
        swept = _random_swept(rng, 7)
        free = not any(_pairwise(swept, b, 0.2) for b in reference)
        assert placer.try_place(swept) == free
        if free:
            reference.append(swept)
    assert len(placer.placed) == len(reference) > 16
    assert not overlaps_any(SweptFootprint(np.zeros((7, 2)), np.zeros(7), 1.0, 1.0), [])
