"""The running drill: the world, its traffic, automation, faults, monitoring and alerts, commands applied through one API, snapshots and the journal."""
