"""The live document: the Yjs schema (``schema``), the staging document that vets client
updates (``staging``), the append-only update log and its snapshots (``update_log``), what a room
loads (``room_state``) and the blocking store runners (``store``).

May use: ``permissions``, ``models``, ``database``, ``errors``, ``texts``. Not ``people``, nor any
capability.
"""
