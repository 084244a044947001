"""charter-drafts: the domain of drafting a charter together (no web code here)."""

__version__ = "0.1.0"
