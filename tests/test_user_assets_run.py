"""User mesh catalogs in a real run: the meshes join their category's pool and are labelled."""

from __future__ import annotations

import json

import trimesh

from scenes import load_scene
from synthsense.cli import main


def test_catalog_meshes_are_placed_and_labelled(tmp_path):
    # a y-up cylinder 12 cm tall: after conversion it must stand 12 cm tall along z
    mesh = trimesh.creation.cylinder(radius=0.04, height=0.12)
    mesh.apply_transform(trimesh.transformations.rotation_matrix(-1.5707963267948966, [1, 0, 0]))
    mesh.export(tmp_path / "tin.ply")
    (tmp_path / "catalog.yaml").write_text(
        "assets:\n  - name: tin\n    file: tin.ply\n    category: can\n    scale_range: [1.0, 1.0]\n    up_axis: y\n"
    )
    out = tmp_path / "ds"
    code = main(
        [
            "generate",
            "renderer=fake",
            "scene=tabletop",
            "num_scenes=3",
            "camera.width=96",
            "camera.height=72",
            "output.progress=false",
            f"output_dir={out}",
            f"scene.catalog={tmp_path / 'catalog.yaml'}",
            "scene.categories.can=50",
        ]
    )
    assert code == 0
    users = []
    for scene_json in sorted(out.glob("scenes/*/scene.json")):
        scene = load_scene(scene_json)
        users += [e for e in scene.labelled_entities() if e.asset.source == "file"]
    assert users, "with can weighted 50:5, some cans must come from the catalog"
    for e in users:
        assert e.category == "can" and e.asset.path == str(tmp_path / "tin.ply")
        assert abs(e.size_m[2] - 0.12) < 1e-6  # y-up turned z-up
    labels = json.loads(next(out.glob("scenes/*/000000/labels.json")).read_text())
    assert all(o["category"] in {"can", "box", "bottle", "mug", "bowl", "book"} for o in labels["objects"]["front"])
