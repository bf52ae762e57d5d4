"""Errors the CLI reports as one line and a non-zero exit."""


class ConfigError(ValueError):
    """A config key or value is wrong; the message names the key."""


class OutputError(RuntimeError):
    """The output folder cannot be used (e.g. it holds a dataset made from a different config)."""


class RunAborted(RuntimeError):
    """A run stopped before rendering every scene for a reason no retry can fix (e.g. a replacement
    worker cannot open its renderer); what was written stays, and rerunning the command resumes."""
