"""The headless command line: ``spofdrill list|run|validate|schema|check|analyze|verify|assess|...``."""

from engine.cli.main import main

__all__ = ["main"]
