"""Plumbing every layer may use: atomic file writes, the data folder, the parallel runner."""
