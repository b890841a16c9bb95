"""{% load points %}: the points card on a person's profile (balance, pending, the last entries),
shown only to the person and the office's staff, and the points pages' own menu."""

from django import template

from people.selectors import is_office_staff

from .. import selectors

register = template.Library()

CARD_ENTRIES = 5


def _viewer(context):
    request = context.get("request")
    return getattr(request, "user", None) or context.get("user")


@register.inclusion_tag("points/_profile_card.html", takes_context=True)
def points_card(context, person):
    """The card on templates/patrols/person_history.html: nothing for anyone but the person and staff."""
    viewer = _viewer(context)
    if person is None or not selectors.may_read_statement(viewer, person):
        return {"shown": False}
    waiting = selectors.pending(person)
    return {
        "shown": True, "person": person, "is_self": person.user_id == viewer.pk,
        "balance": selectors.balance(person),
        "pending_points": selectors.pending_total(waiting),
        "pending_count": len(waiting),
        "entries": list(selectors.statement(person)[:CARD_ENTRIES]),
    }


@register.inclusion_tag("points/_nav.html", takes_context=True)
def points_nav(context):
    """积分榜 · 积分规则 · 我的积分 (signed in) · 积分兑换 (staff)."""
    viewer = _viewer(context)
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    return {
        "current": match.url_name if match else "",
        "signed_in": bool(viewer and viewer.is_authenticated),
        "is_staff": is_office_staff(viewer),
    }
