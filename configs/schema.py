"""Structured config schemas, registered in Hydra's ConfigStore.

The YAML files next to this module (config.yaml and the groups scene/, renderer/, camera/, output/)
extend these schemas, so an unknown key or a wrong type is rejected when the config is composed.
Fields that hold a *distribution* are typed ``Any``; they are validated by ``generator.world.distributions``.
A distribution is written in YAML as one of:

    3.5                               constant
    {constant: 3.5}
    {uniform: [low, high]}            continuous, inclusive of low
    {normal: [mean, std]}             optionally {normal: [mean, std], clip: [low, high]}
    {randint: [low, high]}            integer, both ends inclusive
    {choice: [a, b, c], weights: [..]}  weights optional, normalised

On the command line, where a mapping would be merged into the default one, use the colon shorthand
instead: ``scene.num_objects=randint:10:20``, ``uniform:1.0:2.5``, ``normal:1.6:0.1:1.3:1.9`` (mean, std,
clip low, clip high), ``choice:1:2:4``, ``constant:3``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING


@dataclass
class CameraConfig:
    """The rig's camera. Its pose is placed by the scene kind (see scene configs)."""

    name: str = "front"  # sensor name, used in file names: <name>.rgb.png
    width: int = 640  # pixels
    height: int = 480  # pixels
    fov_deg: float = 70.0  # horizontal field of view, degrees (ignored when intrinsics is set)
    intrinsics: list[float] | None = None  # [fx, fy, cx, cy] in pixels (OpenCV), overrides fov_deg
    znear: float = 0.1  # near clipping distance, metres (0.1 keeps 24-bit depth within 3e-5 relative to 80 m)
    zfar: float = 500.0  # far clipping distance, metres


@dataclass
class MountConfig:
    """Where a sensor sits on the ego vehicle: position in the ego frame (x forward, y left, z up from
    the ground under the ego origin) and orientation relative to looking along ego +x."""

    x_m: float = 0.0
    y_m: float = 0.0
    z_m: float = 1.6
    yaw_deg: float = 0.0  # + turns left
    pitch_deg: float = 0.0  # + looks up
    roll_deg: float = 0.0


@dataclass
class RigCameraConfig:
    """A camera of the rig. Unset fields come from the `camera` group; an unset mount is the scene
    kind's own camera placement (street: sampled ego camera; tabletop: hemisphere)."""

    name: str = "front"
    mount: MountConfig | None = None
    width: int | None = None
    height: int | None = None
    fov_deg: float | None = None


@dataclass
class LidarConfig:
    """A spinning LiDAR from a datasheet preset (scenes/sensor_presets.py), with overrides."""

    name: str = "top"
    preset: str = "hdl64e"  # vlp16 | hdl32e | hdl64e | os1_64 | os1_128
    mount: MountConfig = field(default_factory=lambda: MountConfig(z_m=1.73))
    rotation_hz: float = 10.0
    azimuth_steps: int | None = None  # firings per turn; None: the preset's value at 10 Hz
    max_range_m: float | None = None  # None: the preset's value
    noise: bool = True  # range noise of the datasheet's accuracy
    dropout: float = 0.0  # probability a return is lost
    intensity_dropout: float = 0.0  # extra loss of dim returns (see scenes.sensors.Lidar)
    keep_misses: bool = False  # keep rays without a return as points with valid = False
    motion_skew: bool = True  # each firing sees the world at its own time within the sweep
    deskew: bool = False  # points in the sensor frame at the frame time (ego motion removed), not at firing


@dataclass
class RadarConfig:
    """An automotive radar from a preset, with overrides."""

    name: str = "front_radar"
    preset: str = "ars408"
    mount: MountConfig = field(default_factory=lambda: MountConfig(x_m=3.5, z_m=0.5))
    noise: bool = True


@dataclass
class SensorsConfig:
    """The sensor rig: cameras, LiDARs and radars on the ego vehicle."""

    cameras: list[RigCameraConfig] = field(default_factory=lambda: [RigCameraConfig()])
    lidars: list[LidarConfig] = field(default_factory=list)
    radars: list[RadarConfig] = field(default_factory=list)


@dataclass
class RendererConfig:
    """Which backend renders camera images."""

    name: str = "pyrender"  # pyrender | blender | fake (fake: numpy stand-in for tests, boxes only)
    # pyrender: the sun casts shadows in rgb (pyrender's directional shadow map; labels unchanged). Off by default:
    # it costs 1.7-1.8x a 640x480 street frame on llvmpipe (benchmarks/bench_pyrender_light.py). Blender's Cycles
    # always traces shadows.
    shadows: bool = False
    # The fields below are read by the blender backend only (renderers.blender.BlenderSettings).
    # blender rgb engine: CYCLES | BLENDER_WORKBENCH | BLENDER_EEVEE (EEVEE is slow headless: shader
    # compilation on llvmpipe). Not Cycles, or motion_blur on: a second 1-sample Cycles render per frame
    # gives the labels (exact, unblurred).
    engine: str = "CYCLES"
    device: str = "CPU"  # blender Cycles device: CPU | GPU
    samples: int = 16  # blender Cycles samples per pixel
    adaptive_threshold: float = 0.0  # blender Cycles noise threshold; 0 = off (every pixel gets `samples`)
    # blender OpenImageDenoise (ships in the bpy wheel) on rgb, guided by albedo and normals; labels are never
    # denoised. On by default (its noise and cost: benchmarks/bench_blender_noise.py)
    denoise: bool = True
    filter_width_px: float = 1.5  # blender pixel filter width of rgb (labels are unfiltered either way)
    max_bounces: int = 4  # blender light path bounces
    seed: int | None = None  # blender Cycles seed for every frame; null = drawn per (scene, frame) from the root seed
    threads: int = 0  # blender render threads; 0 = all cores
    motion_blur: bool = False  # blender motion blur on rgb (Cycles, EEVEE); labels stay unblurred
    shutter: float = 0.5  # blender motion blur shutter, in frames (0, 1], centred on the frame time
    recycle_after: int = 0  # blender: restart the worker process after this many scenes; 0 = never


@dataclass
class OutputConfig:
    """What is written besides the native dataset."""

    export: list[str] = field(default_factory=list)  # exporters run after generating, e.g. [coco]
    preview: bool = True  # write <dataset>/preview.png (contact sheet with boxes, ids, masks)
    preview_frames: int = 8  # frames on the contact sheet
    progress: bool = True  # tqdm progress bar
    flow: bool | None = None  # write <camera>.flow.npy; None: only for sequences (num_frames > 1)
    # zlib level 0-9 of the rgb and instance PNGs (lossless at every level): 6 is zlib's default and the
    # bytes of datasets written before the key existed; 1 encodes ~30% faster for ~25% larger files
    png_compression: int = 6
    # frames whose files a background thread may still be writing while the next frame renders (0: write
    # each frame in the rendering thread); a frame counts as written only once its manifest line is on disk
    write_queue: int = 2


@dataclass
class LightingConfig:
    """Sun and ambient light, each field a distribution."""

    sun_elevation_deg: Any = field(default_factory=lambda: {"uniform": [20.0, 75.0]})  # above horizon
    sun_azimuth_deg: Any = field(default_factory=lambda: {"uniform": [0.0, 360.0]})  # from +x towards +y
    sun_intensity: Any = field(default_factory=lambda: {"uniform": [2.0, 5.0]})  # W/m^2 (renderer units)
    ambient: Any = field(default_factory=lambda: {"uniform": [0.15, 0.45]})  # grey level added everywhere
    # Drawn from their own generator, so changing them leaves the sun and ambient draws as they were.
    # Area lights (Blender: square AREA lamps; pyrender: point lights at their centre), hanging above a
    # point within area_light_offset_m of the origin and facing it.
    area_lights: Any = field(default_factory=lambda: {"randint": [0, 1]})  # how many
    area_light_intensity: Any = field(default_factory=lambda: {"uniform": [20.0, 80.0]})  # W (on-axis, like point)
    area_light_size_m: Any = field(default_factory=lambda: {"uniform": [0.5, 2.0]})  # side of the square
    area_light_height_m: Any = field(default_factory=lambda: {"uniform": [2.0, 6.0]})  # above the ground
    area_light_offset_m: Any = field(default_factory=lambda: {"uniform": [0.5, 5.0]})  # horizontal, from origin
    # what camera rays see: color (Environment.background) | sky (a daylight sky from the sun's direction:
    # Blender's Sky Texture, pyrender the matching Preetham sky of renderers.sky, both with the sun's disc) -> weight
    sky: dict[str, float] = field(default_factory=lambda: {"color": 1.0, "sky": 1.0})
    # an environment map (HDRI) shipped in the bpy wheel (Blender's CC0 world studio lights) -> weight, drawn from
    # its own stream: none | city | courtyard | forest | interior | night | studio | sunrise | sunset. Blender is
    # lit by it and shows it; pyrender shows it and takes its irradiance as the ambient light.
    hdri: dict[str, float] = field(
        default_factory=lambda: {
            "none": 1.0,
            **dict.fromkeys(("city", "courtyard", "forest", "interior", "night", "studio", "sunrise", "sunset"), 0.0),
        }
    )


@dataclass
class MaterialConfig:
    """Randomized surface parameters, each a distribution."""

    roughness: Any = field(default_factory=lambda: {"uniform": [0.2, 0.9]})
    metallic: Any = field(default_factory=lambda: {"choice": [0.0, 0.6], "weights": [0.7, 0.3]})
    reflectivity: Any = field(default_factory=lambda: {"uniform": [0.1, 0.9]})  # LiDAR reflectance
    value: Any = field(default_factory=lambda: {"uniform": [0.15, 0.95]})  # brightness of base colour
    saturation: Any = field(default_factory=lambda: {"uniform": [0.0, 0.9]})
    # Procedural textures (shown by the Blender backend, ignored by pyrender); drawn from their own
    # generator, so changing them leaves every other draw of the scene as it was.
    # kind -> weight, kinds: none | noise | checker | wave (wood-like rings)
    texture_kinds: dict[str, float] = field(
        default_factory=lambda: {"none": 0.5, "noise": 0.2, "checker": 0.15, "wave": 0.15}
    )
    texture_scale: Any = field(default_factory=lambda: {"uniform": [2.0, 20.0]})  # pattern frequency, 1/m
    texture_contrast: Any = field(default_factory=lambda: {"uniform": [0.3, 0.8]})  # color2 = (1 - c) * base
    texture_roughness_variation: Any = field(default_factory=lambda: {"uniform": [0.0, 0.5]})  # roughness +/- v/2
    # cars, trucks, buses: palette (clear-coated paint in the colours cars are sold in, generator.world.paint)
    # or random (the random colours and textures above, as every other object)
    vehicle_paint: str = "palette"


@dataclass
class SequenceConfig:
    """Frames per scene: 1 is a still; more make a video whose objects keep their ids."""

    num_frames: int = 1  # frames per scene
    fps: float = 10.0  # frames per second; frame k is at t = k / fps
    reentry: bool = False  # add a scripted scenario where an object leaves the view and comes back


@dataclass
class SceneConfig:
    """Keys shared by every scene kind."""

    kind: str = MISSING  # street | tabletop
    sequence: SequenceConfig = field(default_factory=SequenceConfig)
    num_objects: Any = 10  # distribution of the number of labelled objects
    categories: dict[str, float] = field(default_factory=dict)  # category -> sampling weight
    catalog: str | None = None  # optional YAML catalog of user mesh files (assets.catalog)
    placement_attempts: int = 60  # tries per object before it is dropped (no interpenetration)
    materials: MaterialConfig = field(default_factory=MaterialConfig)
    lighting: LightingConfig = field(default_factory=LightingConfig)


@dataclass
class StreetMotionConfig:
    """How the ego vehicle and road users move in sequences. Model weights choose a motion model per
    object; speeds are distributions in m/s."""

    ego_speed_mps: Any = field(default_factory=lambda: {"uniform": [6.0, 12.0]})  # ego along +x
    vehicle_models: dict[str, float] = field(
        default_factory=lambda: {"parked": 1.0, "constant_velocity": 3.0, "lane_change": 0.7, "stop_and_go": 1.0}
    )
    vehicle_speed_mps: Any = field(default_factory=lambda: {"uniform": [4.0, 13.0]})
    pedestrian_models: dict[str, float] = field(
        default_factory=lambda: {"standing": 1.0, "walk_along": 3.0, "walk_across": 1.0}
    )
    pedestrian_speed_mps: Any = field(default_factory=lambda: {"uniform": [0.7, 1.8]})
    cyclist_speed_mps: Any = field(default_factory=lambda: {"uniform": [3.0, 7.0]})


@dataclass
class PeopleConfig:
    """Articulated people (``generator.world.people``): whether procedural pedestrians and cyclists get
    skeletons, the share of the street's pedestrians that are children, and children's heights (m)."""

    articulated: bool = True
    child_share: float = 0.1
    child_height_m: Any = field(default_factory=lambda: {"uniform": [1.0, 1.45]})


@dataclass
class MarkingsConfig:
    """Lane markings (``generator.world.markings``): on or off, and the standard their dimensions and
    colours follow (us: MUTCD 2009, yellow double centre line; eu: German RMS, all white)."""

    enabled: bool = True
    style: str = "us"


@dataclass
class FurnitureConfig:
    """Street furniture along the sidewalks (``generator.world.furniture``): spacing (m) along each
    sidewalk of each kind (jittered by up to a fifth), and traffic lights at an intersection's approaches."""

    enabled: bool = True
    traffic_lights: bool = True
    tree_spacing_m: float = 15.0
    sign_spacing_m: float = 45.0
    pole_spacing_m: float = 30.0
    bench_spacing_m: float = 40.0
    bin_spacing_m: float = 35.0
    bush_spacing_m: float = 30.0


@dataclass
class FacadesConfig:
    """Building facades (``assets.procedural.facades``): window grids, doors, storefronts; false: plain blocks."""

    enabled: bool = True


@dataclass
class DetailsConfig:
    """Surface details (``generator.world.paving``): paving slabs on the sidewalks (a checker texture of
    ``slab_size_m`` squares) and manhole covers in the lanes about every ``manhole_spacing_m``."""

    paving: bool = True
    slab_size_m: float = 0.5
    manholes: bool = True
    manhole_spacing_m: float = 30.0


@dataclass
class StreetSceneConfig(SceneConfig):
    """A straight road along +x with lanes, sidewalks and buildings; an ego camera in a lane."""

    kind: str = "street"
    # straight: one road along +x; intersection: a four-way junction ahead, a road along y crossing it
    layout: str = "straight"
    num_objects: Any = field(default_factory=lambda: {"randint": [25, 35]})
    categories: dict[str, float] = field(
        default_factory=lambda: {
            "car": 6.0,
            "truck": 1.0,
            "bus": 0.5,
            "pedestrian": 4.0,
            "cyclist": 1.5,
            "traffic_cone": 2.0,
            "barrier": 1.0,
            "motorcycle": 0.5,
        }
    )
    lanes_per_direction: Any = field(default_factory=lambda: {"randint": [1, 2]})
    lane_width_m: Any = 3.5
    sidewalk_width_m: Any = field(default_factory=lambda: {"uniform": [2.5, 4.0]})
    road_length_m: float = 120.0  # road extends from x = -20 to x = road_length_m - 20
    view_range_m: Any = field(default_factory=lambda: {"uniform": [40.0, 60.0]})  # objects up to this x
    building_height_m: Any = field(default_factory=lambda: {"uniform": [6.0, 25.0]})
    camera_height_m: Any = field(default_factory=lambda: {"uniform": [1.4, 1.8]})  # ego camera height
    camera_pitch_deg: Any = field(default_factory=lambda: {"uniform": [-4.0, 2.0]})  # + looks up
    camera_yaw_deg: Any = field(default_factory=lambda: {"uniform": [-5.0, 5.0]})  # + looks left
    # layout=intersection: the crossing road's centre line this far ahead of the ego's start (x, m)
    junction_distance_m: Any = field(default_factory=lambda: {"uniform": [25.0, 45.0]})
    crossing_lanes_per_direction: Any = field(default_factory=lambda: {"randint": [1, 2]})  # on the road along y
    motion: StreetMotionConfig = field(default_factory=lambda: StreetMotionConfig())
    people: PeopleConfig = field(default_factory=lambda: PeopleConfig())
    markings: MarkingsConfig = field(default_factory=lambda: MarkingsConfig())
    furniture: FurnitureConfig = field(default_factory=lambda: FurnitureConfig())
    facades: FacadesConfig = field(default_factory=lambda: FacadesConfig())
    details: DetailsConfig = field(default_factory=lambda: DetailsConfig())


@dataclass
class TabletopSceneConfig(SceneConfig):
    """Household objects on a table; a camera on a hemisphere aimed at the table."""

    kind: str = "tabletop"
    num_objects: Any = field(default_factory=lambda: {"randint": [6, 12]})
    categories: dict[str, float] = field(
        default_factory=lambda: {"box": 1.0, "can": 1.0, "bottle": 1.0, "mug": 1.0, "bowl": 1.0, "book": 1.0}
    )
    table_length_m: Any = field(default_factory=lambda: {"uniform": [1.2, 1.8]})
    table_width_m: Any = field(default_factory=lambda: {"uniform": [0.7, 1.0]})
    table_height_m: Any = field(default_factory=lambda: {"uniform": [0.7, 0.78]})
    camera_distance_m: Any = field(default_factory=lambda: {"uniform": [1.3, 1.9]})  # to table centre
    camera_elevation_deg: Any = field(default_factory=lambda: {"uniform": [30.0, 65.0]})
    camera_azimuth_deg: Any = field(default_factory=lambda: {"uniform": [0.0, 360.0]})
    camera_motion: dict[str, float] = field(default_factory=lambda: {"orbit": 1.0, "dolly": 1.0, "static": 0.0})
    orbit_rate_deg_s: Any = field(default_factory=lambda: {"uniform": [-20.0, 20.0]})  # about the table's z
    dolly_speed_mps: Any = field(default_factory=lambda: {"uniform": [-0.1, 0.1]})  # + moves towards the table


@dataclass
class TargetObjectsConfig:
    """What each counted object's label record must match; unset (None) fields match anything. Numeric
    fields take a closed interval ``[low, high]``; camera records carry the first eight, LiDAR records
    ``num_lidar_points``, radar records ``num_radar_points`` (labels/annotate.py, labels/ranges.py)."""

    category: Any = None  # a category name or a list of names
    visibility: Any = None  # visible / unoccluded pixels, [0, 1]
    truncation: Any = None  # share of the object's box outside the image, [0, 1]
    occlusion: Any = None  # KITTI level 0..3
    range_m: Any = None  # camera-to-object-centre distance, metres
    visible_pixels: Any = None
    unoccluded_pixels: Any = None
    # share of the object's light reaching the camera through fog, haze, rain or snow, [0, 1] (camera
    # records under conditions with a medium: fog, overcast haze, rain, snow; a target on it needs one)
    transmittance: Any = None
    num_keypoints: Any = None  # a person's keypoints in the image (COCO v > 0), 0..17; others never match
    num_lidar_points: Any = None
    num_radar_points: Any = None


@dataclass
class TargetConfig:
    """Targeted generation (``generator.run.targeting``): keep only scenes whose frames' label records
    satisfy a predicate, drawing new attempts of a scene until one does. Plain data, never evaluated.

    A block is ``objects`` (the fields every counted object must match: ``category`` a name or list of
    names, any numeric label field a closed interval ``[low, high]``), ``min_count`` and ``sensor``
    (whose records; null: the rig's first camera). ``any`` is a list of more blocks
    ``{objects: ..., min_count: ..., sensor: ...}``; a frame satisfies the target when one block matches.
    No block (the default): no target, the run is untargeted.
    """

    objects: TargetObjectsConfig = field(default_factory=TargetObjectsConfig)  # all unset: no top-level block
    min_count: int = 1  # objects of the block that must match
    sensor: str | None = None  # sensor whose records are judged; None: the rig's first camera
    any: Any = None  # list of further blocks, ORed with the top-level one
    frames: Any = "any"  # any | all | [k, ...]: which frames of a sequence must satisfy the target
    max_attempts: int = 50  # attempts per scene before it is recorded as failed (failures.jsonl)


@dataclass
class RunConfig:
    """Top-level keys of a generation run."""

    seed: int = 0  # root seed: every random choice derives from it by key
    num_scenes: int = 8  # scenes to generate
    first_scene: int = 0  # index of the first scene (scene i is the same in any run)
    num_shards: int = 1  # split the scenes over this many independent runs (processes, machines)
    shard_index: int = 0  # which shard this run renders: scenes i with i % num_shards == shard_index
    output_dir: str = "datasets/${scene.kind}"  # dataset folder (relative to the working directory)
    # How the scenes are executed; none of these changes the data (left out of the config hash).
    workers: int = 1  # worker processes; 1 renders in this process unless a timeout or recycling is set
    retries: int = 2  # a failing scene is tried 1 + retries times, then recorded in failures.jsonl
    scene_timeout_s: float = 0.0  # a scene running longer is killed and retried (worker processes); 0 = no limit
    recycle_scenes: int = 0  # replace a worker process after this many scenes (bounds leaks); 0 = never
    preload_assets: bool = True  # read every catalog mesh at start (false: on first use, per worker)
    # Limits on user mesh files (assets.mesh_files): a bigger file is refused with one line before it is
    # read. 256 MB holds a 1M-triangle mesh in any format (binary PLY ~20 MB, OBJ text ~60 MB, GLB with
    # textures); 1M triangles render at a few frames per second on llvmpipe, 2M took 3.3 GB and 26 s for
    # 2 frames. Raise them for big scans; they never change the data (left out of the config hash).
    max_mesh_file_mb: float = 256.0  # megabytes (2**20 bytes)
    max_mesh_triangles: int = 1_000_000
    # Targeted runs: judge attempts on the passes the target reads (cheap) or on full frames (full, the
    # reference); the accepted attempt's frames are full renders either way (generator.run.judging).
    target_judging: str = "cheap"
    scene: Any = MISSING
    renderer: RendererConfig = field(default_factory=RendererConfig)
    camera: CameraConfig = field(default_factory=CameraConfig)
    sensors: SensorsConfig = field(default_factory=SensorsConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    target: TargetConfig = field(default_factory=TargetConfig)  # no block set: no target
    # the scenario group (configs/scenario/): ``name`` and the scenario's parameters, each a distribution,
    # checked against its table in generator/world/scenarios (an untyped node: each scenario has its own keys)
    scenario: Any = field(default_factory=lambda: {"name": "none"})
    # the conditions group (configs/conditions/): the preset's name and every key of
    # generator.world.conditions.KEYS, numbers as distributions (an untyped node, checked against that table)
    conditions: Any = field(default_factory=lambda: {"name": "clear_day"})


SCENE_SCHEMAS: dict[str, type[SceneConfig]] = {"street": StreetSceneConfig, "tabletop": TabletopSceneConfig}


def register_configs() -> None:
    """Register the schemas in Hydra's ConfigStore (idempotent)."""
    cs = ConfigStore.instance()
    cs.store(name="run_schema", node=RunConfig)
    cs.store(group="scene", name="street_schema", node=StreetSceneConfig)
    cs.store(group="scene", name="tabletop_schema", node=TabletopSceneConfig)
    cs.store(group="renderer", name="renderer_schema", node=RendererConfig)
    cs.store(group="camera", name="camera_schema", node=CameraConfig)
    cs.store(group="sensors", name="sensors_schema", node=SensorsConfig)
    cs.store(group="output", name="output_schema", node=OutputConfig)
    cs.store(name="target_schema", node=TargetConfig)
