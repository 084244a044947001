"""The HTTP side: a sign-in's path.

``routes/`` (the JSON API, one module per resource; ``routes/session`` signs in), ``pages``
and ``forms`` (HTML), ``security`` (CSRF, origin, headers), ``inputs`` (JSON bodies),
``errors`` (domain errors as responses), ``reads`` (a charter's current text), ``i18n`` (the
pages' texts), ``events`` (the Server-Sent Events stream).

May use: ``services`` (the live documents only through ``Services.rooms``), ``callers``,
``settings``, ``metrics`` and the domain. Never imports ``live``.
"""
