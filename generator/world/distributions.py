"""Distributions written in YAML, parsed once and sampled with an explicit Generator.

See ``configs/schema.py`` for the YAML forms. Parsing errors raise ConfigError naming the key.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from generator.errors import ConfigError
from scenes.plain_data import short_repr


@dataclass(frozen=True)
class Distribution:
    """A parsed distribution. ``kind`` is constant | uniform | normal | randint | choice."""

    key: str
    kind: str
    args: tuple
    weights: tuple[float, ...] | None = None
    clip: tuple[float, float] | None = None

    def support(self) -> tuple[float, float]:
        """Smallest and largest value the distribution can draw (infinite for an unclipped normal)."""
        if self.kind in ("constant", "choice"):
            return min(self.args), max(self.args)
        if self.kind == "normal":
            return self.clip if self.clip else (-np.inf, np.inf)
        return self.args[0], self.args[1]

    def draws_integers(self) -> bool:
        """True when every draw is an integer (randint, or constants/choices of integers)."""
        if self.kind == "randint":
            return True
        return self.kind in ("constant", "choice") and all(isinstance(a, int) for a in self.args)

    def sample(self, rng: np.random.Generator) -> Any:
        """Draw one value (a Python float, int or choice item)."""
        if self.kind == "constant":
            return self.args[0]
        if self.kind == "uniform":
            return float(rng.uniform(self.args[0], self.args[1]))
        if self.kind == "normal":
            value = float(rng.normal(self.args[0], self.args[1]))
            return float(np.clip(value, *self.clip)) if self.clip else value
        if self.kind == "randint":
            return int(rng.integers(self.args[0], self.args[1], endpoint=True))
        index = int(rng.choice(len(self.args), p=self.weights))
        return self.args[index]


def _number(key: str, value: Any) -> float:
    """A finite number of a distribution spec: NaN or an infinity (``1e400`` parses as inf) would reach
    numpy's samplers (an OverflowError) or scene.json (a bare NaN), so it is refused here, naming the key."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{key}: expected a number, got {short_repr(value)}")
    if not math.isfinite(value):
        raise ConfigError(f"{key}: expected a finite number, got {value!r}")
    return float(value)


def _number_or_int(key: str, value: Any) -> int | float:
    """Every distribution in the configs draws numbers: keep ints as ints, reject anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return _number(key, value)


def _pair(key: str, value: Any, kind: str) -> tuple[float, float]:
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        raise ConfigError(f"{key}: '{kind}' takes a list of two numbers, got {short_repr(value)}")
    return _number(key, value[0]), _number(key, value[1])


_KINDS = ("constant", "uniform", "normal", "randint", "choice")


def _from_shorthand(key: str, text: str) -> dict[str, Any] | None:
    """``"uniform:1:3"`` -> ``{"uniform": [1, 3]}``. The colon form is for the command line: Hydra takes
    it as a plain string (``f(...)`` would be parsed as a Hydra function), and a string replaces the
    default mapping where a mapping override would be merged into it.
    Forms: constant:x, uniform:low:high, normal:mean:std[:clip_low:clip_high], randint:low:high,
    choice:a:b:... (equal weights)."""
    kind, sep, rest = text.partition(":")
    if not sep or kind.strip() not in _KINDS:
        return None
    kind = kind.strip()
    try:
        args = [ast.literal_eval(part.strip()) for part in rest.split(":")]
    except (ValueError, SyntaxError):
        raise ConfigError(f"{key}: cannot parse {short_repr(text)}; write e.g. uniform:1.0:3.0") from None
    if kind == "constant":
        return {"constant": args[0] if len(args) == 1 else args}
    if kind == "normal" and len(args) == 4:
        return {"normal": args[:2], "clip": args[2:]}
    return {kind: args}


def parse_distribution(key: str, spec: Any, labels: Sequence[str] | None = None) -> Distribution:
    """Parse a YAML distribution ``spec`` found at config key ``key``.

    ``labels``: the distribution draws one of these names instead of numbers (a name, ``{constant:
    name}`` or ``{choice: [names], weights: [...]}``; the shorthand ``choice:near:far`` too)."""
    if labels is not None:
        return _parse_labels(key, spec, tuple(labels))
    if isinstance(spec, str) and (shorthand := _from_shorthand(key, spec)) is not None:
        spec = shorthand
    if isinstance(spec, (int, float, str)) and not isinstance(spec, bool):
        return Distribution(key, "constant", (_number_or_int(key, spec),))
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{key}: expected a number or a distribution mapping, got {short_repr(spec)}")
    spec = dict(spec)
    kinds = [k for k in ("constant", "uniform", "normal", "randint", "choice") if k in spec]
    allowed_extra = {"choice": {"weights"}, "normal": {"clip"}}
    if len(kinds) != 1:
        raise ConfigError(
            f"{key}: a distribution needs exactly one of constant, uniform, normal, randint, choice; got {sorted(spec)}"
        )
    kind = kinds[0]
    extra = set(spec) - {kind} - allowed_extra.get(kind, set())
    if extra:
        raise ConfigError(f"{key}: unknown distribution key(s) {sorted(extra)} for '{kind}'")
    value = spec[kind]
    if kind == "constant":
        return Distribution(key, kind, (_number_or_int(key, value),))
    if kind == "uniform":
        low, high = _pair(key, value, kind)
        if high < low:
            raise ConfigError(f"{key}: uniform needs low <= high, got {list(value)}")
        return Distribution(key, kind, (low, high))
    if kind == "normal":
        mean, std = _pair(key, value, kind)
        if std < 0:
            raise ConfigError(f"{key}: normal needs std >= 0, got {std}")
        clip = _pair(key, spec["clip"], "clip") if "clip" in spec else None
        if clip is not None and clip[1] < clip[0]:
            # np.clip with low > high returns high for every draw: a constant, not the normal asked for
            raise ConfigError(f"{key}: normal clip needs low <= high, got {list(clip)}")
        return Distribution(key, kind, (mean, std), clip=clip)
    if kind == "randint":
        low, high = _pair(key, value, kind)
        if low != int(low) or high != int(high) or high < low:
            raise ConfigError(f"{key}: randint needs two integers low <= high, got {list(value)}")
        return Distribution(key, kind, (int(low), int(high)))
    return _parse_choice(key, value, spec.get("weights"))


def _parse_labels(key: str, spec: Any, labels: tuple[str, ...]) -> Distribution:
    """A distribution over names (see :func:`parse_distribution`)."""
    if isinstance(spec, str) and ":" in spec:
        kind, _, rest = spec.partition(":")
        if kind.strip() in ("constant", "choice"):
            spec = {kind.strip(): [part.strip() for part in rest.split(":")]}
    if isinstance(spec, str):
        spec = {"constant": spec}
    if not isinstance(spec, Mapping) or len(set(spec) & {"constant", "choice"}) != 1:
        raise ConfigError(f"{key}: expected one of {', '.join(labels)} or {{choice: [...]}}, got {short_repr(spec)}")
    spec = dict(spec)
    extra = set(spec) - {"constant", "choice", "weights"}
    if extra or ("weights" in spec and "choice" not in spec):
        raise ConfigError(f"{key}: unknown distribution key(s) {sorted(extra or {'weights'})}")
    options = spec.get("choice", spec.get("constant"))
    options = [options] if isinstance(options, str) else options
    if not isinstance(options, Sequence) or not options:
        raise ConfigError(f"{key}: expected a non-empty list of names, got {short_repr(options)}")
    for option in options:
        if option not in labels:
            raise ConfigError(f"{key}: unknown value {short_repr(option)}; known: {', '.join(labels)}")
    if "constant" in spec:
        if len(options) != 1:
            raise ConfigError(f"{key}: constant takes one name, got {short_repr(options)}")
        return Distribution(key, "constant", (options[0],))
    choice = _parse_choice(key, [0] * len(options), spec.get("weights"))
    return Distribution(key, "choice", tuple(options), weights=choice.weights)


def _parse_choice(key: str, options: Any, weights: Any) -> Distribution:
    if not isinstance(options, Sequence) or isinstance(options, str) or len(options) == 0:
        raise ConfigError(f"{key}: choice takes a non-empty list, got {short_repr(options)}")
    if weights is None:
        probs = tuple([1.0 / len(options)] * len(options))
    else:
        if not isinstance(weights, Sequence) or len(weights) != len(options):
            raise ConfigError(f"{key}: choice weights must be a list as long as the options ({len(options)})")
        w = np.array([_number(key, x) for x in weights])
        if (w < 0).any() or w.sum() <= 0:
            shown = short_repr(list(weights))
            raise ConfigError(f"{key}: choice weights must be >= 0 with a positive sum, got {shown}")
        probs = tuple((w / w.sum()).tolist())
    return Distribution(key, "choice", tuple(_number_or_int(key, o) for o in options), weights=probs)


def sample(key: str, spec: Any, rng: np.random.Generator) -> Any:
    """Parse and draw in one call (parsing is cheap; keeps call sites short)."""
    return parse_distribution(key, spec).sample(rng)


def weighted_choice(weights: dict[str, float], rng: np.random.Generator) -> str:
    """Draw a name with probability proportional to its weight (names sorted, so the draw does not
    depend on the mapping's order)."""
    names = sorted(weights)
    p = np.array([weights[n] for n in names], dtype=np.float64)
    return names[int(rng.choice(len(names), p=p / p.sum()))]
