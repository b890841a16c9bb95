"""Pages: the activity list and detail, a person's history, and photos (served only to those who may see them)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from people import selectors as people_selectors
from people.models import Person
from waterways.api import ReachSerializer
from waterways.selectors import waterway_list_rows

from . import api, selectors, services
from .models import Activity, Photo

PAGE_SIZE = 50


def _filters(request):
    form = api.ActivityFilterSerializer(data={key: value for key, value in request.GET.items() if value})
    if form.is_valid():
        return form.validated_data, {}
    return {}, form.errors


@login_required
def activity_list(request):
    filters, errors = _filters(request)
    activities = selectors.activity_list(request.user, **filters).prefetch_related("service_records__person", "photos")
    page = Paginator(activities, PAGE_SIZE).get_page(request.GET.get("page"))
    features = api.ActivityFeatureSerializer(page.object_list, many=True).data
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "patrols/activity_list.html",
        {
            "page": page,
            "features": features,
            "filters": request.GET,
            "filter_errors": errors,
            "query": query.urlencode(),
            "kinds": Activity.Kind.choices,
            "statuses": Activity.Status.choices,
            "waterways": waterway_list_rows(),
        },
    )


@login_required
def activity_detail(request, pk):
    activity = selectors.activity_detail(request.user, pk)
    if activity is None:
        raise Http404(_("没有这条活动记录，或您无权查看。"))
    feature = api.ActivityFeatureSerializer(activity).data
    reaches = ReachSerializer(selectors.visited_reaches(activity), many=True).data
    return render(
        request,
        "patrols/activity_detail.html",
        {
            "activity": activity,
            "feature": feature,
            "reaches": reaches,
            "can_review": activity.status == Activity.Status.SUBMITTED and selectors.can_review(request.user, activity),
            "review_blocked_reason": (
                selectors.why_cannot_review(request.user, activity)
                if activity.status == Activity.Status.SUBMITTED and not selectors.can_review(request.user, activity)
                else ""
            ),
            "raw_fix_count": len(getattr(getattr(activity, "raw_track", None), "fixes", []) or []),
        },
    )


@login_required
@require_POST
def activity_review(request, pk):
    activity = selectors.activities_visible_to(request.user).filter(pk=pk).first()
    if activity is None:
        raise Http404(_("没有这条活动记录，或您无权查看。"))
    try:
        services.review_activity(
            activity=activity, reviewer=request.user, decision=request.POST.get("decision", ""),
            note=request.POST.get("note", ""),
        )
        messages.success(request, _("审核结果已保存。"))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    return redirect("activity-detail", pk=pk)


@login_required
def activity_photo(request, pk, photo_pk, variant):
    if not selectors.activities_visible_to(request.user).filter(pk=pk).exists():
        raise Http404
    photo = get_object_or_404(Photo, pk=photo_pk, activity_id=pk)
    field = photo.thumbnail if variant == "thumb" else photo.image
    response = FileResponse(field.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    return response


@login_required
def person_history(request, pk):
    person = get_object_or_404(Person.objects.select_related("town", "village", "user"), pk=pk)
    visible = selectors.activities_visible_to(request.user)
    records = selectors.person_history(person).filter(activity__in=visible)
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "patrols/person_history.html",
        {
            "person": person,
            "page": page,
            "show_phone": people_selectors.may_see_phone(request.user, person),
            "summary": selectors.person_summary(person, visible),
            "teams": person.teams.all(),
            "chief_of": person.chief_assignments.select_related("waterway"),
        },
    )


@login_required
def my_history(request):
    person = people_selectors.person_of(request.user)
    if person is None:
        messages.info(request, _("您的账号还没有关联人员档案，请联系河长办工作人员。"))
        return redirect("activity-list")
    return redirect("person-history", pk=person.pk)
