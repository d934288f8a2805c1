"""Talking to the Bot API: the one client builder, the shared rate limiter, the call journal, raw calls."""
