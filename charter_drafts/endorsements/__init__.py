"""Endorsements: organisations endorse published versions; public requests the secretariat
verifies; the campaign's counts.

May use ``publishing`` (what is endorsed is a version), ``deliberation`` and the foundations.
"""
