"""MOT Challenge export (MOT17 layout) of a native dataset: one sequence per scene and camera.

    <dataset>/exports/mot/<name>/seqinfo.ini     [Sequence] name, imDir, frameRate, seqLength, imWidth, imHeight, imExt
    <dataset>/exports/mot/<name>/gt/gt.txt       frame,id,bb_left,bb_top,bb_width,bb_height,conf,class,visibility
    <dataset>/exports/mot/<name>/img1/%06d.png   frame 1 is our frame 0; hard links to the dataset's rgb PNGs

``<name>`` is ``synthsense-<scene_id>``, or ``synthsense-<scene_id>-<camera>`` when a scene has several
cameras.

gt.txt, one line per object and frame in which the object reaches the image (``bbox_amodal`` not null),
sorted by frame then id:

- ``frame``: 1-based (MOT numbering), our frame + 1.
- ``id``: the track id (equal to the instance id, the same over the whole sequence, also across an absence).
- ``bb_left, bb_top, bb_width, bb_height``: the amodal box (the whole object, occluded parts included, as
  in MOT17's ground truth; unlike MOT17's, ours is clipped to the image, since the part outside is not
  known in pixels), in MOT's 1-based pixel coordinates: bb_left = x + 1,
  bb_top = y + 1 for our 0-based [x, y, w, h] (py-motmetrics and the MOT devkit subtract 1 on reading).
- ``conf``: 1 = consider (the object has visible pixels), 0 = ignore (inside the image but fully occluded).
- ``class``: a MOTChallenge class, 1..13 only (TrackEval's MOT evaluator refuses any other value with
  "invalid gt classes"; its names: 1 pedestrian, 2 person_on_vehicle, 3 car, 4 bicycle, 5 motorbike,
  6 non_mot_vehicle, 7 static_person, 8 distractor, 9 occluder, 10 occluder_on_ground, 11 occluder_full,
  12 reflection, 13 crowd). Every category of the taxonomy has one (:data:`MOT_CLASSES`):

      pedestrian                          1   pedestrian          (the class TrackEval scores)
      cyclist                             2   person_on_vehicle   (a rider: a distractor)
      car, truck, bus                     3   car                 (MOT's motor vehicles)
      traffic_cone, barrier, tire, debris 10  occluder_on_ground  (static, on the road)
      box, can, bottle, mug, bowl, book   9   occluder            (static, on a table)
      animal                              8   distractor          (moves like a person, is not one)
      motorcycle                          5   motorbike           (parked, riderless)
      traffic_light, traffic_sign, pole   11  occluder_full       (static street furniture: poles)

  TrackEval scores pedestrians only: it drops tracker boxes that match a distractor (2, 7, 8, 12) and
  ignores ground truth of the other classes, so a sequence without pedestrians (tabletop) evaluates to
  no ground truth rather than an error. A category outside the table (a dataset written by a newer
  version) is a DatasetError naming it, never a silent class.
- ``visibility``: our visibility, visible / unoccluded pixels, in [0, 1].
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from formats import atomic
from formats._files import export_dir, place_image, remove_stale
from formats._sequences import Sequence, iter_sequences, track_id
from formats.native import DatasetError, FrameKey, NativeDataset, sensor_file

EXPORT_SUBDIR = "exports/mot"
NAME_PREFIX = "synthsense-"
# what this exporter writes, relative to EXPORT_SUBDIR: only such files are ever removed as stale
LAYOUT = (f"{NAME_PREFIX}*/seqinfo.ini", f"{NAME_PREFIX}*/gt/gt.txt", f"{NAME_PREFIX}*/img1/*.png")

# MOTChallenge's class ids by TrackEval's names (trackeval/datasets/mot_challenge_2d_box.py)
MOT_CLASS_IDS: dict[str, int] = {
    "pedestrian": 1,
    "person_on_vehicle": 2,
    "car": 3,
    "bicycle": 4,
    "motorbike": 5,
    "non_mot_vehicle": 6,
    "static_person": 7,
    "distractor": 8,
    "occluder": 9,
    "occluder_on_ground": 10,
    "occluder_full": 11,
    "reflection": 12,
    "crowd": 13,
}
# our category -> MOTChallenge class name; complete over scenes.taxonomy (a test checks it)
MOT_CLASS_OF_CATEGORY: dict[str, str] = {
    "pedestrian": "pedestrian",
    "cyclist": "person_on_vehicle",
    "car": "car",
    "truck": "car",
    "bus": "car",
    "traffic_cone": "occluder_on_ground",
    "barrier": "occluder_on_ground",
    **{name: "occluder" for name in ("box", "can", "bottle", "mug", "bowl", "book")},
    "tire": "occluder_on_ground",
    "debris": "occluder_on_ground",
    "animal": "distractor",
    "motorcycle": "motorbike",
    # street furniture: static, standing the whole height of the view (MOT16's "occluder full": poles)
    "traffic_light": "occluder_full",
    "traffic_sign": "occluder_full",
    "pole": "occluder_full",
}
MOT_CLASSES: dict[str, int] = {category: MOT_CLASS_IDS[name] for category, name in MOT_CLASS_OF_CATEGORY.items()}


def mot_class(category: str) -> int:
    """MOTChallenge class id (1..13) of one of our category names (see the module docstring);
    DatasetError for a category the table does not know."""
    try:
        return MOT_CLASSES[category]
    except KeyError:
        raise DatasetError(
            f"category {category!r} has no MOTChallenge class (known: {', '.join(MOT_CLASSES)})"
        ) from None


def sequence_name(seq: Sequence) -> str:
    return f"{NAME_PREFIX}{seq.key}"


def gt_lines(seq: Sequence) -> list[str]:
    """The gt.txt lines of a sequence (no newline), sorted by frame then id."""
    rows: list[tuple[int, int, str]] = []
    for labels in seq.labels:
        frame = labels["frame"] + 1
        for obj in seq.objects(labels):
            if obj["bbox_amodal"] is None:
                continue  # not in the image at all: MOT has no line for it
            tid = track_id(obj)
            rows.append((frame, tid, _gt_line(frame, tid, obj)))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [line for _, _, line in rows]


def _gt_line(frame: int, tid: int, obj: dict[str, Any]) -> str:
    x, y, w, h = (int(v) for v in obj["bbox_amodal"])
    conf = 1 if obj["visible"] else 0
    return f"{frame},{tid},{x + 1},{y + 1},{w},{h},{conf},{mot_class(obj['category'])},{_number(obj['visibility'])}"


def _number(value: float) -> str:
    # 6 significant digits, no trailing zeros: "1", "0.86", "0.333333" (MOT17 writes "1" and "0.86")
    return f"{float(value):.6g}"


def seqinfo(seq: Sequence) -> str:
    """seqinfo.ini of a sequence."""
    if seq.fps is None:
        raise DatasetError(
            f"scene {seq.scene_id}: no fps in dataset.json's config and a single frame; seqinfo.ini needs it"
        )
    fps = int(seq.fps) if float(seq.fps).is_integer() else seq.fps
    return (
        "[Sequence]\n"
        f"name={sequence_name(seq)}\n"
        "imDir=img1\n"
        f"frameRate={fps}\n"
        f"seqLength={seq.num_frames}\n"
        f"imWidth={seq.width}\n"
        f"imHeight={seq.height}\n"
        "imExt=.png\n"
    )


def export_mot(dataset_root: str | Path, skip: Collection[FrameKey] = ()) -> Path:
    """Write ``<dataset>/exports/mot/`` (see the module docstring) and return that folder.

    Reruns give the same bytes; files of an earlier export that this one does not write are removed.
    """
    dataset = NativeDataset(dataset_root, skip)
    out = export_dir(dataset.root, EXPORT_SUBDIR)
    written: set[Path] = set()
    for seq in iter_sequences(dataset):
        folder = out / sequence_name(seq)
        files = {
            folder / "seqinfo.ini": seqinfo(seq),
            folder / "gt" / "gt.txt": "".join(line + "\n" for line in gt_lines(seq)),
        }
        for path, text in files.items():
            atomic.write_text(path, text)
            written.add(path)
        for labels in seq.labels:
            dst = folder / "img1" / f"{labels['frame'] + 1:06d}.png"
            place_image(dataset.root, sensor_file(seq.scene_id, labels["frame"], seq.sensor, "rgb.png"), dst)
            written.add(dst)
    remove_stale(out, written, LAYOUT)
    return out
