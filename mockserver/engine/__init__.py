"""The pure Rails/Ransack emulation: raw query bytes and rows in, statuses and ordered rows out.

Imports only the standard library, ``mockserver.model`` and ``mockserver.errors``; no I/O,
no clock, no environment (today is an argument).
"""
