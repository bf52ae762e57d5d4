"""Reading and writing plain data (JSON, YAML) with bounds, for every file the program reads: configs,
asset catalogs, mix files, datasets' own JSON, and files that come from elsewhere (``data.yaml``, COCO,
labeling-tool exports).

Why bounds: YAML aliases let a file of a few hundred bytes stand for billions of nodes (``a1: [*a0, *a0,
...]``, nine levels deep); a loader builds that as a small graph of shared objects, but the first code that
walks it (OmegaConf, ``repr`` in an error message, ``json.dumps``) expands it until the machine runs out of
memory. Deeply nested brackets make recursive parsers raise ``RecursionError``. So:

- YAML is composed into its node graph first and refused before anything is built when its expansion
  (every alias counted as often as it is reached) exceeds :func:`max_nodes` nodes or :func:`max_depth`
  levels;
- JSON has no aliases (its size is the file's), and nesting deeper than Python's parser allows becomes a
  one-line error instead of a traceback;
- :func:`short_repr` quotes a value in a message from bounded pieces, whatever the value, and
  :func:`clip_text` cuts a message another library built (which may quote a whole value).

Every error is one line that starts with the file (and ``:LINE:COL`` where the parser gives one), raised
as the caller's error type. Limits are raised with the environment variables ``SYNTHSENSE_MAX_YAML_NODES``
and ``SYNTHSENSE_MAX_YAML_DEPTH`` (read on each call).

Writing: :func:`dumps_json` refuses NaN and infinities (``allow_nan=False``), which are not JSON and which
strict readers (browsers, ``jq``, most non-Python parsers) reject.
"""

from __future__ import annotations

import json
import os
import reprlib
from pathlib import Path
from typing import Any

# A catalog of 8000 assets is ~90k nodes; OmegaConf builds ~20k nodes a second (910k took 41 s and 590 MB),
# so a larger limit lets a 1 KB file of aliases hold a run for minutes. 9^10 = 3.5e9 nodes from ten lines.
DEFAULT_MAX_YAML_NODES = 100_000
DEFAULT_MAX_YAML_DEPTH = 100  # configs nest a handful of levels


class PlainDataError(ValueError):
    """A plain-data file is unreadable, malformed or over a limit; the message is one line naming it."""


def max_nodes() -> int:
    """The most YAML nodes a document may expand to (aliases counted each time they are reached)."""
    return _limit("SYNTHSENSE_MAX_YAML_NODES", DEFAULT_MAX_YAML_NODES)


def max_depth() -> int:
    """The deepest YAML nesting (a scalar at top level has depth 1) a document may have."""
    return _limit("SYNTHSENSE_MAX_YAML_DEPTH", DEFAULT_MAX_YAML_DEPTH)


def _limit(variable: str, default: int) -> int:
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise PlainDataError(
            f"environment variable {variable}={short_repr(text)}: expected a positive integer"
        ) from None
    if value <= 0:
        raise PlainDataError(f"environment variable {variable}={value}: expected a positive integer")
    return value


_REPR = reprlib.Repr()
_REPR.maxlevel = 3
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 4
_REPR.maxstring = _REPR.maxother = 60


def short_repr(value: Any, limit: int = 80) -> str:
    """``repr(value)`` built from bounded pieces (at most 4 items per container, 3 levels, 60 characters
    per string) and cut to ``limit`` characters, on one line: safe for a value a hostile file built."""
    text = " ".join(_REPR.repr(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


MESSAGE_LIMIT = 600  # characters of a library's message (OmegaConf, Hydra) quoted in one of ours


def clip_text(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` cut to ``limit`` characters (the last three then ``...``): for a message another library
    built, which may quote a whole hostile value (OmegaConf puts a 400 KB list in one line)."""
    return text if len(text) <= limit else text[: max(limit - 3, 0)] + "..."


def read_text(path: Path, error: type[Exception] = PlainDataError) -> str:
    """UTF-8 text of ``path`` (a BOM is dropped); unreadable or not UTF-8: ``error`` naming the file."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(f"{path}:{line}: not UTF-8 text ({exc.reason})") from None


def loads_json(text: str, where: str, error: type[Exception] = PlainDataError) -> Any:
    """The JSON value of ``text``; ``where`` (a file, or ``FILE:LINE`` for a JSON-lines record) starts
    every message: "WHERE:LINE:COL: invalid JSON (msg)", "WHERE: nested too deeply ...".

    Python's parser accepts ``NaN`` and ``Infinity``, which are not JSON; they are refused here too."""
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise error(f"{where}:{exc.lineno}:{exc.colno}: invalid JSON ({exc.msg})") from None
    except _NonFinite as exc:
        raise error(f"{where}: invalid JSON ({exc.args[0]} is not a JSON number)") from None
    except RecursionError:
        raise error(f"{where}: invalid JSON (nested too deeply for the parser, over about 900 levels)") from None


class _NonFinite(Exception):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NonFinite(name)


def load_json(path: Path, error: type[Exception] = PlainDataError) -> Any:
    """The JSON value in the file ``path`` (see :func:`loads_json`)."""
    return loads_json(read_text(path, error), str(path), error)


def loads_yaml(text: str, where: str, error: type[Exception] = PlainDataError) -> Any:
    """The YAML value of ``text`` (safe loader: plain data only, never objects), after checking that its
    expansion stays within :func:`max_nodes` nodes and :func:`max_depth` levels. Errors name
    ``where:LINE:COL`` where the parser gives a position."""
    import yaml  # PyYAML comes with Hydra/OmegaConf

    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, where, error)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or exc
        raise error(f"{where}{at}: invalid YAML ({short_repr(str(problem), 200)[1:-1]})") from None
    except RecursionError:
        raise error(f"{where}: invalid YAML (nested too deeply for the parser, over about 300 levels)") from None
    finally:
        loader.dispose()


def load_yaml(path: Path, error: type[Exception] = PlainDataError) -> Any:
    """The YAML value in the file ``path`` (see :func:`loads_yaml`)."""
    return loads_yaml(read_text(path, error), str(path), error)


def _check_expansion(root: Any, where: str, error: type[Exception]) -> None:
    """Refuse a node graph whose tree expansion exceeds the node or depth limit. Each distinct node is
    visited once (sizes and heights are memoized by identity), so a bomb is measured without expanding it."""
    limit_nodes, limit_depth = max_nodes(), max_depth()
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    open_nodes: set[int] = set()  # on the current path: reaching one again is an alias to its own ancestor
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        children = _children(node)
        if not children_done:
            if key in size:
                continue
            if key in open_nodes:
                raise error(f"{where}: YAML alias refers to a node that contains it (a recursive structure)")
            open_nodes.add(key)
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in size)
            continue
        open_nodes.discard(key)
        size[key] = 1 + sum(size.get(id(c), 0) for c in children)
        height[key] = 1 + max((height.get(id(c), 0) for c in children), default=0)
        if size[key] > limit_nodes:
            raise error(
                f"{where}: YAML expands to over {limit_nodes} nodes (aliases reused many times?); refusing it "
                f"(raise the limit with SYNTHSENSE_MAX_YAML_NODES)"
            )
        if height[key] > limit_depth:
            raise error(
                f"{where}: YAML nested over {limit_depth} levels deep; refusing it "
                f"(raise the limit with SYNTHSENSE_MAX_YAML_DEPTH)"
            )


def _children(node: Any) -> list[Any]:
    import yaml

    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def dumps_json(obj: Any, indent: int | None = None, where: str = "JSON output") -> str:
    """``json.dumps`` that refuses NaN and infinities (not JSON) with a ValueError naming ``where``."""
    try:
        return json.dumps(obj, indent=indent, allow_nan=False)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc} (a NaN or infinite number reached the output)") from None
