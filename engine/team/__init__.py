"""Team drills: one host owns the simulation, participants join over a websocket.

:mod:`engine.team.protocol` declares the messages (JSON with a protocol version), :mod:`engine.team.codec`
turns snapshots into JSON data and back, :mod:`engine.team.roles` says who may do what,
:mod:`engine.team.host` is the host (aiohttp) and :mod:`engine.team.client` a participant's connection.
Nothing here imports Textual: the console's side is ``tui/remote.py``.
"""
