"""The client's IP address, trusting X-Forwarded-For only behind a declared proxy."""

from __future__ import annotations

import ipaddress
import os

from django.http import HttpRequest

_TRUSTED_PROXIES = [
    ipaddress.ip_network(item.strip())
    for item in os.environ.get("SOCLE_TRUSTED_PROXIES", "").split(",")
    if item.strip()
]


def client_ip(request: HttpRequest) -> str | None:
    """Return the address of the client that made the request."""
    remote = request.META.get("REMOTE_ADDR") or None
    if remote and _TRUSTED_PROXIES:
        try:
            from_proxy = any(ipaddress.ip_address(remote) in net for net in _TRUSTED_PROXIES)
        except ValueError:
            from_proxy = False
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if from_proxy and forwarded:
            candidate = forwarded.split(",")[-1].strip()
            try:
                ipaddress.ip_address(candidate)
            except ValueError:
                return remote
            return candidate
    return remote
