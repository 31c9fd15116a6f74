"""What a run is scored on: the outcome (downtime, lost writes, times to detect and mitigate) from the simulation's public tally, and the score."""
