"""Mix synthetic and real datasets into one training set (``synthsense mix MIX.yaml``).

    from mixing import mix
    result = mix("mix.yaml", overrides=["synthetic_share=0.5"], overwrite=True)

Modules, one job each: ``config`` (schema, loading, validation), ``taxonomy`` (class mapping and object
filters), ``selection`` (groups, splits, synthetic share, class caps: pure, no I/O), ``output`` (the
temporary folder, image placement, annotation files, the atomic swap), ``report`` (report.md and the
bar chart), ``api`` (``mix`` and ``MixResult``). The README section "Mixing synthetic and real data"
states the semantics.
"""

from __future__ import annotations

from mixing.api import MixResult, mix
from mixing.errors import MixError

__all__ = ["MixError", "MixResult", "mix"]
