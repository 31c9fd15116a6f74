"""The spofdrill engine: the simulation, its formats and scoring, headless (no console imports)."""

__version__ = "0.1.0"
"""The program version when the package metadata is not installed; kept equal to pyproject.toml (a test checks)."""
