"""{% certificate_card person %}: the volunteer-service card on a person's profile (/people/<id>/):
star level, verified hours and the hours to the next star for everyone who may see the profile; the
certificates, the ID as printed (masked) and the volunteer number for the person and staff; the
request form and the public-board choice for the person only. patrols' profile template loads this
tag and imports nothing of certificates: the template tag is the seam."""

from datetime import date

from django import template
from django.utils import timezone

from people import selectors as people_selectors
from people.identity import id_type_label, masked_id

from .. import selectors
from ..forms import RequestForm

register = template.Library()


@register.inclusion_tag("certificates/_profile_card.html", takes_context=True)
def certificate_card(context, person):
    user = context.get("user")
    is_self = bool(user is not None and user.is_authenticated and person.user_id is not None
                   and person.user_id == user.pk)
    is_staff = people_selectors.is_office_staff(user)
    card = {"person": person, "is_self": is_self, "is_staff": is_staff, "star": selectors.star_level_of(person),
            "request": context.get("request")}
    if is_self or is_staff:
        card.update({
            "certificates": list(selectors.certificates_of(person)[:20]),
            "requests": list(selectors.requests_of(person, limit=3)),
            "id_type_label": id_type_label(person.id_type),
            "masked_id": masked_id(person.id_type, person.id_tail),
        })
    if is_self:
        today = timezone.localdate()
        card["open_request"] = next((asked for asked in card["requests"] if asked.status == "open"), None)
        card["request_form"] = RequestForm(initial={"start": date(today.year, 1, 1), "end": today})
    return card
