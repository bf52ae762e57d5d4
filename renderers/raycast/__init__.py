"""Range sensors by ray casting with Embree (embreex, called directly): LiDAR sweeps with motion skew,
intensity, noise and per-point labels; radar detections with Doppler velocity and an RCS proxy.

Embree is imported only under this package (DESIGN.md). A Scene is compiled into Embree geometry once
and cached for as long as the Scene object lives (:func:`world_for`).
"""

from renderers.raycast.lidar import cast_lidar, deskew_points, sweep_rays
from renderers.raycast.motion import poses_at
from renderers.raycast.radar import detect_radar
from renderers.raycast.world import Hits, World, world_for

__all__ = ["Hits", "World", "cast_lidar", "deskew_points", "detect_radar", "poses_at", "sweep_rays", "world_for"]
