"""Template filters every page may use (registered as a builtin in settings.TEMPLATES)."""

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from .text import INVISIBLE, code_point

register = template.Library()


@register.filter(needs_autoescape=True)
def reveal_invisible(text, autoescape=True):
    """A note with its invisible characters (bidirectional overrides, zero-width) shown as visible
    marks, so a note cannot hide text or reverse what follows it."""
    escape = conditional_escape if autoescape else str
    parts, last = [], 0
    text = str(text or "")
    for match in INVISIBLE.finditer(text):
        parts.append(escape(text[last:match.start()]))
        parts.append(format_html('<span class="invisible-char" title="{}">{}</span>',
                                 code_point(match.group()), code_point(match.group())))
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(str(part) for part in parts))
