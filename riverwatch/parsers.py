"""The one JSON parser of the API: a body the app can store, or a 400 saying what was wrong.

DRF's own parser catches only ValueError: a body nested a thousand levels deep raised RecursionError
(a 500, even on the login endpoint), and a lone surrogate ("\\ud800") or a NUL ("\\u0000") passed
through to fail later, when hashed or when PostgreSQL refused the text."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Deeper than any body the app reads (a multi-segment track is four levels).
MAX_DEPTH = 64
# Lone UTF-16 surrogates cannot be encoded; PostgreSQL refuses NUL in text.
UNSTORABLE = re.compile("[\ud800-\udfff\x00]")


def unstorable_text(data, max_depth: int = MAX_DEPTH) -> str | None:
    """Why a parsed JSON value cannot be stored, or None. Walks without recursion; numbers (most of
    a track's body) are passed over where they are met rather than stacked one by one."""
    if isinstance(data, str):
        return _unstorable_string(data)
    stack = [(data, 1)] if isinstance(data, (dict, list)) else []
    while stack:
        value, depth = stack.pop()
        if depth > max_depth:
            return _("JSON 嵌套超过 %(max)s 层。") % {"max": max_depth}
        if isinstance(value, dict):
            if any(UNSTORABLE.search(key) for key in value):
                return _("JSON 的键里有无法保存的字符（空字符或孤立的 UTF-16 代理项）。")
            items = value.values()
        else:
            items = value
        for item in items:
            if isinstance(item, (dict, list)):
                stack.append((item, depth + 1))
            elif isinstance(item, str) and (reason := _unstorable_string(item)):
                return reason
    return None


def _unstorable_string(text: str) -> str | None:
    if UNSTORABLE.search(text):
        return _("JSON 的文字里有无法保存的字符（空字符 \\u0000 或孤立的 UTF-16 代理项如 \\ud800）。")
    return None


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON 嵌套太深，无法读取（最多 %(max)s 层）。") % {"max": MAX_DEPTH}) from None
        except ParseError as error:
            raise ParseError(_("请求内容不是有效的 JSON：%(reason)s") % {"reason": str(error.detail)[:200]}) from None
        reason = unstorable_text(data)
        if reason:
            raise ParseError(reason)
        return data
