"""Who may open the river-chief map and the reports: river chiefs and the office's staff."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from people import selectors as people_selectors
from people.models import Role


def is_chief(user) -> bool:
    """A person whose role is river chief, or who holds a chief post today."""
    person = people_selectors.person_of(user)
    if person is None or not person.is_active:
        return False
    return person.role == Role.CHIEF or bool(people_selectors.chief_waterway_ids(person))


def may_use_reports(user) -> bool:
    return people_selectors.is_office_staff(user) or is_chief(user)


def own_waterway_ids(user) -> list[int] | None:
    """The waterways a chief is chief of today; None for staff, who look at the whole district."""
    if people_selectors.is_office_staff(user):
        return None
    return people_selectors.chief_waterway_ids(people_selectors.person_of(user))


class ChiefOrStaff(BasePermission):
    message = _("只有河长和河长办工作人员可以查看河长地图和统计。")

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and may_use_reports(request.user))
