"""Seeded random streams owned by the simulation.

Every source of randomness draws from its own named stream, derived from the
run's seed with a stable hash, so adding draws to one stream never shifts
another and the same seed always gives the same run. The global ``random``
module is never used.
"""

from __future__ import annotations

import hashlib
import random


class Streams:
    """Named, independent ``random.Random`` streams derived from one seed."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._streams: dict[str, random.Random] = {}

    def __getitem__(self, name: str) -> random.Random:
        stream = self._streams.get(name)
        if stream is None:
            digest = hashlib.sha256(f"{self.seed}:{name}".encode()).digest()
            stream = random.Random(int.from_bytes(digest[:8], "big"))
            self._streams[name] = stream
        return stream
