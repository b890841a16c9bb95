"""Pages: the activity list and detail, a person's history, and photos (served only to those who may see them)."""


from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.views import APIView

from people import selectors as people_selectors
from people.models import Person, Role
from riverwatch.dates import from_unix_ms
from waterways.selectors import waterway_list_rows
from waterways.serializers import ReachSerializer
from waterways.views import basemap_text

from . import privacy, scopes, selectors, services
from .forms import OverturnForm, RemoveParticipantForm, ReviewForm
from .models import Activity, Photo
from .params import ActivityParams
from .serializers import ActivityFeatureSerializer, activity_features, lonlat

PAGE_SIZE = 50


def _map_text():
    """Words the activity map script shows, translated here so the script stays language-free."""
    return {
        "legend": _("图例"),
        "network": _("河流与支沟"),
        "visited": _("本次巡到的河段"),
        "point": _("活动位置"),
        "details": _("查看详情"),
        "participants": _("参与人员"),
        "segment": _("第 %(n)s 段"),
        "no_location": _("本页的活动都没有位置信息。"),
        "load_failed": _("河道底图载入失败，请检查网络后刷新。"),
        **basemap_text(),
    }


def _track_quality(activity):
    """The cleaning audit with its millisecond stamps turned into times the template can show."""
    quality = dict(activity.track_quality or {})
    for key in ("gaps", "speed_flags"):
        quality[key] = [
            {**item, "start": from_unix_ms(item["from_ms"]), "end": from_unix_ms(item["to_ms"])} for item in quality.get(key, [])
        ]
    quality["dropped"] = sum(
        quality.get(key, 0) for key in ("fixes_dropped_inaccurate", "fixes_dropped_repeated", "fixes_in_unusable_segments")
    )
    return quality


def _filters(request):
    form = ActivityParams(request.GET)
    if form.is_valid():
        return form.validated_data, {}
    return {}, form.errors


@login_required
def activity_list(request):
    filters, errors = _filters(request)
    context = {
        "filters": request.GET,
        "filter_errors": errors,
        "kinds": Activity.Kind.choices,
        "statuses": Activity.Status.choices,
        "roles": Role.choices,
        "waterways": waterway_list_rows(),
        "has_filters": any(value for key, value in request.GET.items() if key != "page"),
        "map_text": _map_text(),
    }
    if errors:
        # A refused filter lists nothing: the whole list under a head that looks filtered would mislead.
        return render(request, "patrols/activity_list.html", context)
    page = Paginator(selectors.activity_list(request.user, **filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context.update({
        "listed": True,
        "page": page,
        "features": activity_features(page.object_list, viewer=request.user),
        "query": query.urlencode(),
        "figures": selectors.activity_list_figures(request.user, **filters),
        "role_label": Role(filters["role"]).label if filters.get("role") else "",
    })
    return render(request, "patrols/activity_list.html", context)


def _detail_page(request, pk, *, status=200):
    activity = selectors.activity_detail(request.user, pk)
    if activity is None:
        raise Http404(_("没有这条活动记录，或您无权查看。"))
    feature = ActivityFeatureSerializer(activity, context={"viewer": request.user}).data
    reaches = ReachSerializer(selectors.visited_reaches(activity), many=True).data
    reviewable = activity.status == Activity.Status.SUBMITTED
    can_review = reviewable and scopes.may_review(request.user, activity)
    can_correct = scopes.may_correct(request.user)
    return render(
        request,
        "patrols/activity_detail.html",
        {
            "activity": activity,
            "feature": feature,
            "reaches": reaches,
            "can_review": can_review,
            "review_blocked_reason": selectors.why_cannot_review(request.user, activity) if reviewable and not can_review else "",
            "can_overturn": can_correct and activity.status == Activity.Status.VERIFIED,
            "can_remove_participants": can_correct,
            "removed_participants": selectors.removal_trail(request.user, activity),
            "quality": _track_quality(activity),
            # The feature's geometry is the track when there is one; a point given as well is drawn
            # beside it (one geometry, so transforming it here costs nothing).
            "extra_point": lonlat(activity.point) if activity.track else None,
            "map_text": _map_text(),
        },
        status=status,
    )


@login_required
def activity_detail(request, pk):
    return _detail_page(request, pk)


@login_required
@require_POST
def activity_review(request, pk):
    activity = selectors.readable_activity(request.user, pk)
    if activity is None:
        raise Http404(_("没有这条活动记录，或您无权查看。"))
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(message for errors in form.errors.values() for message in errors))
        return redirect("activity-detail", pk=pk)
    try:
        services.review_activity(activity=activity, reviewer=request.user, **form.cleaned_data)
        messages.success(request, _("审核结果已保存。"))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    return redirect("activity-detail", pk=pk)


def _correctable_activity(request, pk, refusal):
    """The activity, if the login may read it (else 404) and correct records (else 403: the page
    never offered them the form)."""
    activity = selectors.readable_activity(request.user, pk)
    if activity is None:
        raise Http404(_("没有这条活动记录，或您无权查看。"))
    services.refuse_unless_may_correct(request.user, refusal)
    return activity


def _correction_refused(request, pk, reasons, *, status=400):
    """The activity page again, saying why, with a 4xx: nothing was changed."""
    messages.error(request, " ".join(reasons))
    return _detail_page(request, pk, status=status)


def _form_reasons(form):
    return [message for errors in form.errors.values() for message in errors]


@login_required
@require_POST
def activity_overturn(request, pk):
    activity = _correctable_activity(request, pk, services.OVERTURN_REFUSED)
    form = OverturnForm(request.POST)
    if not form.is_valid():
        return _correction_refused(request, pk, _form_reasons(form))
    try:
        services.overturn_verification(activity=activity, by=request.user, note=form.cleaned_data["note"])
    except services.NotVerified as error:
        return _correction_refused(request, pk, error.messages, status=409)
    except ValidationError as error:
        return _correction_refused(request, pk, error.messages)
    messages.success(request, _("已撤销审核，这条记录已驳回。"))
    return redirect("activity-detail", pk=pk)


@login_required
@require_POST
def activity_participant_remove(request, pk, person_id):
    activity = _correctable_activity(request, pk, services.REMOVAL_REFUSED)
    person = get_object_or_404(Person, pk=person_id)
    form = RemoveParticipantForm(request.POST)
    if not form.is_valid():
        return _correction_refused(request, pk, _form_reasons(form))
    try:
        services.remove_participant(activity=activity, person=person, by=request.user,
                                    reason=form.cleaned_data["reason"])
    except services.NotAParticipant as error:
        return _correction_refused(request, pk, error.messages, status=404)
    except ValidationError as error:
        return _correction_refused(request, pk, error.messages)
    messages.success(request, _("已移除 %(name)s，其服务记录不再计入。") % {"name": person.name})
    return redirect("activity-detail", pk=pk)


class ActivityPhotoFile(APIView):
    """A stored photo or its thumbnail, to whoever may read the activity: browsers by session,
    scripts by token (hence a DRF view). Never served from /media/ directly."""

    schema = None  # a JPEG, linked from the API's photo URLs; not itself part of the JSON API

    def get(self, request, pk, photo_pk, variant):
        if variant not in ("full", "thumb") or not scopes.readable_by(request.user).filter(pk=pk).exists():
            raise Http404
        photo = get_object_or_404(Photo, pk=photo_pk, activity_id=pk)
        field = photo.thumbnail if variant == "thumb" else photo.image
        response = FileResponse(field.open("rb"), content_type="image/jpeg")
        response["Cache-Control"] = "private, max-age=86400"
        return response


@login_required
def person_history(request, pk):
    # Everyone may look up people on the register; people no longer on it only staff.
    people = Person.objects.all() if people_selectors.is_office_staff(request.user) else people_selectors.people_visible_to(request.user)
    person = get_object_or_404(people.select_related("town", "village", "user"), pk=pk)
    visible = scopes.readable_by(request.user)
    records = selectors.person_history(person).filter(activity__in=visible)
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    summary = selectors.person_summary(person, visible)
    return render(
        request,
        "patrols/person_history.html",
        {
            "person": person,
            "page": page,
            "show_phone": people_selectors.may_see_phone(request.user, person),
            "summary": summary,
            "distance_km": (summary["distance_m"] or 0) / 1000,
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


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def my_data_export(request):
    """Your own data, to keep or take elsewhere (China's Personal Information Protection Law): GET
    says what it holds, POST answers a zip of data.json and tracks.gpx (patrols.privacy)."""
    person = people_selectors.person_of(request.user)
    if person is not None and request.method == "POST":
        response = HttpResponse(privacy.export_zip(person, absolute_url=request.build_absolute_uri),
                                content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{privacy.export_filename(person)}"'
        response["Cache-Control"] = "no-store"
        return response
    return render(request, "patrols/my_data_export.html", {
        "person": person,
        "summary": privacy.export_summary(person) if person is not None else None,
    })
