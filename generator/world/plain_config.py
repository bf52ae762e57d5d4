"""Config nodes as plain Python, read once per scene.

An OmegaConf attribute read costs microseconds (key validation, interpolation, missing-value checks);
sampling reads the same few values thousands of times per scene (each placement attempt's motion model,
each material), so ``sample_scene`` converts the nodes it reads once into :class:`PlainNode` mappings:
the same keys, the same (resolved) values, read by attribute or by key as a DictConfig is.
"""

from __future__ import annotations

from typing import Any


class PlainNode(dict):
    """A resolved config mapping whose keys read as attributes too (``node.key`` is ``node["key"]``);
    a missing key raises AttributeError naming it, as a struct DictConfig's does."""

    __slots__ = ()

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"config has no key {key!r}") from None


def plain_config(node: Any) -> Any:
    """``node`` (a DictConfig, ListConfig or plain value) as plain data: mappings become
    :class:`PlainNode`, sequences lists, interpolations resolved; plain values are returned as they are."""
    from omegaconf import DictConfig, ListConfig, OmegaConf

    if isinstance(node, (DictConfig, ListConfig)):
        node = OmegaConf.to_container(node, resolve=True)
    return _wrap(node)


def _wrap(value: Any) -> Any:
    if isinstance(value, dict):
        return PlainNode((k, _wrap(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value
