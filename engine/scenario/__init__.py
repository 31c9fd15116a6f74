"""The scenario language: its schema (declared once), the loader that reports every problem with file and line, and the topology graph."""
