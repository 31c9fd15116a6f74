"""The program's version when the package metadata is not installed; kept equal to pyproject.toml (a test checks)."""

__version__ = "0.1.0"
