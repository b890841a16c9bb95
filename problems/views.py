"""Pages of the problem list: the list (清单) with its map and exports, a problem with its timeline and
the moves the viewer may make, my tasks (我的待办), a problem entered by the office, and photos (served
only to those who may read the problem). Reads go through problems.selectors, writes through
problems.services; problems.lifecycle says which buttons a viewer gets."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.exceptions import ValidationError as ParamsError

from people import selectors as people_selectors
from riverwatch.photos import PhotoError
from waterways.selectors import waterway_list_rows
from waterways.views import basemap_text

from . import exports, lifecycle, page_data, selectors, services
from .forms import OFFICE_SOURCES, ActionForm, NewProblemForm, now_for_input
from .models import Action, Category, NotFixedReason, ProblemPhoto, ResponsibleUnit, Source
from .params import STATE_CHOICES, ProblemListParams, list_filters

PAGE_SIZE = 50


def _map_text():
    """Words the problem maps show, translated here so the scripts stay language-free."""
    return {
        **basemap_text(),
        "legend": _("图例"),
        "network": _("河流与支沟"),
        "states": selectors.map_states(),
        "open_problem": _("查看问题"),
        "no_location": _("筛选出的问题都没有位置。"),
        "truncated": _("地图只画出前 %(n)s 个问题，请缩小筛选范围。") % {"n": page_data.MAP_LIMIT},
        "load_failed": _("河道底图载入失败，请检查网络后刷新。"),
        "picked": _("已选定位置：%(lon)s, %(lat)s"),
    }


def _read_params(request):
    """(validated parameters, errors): a bad value is said in Chinese, never a 500."""
    # A plain dict, not the QueryDict: DRF reads a boolean missing from HTML form data as False, which
    # would turn an absent ?overdue= into "not overdue". Repeated parameters become one comma list.
    params = {key: ",".join(value for value in request.GET.getlist(key) if value.strip()) for key in request.GET}
    try:
        return ProblemListParams.read({key: value for key, value in params.items() if value}), {}
    except ParamsError as error:
        detail = error.detail if isinstance(error.detail, dict) else {"": error.detail}
        return None, {key: [str(message) for message in (value if isinstance(value, list) else [value])]
                      for key, value in detail.items()}


def _filter_choices():
    return {
        "states": STATE_CHOICES,
        "categories": Category.choices,
        "sources": Source.choices,
        "units": ResponsibleUnit.objects.order_by("kind", "name").only("pk", "name", "is_active"),
        "waterways": waterway_list_rows(),
    }


@login_required
def problem_list(request):
    today = timezone.localdate()
    validated, errors = _read_params(request)
    context = {
        "filters": request.GET, "filter_errors": errors, **_filter_choices(),
        "has_filters": any(value for key, value in request.GET.items() if key != "page"),
        "map_text": _map_text(), "is_staff": people_selectors.is_office_staff(request.user),
        "kept_filters": page_data.kept_report_filters(request.GET, refused=errors),
    }
    if errors:
        return render(request, "problems/problem_list.html", context, status=400)
    filters = list_filters(validated)
    problems = selectors.problem_list(request.user, filters, today)
    # The office, who merges, sees on each row still open to merging whether it may duplicate another.
    rows = selectors.with_possible_duplicate(problems) if context["is_staff"] else problems
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context.update({
        "listed": True,
        "page": page,
        "rows": page_data.decorate(page.object_list, today),
        "counts": page_data.count_links(selectors.state_counts(request.user, filters, today), request.GET, validated),
        "report_chips": page_data.report_filter_chips(validated, request.GET),
        "map_data": page_data.map_points(problems, today),
        "query": query.urlencode(),
    })
    return render(request, "problems/problem_list.html", context)


@login_required
def problem_export(request, extension):
    today = timezone.localdate()
    validated, errors = _read_params(request)
    if errors:
        return render(request, "problems/problem_list.html", {
            "filters": request.GET, "filter_errors": errors, **_filter_choices(), "has_filters": True,
            "map_text": _map_text(), "kept_filters": page_data.kept_report_filters(request.GET, refused=errors)}, status=400)
    problems = selectors.problem_list(request.user, list_filters(validated), today)
    if extension == "csv":
        response = HttpResponse(exports.as_csv(problems, today), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(exports.as_xlsx(problems, today),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(extension, today)}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def my_tasks(request):
    today = timezone.localdate()
    tasks = selectors.tasks_of(request.user, today).select_related("unit", "waterway")
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "problems/my_tasks.html", {
        "page": page, "rows": page_data.decorate(page.object_list, today),
        "is_staff": people_selectors.is_office_staff(request.user),
        "person": people_selectors.person_of(request.user),
    })


# The fields each move's form shows besides the note.
ACTION_FIELDS = {
    Action.ASSIGN: ["unit", "deadline"],
    Action.SUPERVISE: ["deadline"],
    Action.CLOSE_NOT_FIXED: ["reason"],
    Action.MERGE: ["duplicate_of"],
    Action.RESOLVE: ["photos"],
    Action.REINSPECT: ["passed"],
}
# Moves that end or undo something: a red button.
DANGER_ACTIONS = {Action.REJECT, Action.CLOSE_NOT_FIXED, Action.SEND_BACK, Action.MERGE}


def _action_forms(problem, allowed, today, *, failed=None, typed=None):
    forms = []
    for action in allowed:
        move = lifecycle.MOVES[action]
        forms.append({
            "action": action, "label": Action(action).label, "needs_note": move.needs_note,
            "fields": ACTION_FIELDS.get(action, []), "danger": action in DANGER_ACTIONS,
            "open": action == failed, "typed": typed if action == failed else {},
        })
    return forms


def _detail_page(request, problem, *, status=200, failed=None, typed=None, error_messages=()):
    today = timezone.localdate()
    page_data.decorate([problem], today)
    allowed = lifecycle.allowed_actions(request.user, problem)
    is_staff = people_selectors.is_office_staff(request.user)
    context = {
        "problem": problem,
        "is_staff": is_staff,
        "lonlat": page_data.lonlat(problem.point_api),
        "events": problem.events.all(),
        "own_photos": problem.own_photos.all(),
        "activity_photos": problem.photos.all(),
        "duplicates": selectors.readable_by(request.user, problem.duplicates.all()).select_related("waterway"),
        "follow_ups": problem.follow_ups.all(),
        "action_forms": _action_forms(problem, allowed, today, failed=failed, typed=typed or {}),
        "candidates": page_data.duplicate_candidates(request.user, problem),
        "may_merge": Action.MERGE in allowed,
        "error_messages": list(error_messages),
        "kept_note": (typed or {}).get("note", "") if failed and failed not in allowed else "",
        "map_text": _map_text(),
    }
    if Action.ASSIGN in allowed:
        context["proposal"] = selectors.propose_unit(problem, today)
        context["units"] = ResponsibleUnit.objects.filter(is_active=True).order_by("kind", "name")
        context["default_deadline"] = selectors.default_deadline(problem.category, today)
        context["years_without_calendar"] = selectors.years_without_calendar(today, context["default_deadline"])
    if Action.SUPERVISE in allowed:
        context["supervise_deadline"] = problem.deadline if problem.deadline and problem.deadline >= today else None
    if Action.CLOSE_NOT_FIXED in allowed:
        context["reasons"] = NotFixedReason.choices
    return render(request, "problems/problem_detail.html", context, status=status)


def _readable_problem(request, pk):
    problem = selectors.problem_detail(request.user, pk)
    if problem is None:
        raise Http404(_("没有这个问题，或您无权查看。"))
    return problem


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def problem_detail(request, pk):
    if request.method == "POST":
        return problem_act(request, pk)
    return _detail_page(request, _readable_problem(request, pk))


def _messages_of(error):
    if hasattr(error, "message_dict"):
        return [message for messages_ in error.message_dict.values() for message in messages_]
    return list(getattr(error, "messages", [str(error)]))


@login_required
@require_POST
def problem_act(request, pk):
    """One move. Refused: the page again with the reason (403 not allowed, 400 incomplete) and what
    was typed; done: back to the page (POST, redirect, GET) with a message."""
    problem = _readable_problem(request, pk)
    form = ActionForm(request.POST, files=request.FILES)
    typed = {key: request.POST.get(key, "") for key in ("note", "unit", "deadline", "reason", "duplicate_of", "passed")}
    action = request.POST.get("action", "")
    if not form.is_valid():
        errors = [message for messages_ in form.errors.values() for message in messages_]
        return _detail_page(request, problem, status=400, failed=action, typed=typed, error_messages=errors)
    try:
        services.act(problem=problem, user=request.user, move=services.Move(**form.move_fields()))
    except PermissionDenied as error:
        return _detail_page(request, _readable_problem(request, pk), status=403, failed=action, typed=typed,
                            error_messages=[str(error) or _("你无权进行这项操作。")])
    except (ValidationError, PhotoError) as error:
        return _detail_page(request, _readable_problem(request, pk), status=400, failed=action, typed=typed,
                            error_messages=_messages_of(error))
    messages.success(request, _("已%(action)s。") % {"action": Action(action).label})
    return redirect("problem-detail", pk=pk)


@login_required
def problem_photo(request, pk, photo_pk, variant):
    if variant not in ("full", "thumb") or not selectors.readable_by(request.user).filter(pk=pk).exists():
        raise Http404
    photo = get_object_or_404(ProblemPhoto, pk=photo_pk, problem_id=pk)
    field = photo.thumbnail if variant == "thumb" else photo.image
    response = FileResponse(field.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def problem_new(request):
    if not people_selectors.is_office_staff(request.user):
        raise PermissionDenied(_("只有河长办工作人员可以登记问题。"))
    if request.method == "POST":
        form = NewProblemForm(request.POST, files=request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                problem = services.report(
                    by=request.user, source=data["source"], deputy=data.get("deputy"), photos=data.get("photos", ()),
                    new=services.NewProblem(category=data["category"], observed_at=data["observed_at"],
                                            note=data["note"], point=data["point"]),
                )
            except (ValidationError, PhotoError) as error:
                form.add_error(None, _messages_of(error))
            else:
                messages.success(request, _("问题 #%(id)s 已登记。请看下方是否与已有问题重复。") % {"id": problem.pk})
                return redirect("problem-detail", pk=problem.pk)
        status = 400
    else:
        form = NewProblemForm(initial={"observed_at": now_for_input(), "source": Source.HOTLINE})
        status = 200
    return render(request, "problems/problem_new.html", {
        "form": form, "sources": [(source.value, source.label) for source in OFFICE_SOURCES],
        "categories": Category.choices, "map_text": _map_text(),
    }, status=status)
