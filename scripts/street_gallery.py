"""Render the README's street gallery: the default street's first frame with pyrender and with Blender
(the renderer's default settings), and the run's preview sheet, as small JPEGs under ``docs/gallery/``.

Each image is named ``street_<label>_<what>.jpg`` (what: pyrender, blender, preview), so a "before"
set rendered from one commit and an "after" set from a later one sit side by side in the README.

Usage: .venv/bin/python scripts/street_gallery.py --label after [--seed 0] [--scene 2] [--no-blender]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT = 640, 480
JPEG_QUALITY = 85


def _generate(out: Path, renderer: str, seed: int, scene: int, preview: bool) -> Path:
    """One still street scene (the default config otherwise) into ``out``; returns its first RGB frame."""
    overrides = [
        f"output_dir={out}",
        f"renderer={renderer}",
        f"seed={seed}",
        f"first_scene={scene}",
        "num_scenes=1",
        f"camera.width={WIDTH}",
        f"camera.height={HEIGHT}",
        f"output.preview={'true' if preview else 'false'}",
        "output.progress=false",
    ]
    subprocess.run([sys.executable, "-m", "synthsense", "generate", *overrides], check=True, cwd=ROOT)
    return next(iter(sorted(out.glob("scenes/*/000000/*.rgb.png"))))


def _save(source: Path, target: Path, width: int | None = None) -> None:
    image = Image.open(source).convert("RGB")
    if width is not None and image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
    image.save(target, quality=JPEG_QUALITY)
    print(f"wrote {target.relative_to(ROOT)} ({target.stat().st_size // 1024} kB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", required=True, help="before | after | any name for this set")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scene", type=int, default=2, help="scene index within the seed")
    parser.add_argument("--no-blender", action="store_true", help="skip the Blender frame (several seconds)")
    args = parser.parse_args()
    gallery = ROOT / "docs" / "gallery"
    gallery.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        frame = _generate(Path(tmp) / "pyrender", "pyrender", args.seed, args.scene, preview=True)
        _save(frame, gallery / f"street_{args.label}_pyrender.jpg")
        _save(Path(tmp) / "pyrender" / "preview.png", gallery / f"street_{args.label}_preview.jpg", width=1200)
        if not args.no_blender:
            frame = _generate(Path(tmp) / "blender", "blender", args.seed, args.scene, preview=False)
            _save(frame, gallery / f"street_{args.label}_blender.jpg")


if __name__ == "__main__":
    main()
