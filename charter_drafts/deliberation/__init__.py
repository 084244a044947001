"""Deliberation: comments anchored in the live text, amendments that merge into it, their
moderation and the consultation report.

May use the foundations (``charters``, ``structure``, ``people``, ``document``, ``permissions``
and below). Not ``publishing`` or ``endorsements``.
"""
