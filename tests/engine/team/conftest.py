"""The team-drill tests' host fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from team_support import start_host


@pytest.fixture
def host(data_dir: Path):
    """A host of lb-failover seed 3 (paused until the facilitator resumes); killed after the test."""
    started = start_host(data_dir)
    yield started
    if started.process.poll() is None:
        started.process.kill()
    started.process.wait(10)
