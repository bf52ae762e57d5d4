"""The mixer's one error type."""

from __future__ import annotations


class MixError(ValueError):
    """A mix config, source or output problem; the message is one line naming the key or file at fault.

    Kept free of ``generator`` (DESIGN.md: mixing imports formats and scenes only); the CLI lists it
    among its user errors, so ``synthsense mix`` prints it as one line and exits with status 2.
    """
