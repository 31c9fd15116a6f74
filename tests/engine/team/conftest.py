"""The team-drill tests' host fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from team_support import running_host


@pytest.fixture
def host(data_dir: Path):
    """A host of lb-failover seed 3 (paused until the facilitator resumes); killed after the test."""
    yield from running_host(data_dir)
