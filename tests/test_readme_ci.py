"""The README's two commands are the ones CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_starts_with_the_commands_ci_runs():
    blocks = re.findall(r"```bash\n(.*?)\n```", (ROOT / "README.md").read_text(), re.DOTALL)
    setup, tests = blocks[0].strip(), blocks[1].strip()
    ci = (ROOT / ".ci/run").read_text()
    assert setup in ci and tests in ci
    assert "synthsense generate" in setup and "pytest" in tests
