"""The client's address as the reverse proxies we trust saw it (settings.TRUSTED_PROXY_COUNT): what
the login lockout counts failures by. X-Forwarded-For is written by anyone, so only the entries our
own proxies appended are believed."""

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    address = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= count:
            try:
                address = str(ipaddress.ip_address(forwarded[-count]))
            except ValueError:
                pass  # not an address a proxy of ours wrote: keep REMOTE_ADDR
    return address
