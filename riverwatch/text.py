"""Characters that change how text is shown without being seen: bidirectional overrides and isolates
(U+202A–U+202E, U+2066–U+2069, U+200E/U+200F, U+061C) and zero-width ones (U+200B–U+200D, U+2060,
U+FEFF). In a name they allow spoofing ("张三" that reads as someone else, or two names that look the
same): names are stored without them. In a note they are kept as written but shown visibly."""

from __future__ import annotations

import re

INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")


def without_invisible(text: str) -> str:
    """A name as it should be stored: the invisible characters removed."""
    return INVISIBLE.sub("", text or "")


def code_point(character: str) -> str:
    return f"U+{ord(character):04X}"
