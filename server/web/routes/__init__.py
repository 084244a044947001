"""HTTP routes, one module per resource. Ids in paths are ``{name:id}``
(``server.web.inputs.IdConvertor``, registered here, before any route is built)."""

import server.web.inputs  # noqa: F401  (registers the ``id`` path convertor)
