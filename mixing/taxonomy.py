"""Map a source's categories to the mix's classes, filter objects, and group images.

Taxonomy: each source has its own map (``taxonomy.map.<source>``: source category -> class, or null to
drop that category on purpose). A source category spelled exactly like a class maps to itself unless the
map says otherwise. Any other category is *unmapped*: with ``taxonomy.unmapped: drop`` its objects are
dropped and counted per source and category in the report; with ``error`` the first unmapped category
that labels an object stops the mix with one line naming source and category (categories a source
declares but never uses lose nothing, so they are not an error).

Filters, after mapping: ``min_visibility`` drops an object whose visibility is known (synthetic sources)
and below it; objects of unknown visibility (most real sources) are kept. ``min_box_px`` drops an object
whose box width or height is below it. ``drop_empty`` then drops images left with no object (including
images that had none to begin with).

Groups (images of one group never end up in two splits): ``group_by: dirname`` groups by the image's
folder, ``group_by: <key>`` by that key of the image's meta (COCO image field such as ``video_id``),
no ``group_by`` by the importer's group (a native dataset's scene_id; for other formats see
``formats.importers``). Groups are prefixed with the source name, so two sources never share one.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections import Counter
from collections.abc import Iterable

from formats.records import ImageAnnotations, ObjectAnnotation, SourceDataset
from mixing.config import FiltersConfig, SourceConfig, TaxonomyConfig
from mixing.errors import MixError
from mixing.items import EMPTY, LOW_VISIBILITY, MAPPED_TO_NULL, SMALL_BOX, UNMAPPED, Candidate, Drops
from scenes.plain_data import short_repr

_UNMAPPED = object()  # sentinel: no class and not dropped on purpose


def category_map(source: str, taxonomy: TaxonomyConfig) -> dict[str, str | None]:
    """Source category -> class (None: dropped on purpose) for the categories a source's map names,
    plus the identity for every class name not remapped."""
    mapping: dict[str, str | None] = {cls: cls for cls in taxonomy.classes}
    mapping.update(taxonomy.map.get(source, {}))
    return mapping


def map_objects(
    objects: Iterable[ObjectAnnotation],
    mapping: dict[str, str | None],
    source: str,
    taxonomy: TaxonomyConfig,
    drops: Drops,
) -> list[ObjectAnnotation]:
    """The objects with their category replaced by a class; unmapped ones dropped (counted) or an error."""
    kept: list[ObjectAnnotation] = []
    for obj in objects:
        target = mapping.get(obj.category, _UNMAPPED)
        if target is _UNMAPPED:
            if taxonomy.unmapped == "error":
                raise MixError(
                    f"taxonomy: source {short_repr(source)} category {short_repr(obj.category)} maps to no class "
                    f"(add it to taxonomy.map.{source}, or set taxonomy.unmapped: drop)"
                )
            drops.unmapped.setdefault(source, Counter())[obj.category] += 1
            drops.object(source, UNMAPPED)
        elif target is None:
            drops.object(source, MAPPED_TO_NULL)
        else:
            kept.append(obj if obj.category == target else dataclasses.replace(obj, category=target))
    return kept


def filter_objects(
    objects: list[ObjectAnnotation], filters: FiltersConfig, source: str, drops: Drops
) -> list[ObjectAnnotation]:
    """Objects that pass ``min_visibility`` (where visibility is known) and ``min_box_px``."""
    kept = []
    for obj in objects:
        if obj.visibility is not None and obj.visibility < filters.min_visibility:
            drops.object(source, LOW_VISIBILITY)
        elif obj.bbox[2] < filters.min_box_px or obj.bbox[3] < filters.min_box_px:
            drops.object(source, SMALL_BOX)
        else:
            kept.append(obj)
    return kept


def image_group(image: ImageAnnotations, src: SourceConfig, key: str) -> str:
    """The image's split group, prefixed with the source name. ``key`` names the config entry in errors."""
    if src.group_by is None:
        group = image.group
    elif src.group_by == "dirname":
        group = posixpath.dirname(image.rel_path) or "."
    elif src.group_by in image.meta and image.meta[src.group_by] is not None:
        group = str(image.meta[src.group_by])
    else:
        raise MixError(
            f"{key}.group_by: image {short_repr(image.rel_path)} of source {short_repr(src.name)} "
            f"has no {short_repr(src.group_by)}"
        )
    return f"{src.name}/{group}"


def candidates(
    dataset: SourceDataset,
    src: SourceConfig,
    key: str,
    taxonomy: TaxonomyConfig,
    filters: FiltersConfig,
    drops: Drops,
) -> list[Candidate]:
    """Every image of an imported source as a mix candidate: mapped, filtered, grouped.

    Args:
        dataset: the imported source.
        src: its config entry; ``key`` is that entry's config path ("sources.0") for error messages.
    """
    mapping = category_map(src.name, taxonomy)
    out = []
    for order, image in enumerate(dataset.images):
        objects = map_objects(image.objects, mapping, src.name, taxonomy, drops)
        objects = filter_objects(objects, filters, src.name, drops)
        if filters.drop_empty and not objects:
            drops.image(src.name, EMPTY)
            continue
        group = image_group(image, src, key)
        out.append(Candidate(src.name, src.role, dataclasses.replace(image, objects=objects), group, order))
    return out
