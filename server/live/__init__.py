"""The live documents: a keystroke's path.

``entry`` routes a websocket upgrade to ``endpoint`` (over ``websocket_protocol``, our
sans-I/O websocket); ``protocol`` decodes the y-protocols message; ``rooms`` opens the charter's
``room``, which vets the update in staging and hands it to the ``writer`` (group commit), then
broadcasts it through ``frames`` to every ``connection`` and, with several processes, through
``fanout``; ``events`` raises the charter's domain events for the web's event stream.

May use: ``callers``, ``settings``, ``metrics``, ``logs`` and the domain. Never ``web`` or
``services``.
"""
