"""People and access: accounts, credentials, organisations, memberships, API tokens,
invitations and the audit log.

May use: ``permissions``, ``models``, ``database``, ``errors``, ``texts``. Not the live document,
nor any capability.
"""
