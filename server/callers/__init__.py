"""Who is calling, for both the web and the live side: credentials (session cookie or API
token) and the caller's membership (``auth``), their language (``language``), whether their
origin is ours (``origins``), the sign-in throttle (``throttle``).

May use: ``settings`` and the domain.
"""
