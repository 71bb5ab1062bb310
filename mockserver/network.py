"""Which hosts only this machine can reach: the one loopback test for the CLI, control API and proxy.

``127.0.0.0/8``, ``::1`` (bracketed or not, with or without a zone) and the names ``localhost``
and ``*.localhost`` (RFC 6761) are loopback; every other name is not, because a name can resolve anywhere.
"""

from __future__ import annotations

import ipaddress

__all__ = ["is_loopback"]


def is_loopback(host: str) -> bool:
    """True when ``host`` (an address or name, as given to ``--host``) is loopback only."""
    name = host.strip().strip("[]").split("%", 1)[0].rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):  # RFC 6761: never leaves the machine
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
