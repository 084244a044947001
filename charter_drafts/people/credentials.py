"""High-entropy secrets shown once (API tokens, invitation links); only their SHA-256 is kept."""

from __future__ import annotations

import hashlib
import secrets


def new_secret(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def digest(secret: str) -> str:
    # A fast hash is right here: the secret has 256 random bits, nothing to guess.
    return hashlib.sha256(secret.encode()).hexdigest()
