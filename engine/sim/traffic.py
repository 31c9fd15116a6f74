"""Client request rates over simulated time: constant, diurnal or spiky, with seeded jitter."""

from __future__ import annotations

import math
import random

from engine.scenario.schema import RateSpec

CLASSES = ("read", "write", "static")


class RateCurve:
    """Requests per second of one class from one client, as a function of time.

    Spike times and per-second jitter are drawn once, up front, from the
    client's own seeded stream, so the curve is a pure function of time.
    """

    __slots__ = ("base", "pattern", "amplitude", "period", "spikes", "factor", "spike_duration", "jitter")

    def __init__(self, spec: float | RateSpec, horizon: float, stream: random.Random) -> None:
        if not isinstance(spec, RateSpec):
            spec = RateSpec(base=float(spec), noise=0.0)
        self.base = spec.base
        self.pattern = spec.pattern
        self.amplitude = spec.amplitude
        self.period = spec.period
        self.factor = spec.spike_factor
        self.spike_duration = spec.spike_duration
        self.spikes: list[float] = []
        if spec.pattern == "spiky":
            t = stream.expovariate(1.0 / spec.spike_every)
            while t < horizon:
                self.spikes.append(t)
                t += spec.spike_duration + stream.expovariate(1.0 / spec.spike_every)
        seconds = int(math.ceil(horizon)) + 1
        if spec.noise > 0:
            self.jitter = [1.0 + stream.uniform(-spec.noise, spec.noise) for _ in range(seconds)]
        else:
            self.jitter = None

    def at(self, t: float) -> float:
        """The rate at time ``t``."""
        rate = self.base
        if rate <= 0:
            return 0.0
        if self.pattern == "diurnal":
            rate *= 1.0 + self.amplitude * math.sin(2.0 * math.pi * t / self.period)
        elif self.pattern == "spiky":
            for start in self.spikes:
                if start > t:
                    break
                if t < start + self.spike_duration:
                    rate *= self.factor
                    break
        if self.jitter is not None:
            i = int(t)
            if i < len(self.jitter):
                rate *= self.jitter[i]
        return rate
