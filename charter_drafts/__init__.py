"""charter-drafts: the domain of drafting a charter together (no web code here).

The map (each package's own docstring says what it may use; ``pyproject.toml``'s import-linter
contracts check it, from the top down):

- ``demo/``: the demonstration charter, its members and content; uses everything below.
- ``endorsements/``, ``publishing/``, ``deliberation/``: the capabilities, each on its own; one
  uses another only as the layers in the contracts state (endorsements of published versions;
  versions that list the amendments merged since the previous one).
- ``charters``, ``structure``: a charter, its clauses' structure and its phases.
- ``people/`` (accounts, organisations, memberships, tokens, invitations, audit) and
  ``document/`` (the live Yjs document: schema, staging, update log, room state, store): the
  foundations, independent of each other.
- ``permissions``: the one ``can(member, action, target)``.
- ``models`` (the tables), ``database``; ``errors``; ``texts`` (translated messages).

The domain never imports ``server`` or the web framework.
"""

__version__ = "0.1.0"
