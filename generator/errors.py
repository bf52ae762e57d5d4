"""Errors the CLI reports as one line and a non-zero exit."""


class ConfigError(ValueError):
    """A config key or value is wrong; the message names the key."""


def require(condition: bool, message: str) -> None:
    """Raise ConfigError(message) unless ``condition`` holds (config validation's one-line check)."""
    if not condition:
        raise ConfigError(message)


class OutputError(RuntimeError):
    """The output folder cannot be used (e.g. it holds a dataset made from a different config)."""


class RunAborted(RuntimeError):
    """A run stopped before rendering every scene for a reason no retry can fix (e.g. a replacement
    worker cannot open its renderer); what was written stays, and rerunning the command resumes."""


class TargetNotMet(RuntimeError):
    """No attempt of a scene within ``target.max_attempts`` satisfied the run's target. Recorded in
    failures.jsonl with kind ``target`` and never retried: the attempts are a pure function of the
    config and the scene index, so a retry would draw the same ones."""

    def __init__(self, message: str, attempts: int = 0):
        super().__init__(message)
        self.attempts = attempts
