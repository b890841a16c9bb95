"""The `Prefer` request header (RFC 7240) for `return=minimal`: a phone on one bar of signal needs
the stored record's id back, not its 500-fix track echoed as GeoJSON."""

from __future__ import annotations

import re

from django.utils.cache import patch_vary_headers

RETURN_MINIMAL = "return=minimal"

# One preference: everything up to a comma that is not inside a quoted string.
_PREFERENCE = re.compile(r'(?:[^,"]|"[^"]*")+')


def _preferences(header: str):
    """The header's preferences as (token, value) pairs, parameters after ';' dropped and a quoted
    value unquoted (§2). Both are lower-cased: tokens are case-insensitive, and the values `return`
    takes are ABNF literals (§4.2), which are too."""
    for item in _PREFERENCE.findall(header):
        # A ';' inside a quoted value can only cut short a preference other than `return`.
        preference = item.split(";", 1)[0].strip()
        if not preference:
            continue
        token, _sep, value = preference.partition("=")
        yield token.strip().lower(), value.strip().strip('"').lower()


def wants_minimal(request) -> bool:
    """Whether the client asked for `Prefer: return=minimal`. Sent twice, the first `return`
    preference counts (RFC 7240 §2)."""
    for token, value in _preferences(request.headers.get("Prefer", "")):
        if token == "return":
            return value == "minimal"
    return False


def applied(response, minimal: bool):
    """Marks the answer: it varies with Prefer, and says when the minimal form was used."""
    if minimal:
        response["Preference-Applied"] = RETURN_MINIMAL
    patch_vary_headers(response, ["Prefer"])
    return response
