"""Manoeuvres that scenarios script: a cyclist setting off across the road and halting; when and how
hard an ego falling in behind a road user brakes (its motion: ``base.slowing_ego``).

World frame as in ``generator.world.street``: z up, x along the road, the ego driving towards +x.
Speeds in m/s, times in s, accelerations in m/s^2. Each motion is a closed form, exact at every keyframe
(also for what happened before the sequence began).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from generator.world.motion import Motion
from generator.world.scenarios.base import CLEARANCE_M, MAX_DECELERATION_MPS2

CYCLIST_ACCELERATION_MPS2 = 1.5  # mean acceleration of a cyclist setting off (and braking to a halt)
FOLLOW_GAP_M = CLEARANCE_M  # an ego falling in behind a road user keeps its front at least this far behind it


def ride_across(
    params: dict[str, Any],
    times: np.ndarray,
    x0: float,
    y_start: float,
    y_end: float,
    speed: float,
    t_on: float,
    ramp_s: float,
) -> Motion:
    """Wait at ``y_start``, ride across to ``y_end`` at ``speed`` (m/s, > 0) and halt there, speeding up
    and slowing down in smooth (smoothstep) ramps of ``ramp_s`` s. A ramp centred on ``t_on`` covers as
    much ground as a jump to full speed at ``t_on`` would, so once it is over the rider is
    ``speed * (t - t_on)`` m out; the second ramp ends the ride exactly at ``y_end``."""
    span = abs(y_end - y_start)
    t_off = t_on + span / speed
    # distance = speed * ramp * (G(u_on) - G(u_off)), G the integral of the smoothstep: a closed form,
    # exact at keyframes whatever the ride did before the sequence
    on = _smoothstep_integral((times - t_on) / ramp_s + 0.5)
    off = _smoothstep_integral((times - t_off) / ramp_s + 0.5)
    travelled = np.clip(speed * ramp_s * (on - off), 0.0, span)
    direction = np.sign(y_end - y_start)
    positions = np.column_stack([np.full(len(times), x0), y_start + direction * travelled])
    return Motion("ride_across", params, times, positions, np.full(len(times), direction * np.pi / 2))


def _smoothstep_integral(u: np.ndarray) -> np.ndarray:
    """The integral from 0 to u of smoothstep(x) dx: 0 for u <= 0, u^3 - u^4 / 2 on [0, 1], u - 1/2 beyond."""
    v = np.clip(u, 0.0, 1.0)
    return np.where(u >= 1.0, u - 0.5, v**3 - v**4 / 2.0)


def follow_braking(closing: float, gap_m: float, reaction_s: float, deceleration: float) -> tuple[float, float]:
    """When (s after the critical moment) and how hard (m/s^2) the ego, closing in at ``closing`` m/s (> 0)
    on a road user ``gap_m`` m ahead of its front, brakes to match its speed FOLLOW_GAP_M behind it:
    after ``reaction_s`` at ``deceleration``, harder when that is what it takes (up to
    MAX_DECELERATION_MPS2), and earlier at that limit when even that would be too late (the onset may
    then lie before the critical moment, even before the sequence: the caller handles that)."""
    room = gap_m - FOLLOW_GAP_M  # what the ego may close before its braking has matched the speeds
    left = room - closing * reaction_s  # ... when it starts braking
    needed = closing * closing / (2.0 * left) if left > 0 else np.inf
    if needed <= MAX_DECELERATION_MPS2:
        return reaction_s, max(deceleration, needed)
    # at the limit, as late as still matches the speeds in time
    return (room - closing * closing / (2.0 * MAX_DECELERATION_MPS2)) / closing, MAX_DECELERATION_MPS2
