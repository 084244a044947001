"""The demonstration charter: its original text (``content``) and the seeding of it, its
organisations and members (``seed``). May use everything in the domain."""
