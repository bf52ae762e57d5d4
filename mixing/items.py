"""The mixer's working records: an image that may enter the mix (``Candidate``), an image placed in a
split (``Placed``), and the tally of what was left out and why (``Drops``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from formats.records import ImageAnnotations

# Reasons an object or an image is left out, as the report spells them.
UNMAPPED = "unmapped category"
MAPPED_TO_NULL = "mapped to null"
LOW_VISIBILITY = "below min_visibility"
SMALL_BOX = "box below min_box_px"
EMPTY = "empty after filters"
CAPPED = "over a class cap"
REAL_UNUSED = "real image set aside (synthetic_share 1)"


@dataclass
class Candidate:
    """One image that may enter the mix, its objects already mapped to the mix's classes and filtered.

    Attributes:
        source: the source's name (mix config ``sources[*].name``).
        role: "real" or "synthetic".
        image: the image, whose objects' ``category`` is now a class of ``taxonomy.classes``.
        group: the split group, prefixed with the source name ("city_real/17", "synth/000003").
        order: the image's position in its source (a stable tie-break, never compared across sources).
    """

    source: str
    role: str
    image: ImageAnnotations
    group: str
    order: int

    @property
    def num_instances(self) -> int:
        return len(self.image.objects)

    def class_counts(self) -> Counter[str]:
        return Counter(obj.category for obj in self.image.objects)

    def units(self, share_by: str) -> int:
        """What one image adds to the synthetic share: 1 image, or its instances."""
        return 1 if share_by == "images" else self.num_instances


@dataclass
class Placed:
    """A candidate assigned to a split."""

    candidate: Candidate
    split: str


@dataclass
class Drops:
    """What the mix left out, per source and reason (objects and images), and the unmapped categories."""

    objects: dict[str, Counter[str]] = field(default_factory=dict)  # source -> reason -> objects
    images: dict[str, Counter[str]] = field(default_factory=dict)  # source -> reason -> images
    unmapped: dict[str, Counter[str]] = field(default_factory=dict)  # source -> source category -> objects
    missing: list[str] = field(default_factory=list)  # "<source>: <rel path>" of image files not found

    def object(self, source: str, reason: str, n: int = 1) -> None:
        self.objects.setdefault(source, Counter())[reason] += n

    def image(self, source: str, reason: str, n: int = 1) -> None:
        self.images.setdefault(source, Counter())[reason] += n

    def as_dict(self) -> dict[str, dict[str, dict[str, int]]]:
        """Sorted plain data (for mix.json and MixResult)."""

        def plain(table: dict[str, Counter[str]]) -> dict[str, dict[str, int]]:
            return {src: dict(sorted(c.items())) for src, c in sorted(table.items()) if c}

        return {"objects": plain(self.objects), "images": plain(self.images), "unmapped": plain(self.unmapped)}
