"""charter-drafts' web server: HTTP API, pages and the live-document websocket.

The map (import-linter contracts in ``pyproject.toml`` check it):

- ``app`` (the composition root), ``cli``, ``client`` (a Python live client for scripts, tests
  and benchmarks): the top.
- ``web/``: the HTTP side: routes (the JSON API), pages and forms, security middleware, inputs,
  errors, the event stream. It reaches the live documents only through the room service
  (``Services.rooms``), never by importing ``live``.
- ``services``: what a running server holds (store, writer, rooms, fan-out, throttles).
- ``live/``: the live documents: the websocket protocol and entry, the y-protocols codec,
  rooms and their connections, the update writer, the fan-out between processes. Never imports
  ``web`` or ``services``.
- ``callers/``: who is calling, used by both sides: credentials and membership, language,
  origin, the sign-in throttle.
- ``settings``, ``metrics``, ``logs``: the bottom.
"""
