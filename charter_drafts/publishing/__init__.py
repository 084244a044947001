"""Publishing: clause revisions, numbered immutable versions, their comparison and exports.

May use ``deliberation`` (a version lists the amendments merged since the previous one) and the
foundations. Not ``endorsements``.
"""
