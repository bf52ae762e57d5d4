"""Range sensors of the rig: spinning LiDARs and automotive radars, and the record layouts of their
outputs (``<lidar>.points.npy`` and ``<radar>.detections.npy``).

Sensor frames (both): x forward, y left, z up, origin at the sensor's optical centre; mounted on the ego
by ``ego_from_sensor``. Azimuth is measured from +x towards +y (counter-clockwise seen from above),
elevation from the xy plane towards +z. Units: metres, seconds, radians (config fields in degrees say so).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# One LiDAR return. x, y, z: sensor frame at the point's own firing time (metres).
POINT_DTYPE = np.dtype(
    [
        ("x", np.float32),
        ("y", np.float32),
        ("z", np.float32),
        ("intensity", np.float32),  # [0, 1], see renderers.raycast intensity model
        ("range", np.float32),  # metres from the sensor origin
        ("azimuth", np.float32),  # radians, (-pi, pi]
        ("ring", np.uint16),  # channel index, 0 = lowest elevation
        ("time", np.float32),  # seconds from the sweep's start
        ("instance_id", np.uint16),  # 0 = static world / no labelled object
        ("semantic_id", np.uint16),  # scenes.taxonomy.semantic_id
        ("valid", np.bool_),  # False: no return (kept only when the sensor flags misses)
    ]
)

# One radar detection, sensor frame at the frame time.
DETECTION_DTYPE = np.dtype(
    [
        ("x", np.float32),
        ("y", np.float32),
        ("z", np.float32),
        ("range", np.float32),  # metres
        ("azimuth", np.float32),  # radians
        ("elevation", np.float32),  # radians
        ("radial_velocity", np.float32),  # m/s along the line of sight, + = moving away
        ("rcs", np.float32),  # radar cross-section proxy, dBsm
        ("instance_id", np.uint16),
        ("semantic_id", np.uint16),
    ]
)


# Full beam divergence of a LiDAR by default, radians (Lidar.beam_divergence_rad).
BEAM_DIVERGENCE_RAD = 3e-3


@dataclass
class Lidar:
    """A spinning multi-beam LiDAR.

    Attributes:
        name: sensor name, used in file names (``<name>.points.npy``).
        elevations: (channels,) beam elevation angles in radians, ascending (ring 0 = lowest).
        azimuth_steps: firings per revolution (columns of the range image).
        horizontal_fov: radians covered by one sweep (2*pi for a full turn), centred on +x.
        rotation_hz: revolutions per second; a sweep lasts 1 / rotation_hz seconds.
        min_range, max_range: metres; returns outside are misses.
        range_noise_std: metres, Gaussian range noise (0 = exact).
        dropout: probability that a return is lost regardless of intensity.
        intensity_dropout: extra loss for dim returns: p = intensity_dropout * exp(-intensity / 0.1).
        keep_misses: True keeps rays with no return as points with valid = False.
        motion_skew: True: each firing sees the ego and every object where they are at its own time;
            False: the whole sweep sees the world frozen at the sweep start.
        deskew: True: points are moved into the sensor frame at the frame time (ego motion removed, as
            a motion-compensated point cloud; the objects' own motion stays); False: each point is in the
            sensor frame at its firing time, as a raw scan.
        ego_from_sensor: 4x4 mount pose (sensor frame as in the module docstring).
        preset: the datasheet preset it was made from (for the record).
        beam_divergence_rad: full angle (radians) of each beam's cone, which sets the beam's footprint
            (diameter = divergence * range) where weather particles intercept it (renderers.raycast.weather).
            Default 3 mrad: Velodyne's VLS-128 manual (App. F.2.3) states 3.0 mrad horizontal and 1.5 mrad
            vertical; the larger axis is kept, as a round cone.
    """

    name: str
    elevations: np.ndarray
    azimuth_steps: int
    ego_from_sensor: np.ndarray
    horizontal_fov: float = 2 * np.pi
    rotation_hz: float = 10.0
    min_range: float = 0.5
    max_range: float = 120.0
    range_noise_std: float = 0.0
    dropout: float = 0.0
    intensity_dropout: float = 0.0
    keep_misses: bool = False
    motion_skew: bool = True
    deskew: bool = False
    preset: str = "custom"
    beam_divergence_rad: float = BEAM_DIVERGENCE_RAD

    @property
    def channels(self) -> int:
        return len(self.elevations)

    @property
    def sweep_duration(self) -> float:
        """Seconds of one sweep (the horizontal fov at the rotation rate)."""
        return self.horizontal_fov / (2 * np.pi * self.rotation_hz)

    def azimuths(self) -> np.ndarray:
        """(azimuth_steps,) firing azimuths in radians, in firing order: the head turns counter-clockwise
        seen from above, so azimuth increases with time, from behind (-pi) round to behind (+pi), or
        across the horizontal fov centred on +x."""
        fov = min(self.horizontal_fov, 2 * np.pi)
        return -fov / 2 + (np.arange(self.azimuth_steps) + 0.5) * (fov / self.azimuth_steps)

    def firing_times(self) -> np.ndarray:
        """(azimuth_steps,) seconds from the sweep start of each azimuth column (all channels of a column
        fire together)."""
        return (np.arange(self.azimuth_steps) + 0.5) * (self.sweep_duration / self.azimuth_steps)


@dataclass
class Radar:
    """An automotive radar (detections, not raw signals).

    Attributes:
        horizontal_fov, vertical_fov: radians, centred on +x.
        max_range: metres.
        range_resolution, azimuth_resolution, velocity_resolution: metres, radians, m/s: the grid the
            sensor scans and the quantisation of its outputs.
        range_noise_std, azimuth_noise_std, velocity_noise_std: Gaussian noise (metres, radians, m/s).
        max_detections: per frame, strongest first.
        max_per_object: cap of detections on one object (strongest first).
    """

    name: str
    ego_from_sensor: np.ndarray
    horizontal_fov: float = np.radians(90.0)
    vertical_fov: float = np.radians(10.0)
    max_range: float = 200.0
    range_resolution: float = 0.4
    azimuth_resolution: float = np.radians(1.0)
    velocity_resolution: float = 0.1
    range_noise_std: float = 0.0
    azimuth_noise_std: float = 0.0
    velocity_noise_std: float = 0.0
    max_detections: int = 200
    max_per_object: int = 8
    preset: str = "custom"
