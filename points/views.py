"""Pages of the points scheme: the public boards, rules and village pages (no login: points are
meant to be seen), a person's statement (the person and the office's staff only) with its CSV, the
staff's adjustment on it, and the staff's redemption desk. Reads go through points.selectors,
writes through points.services; the page only reads the form and says what was refused."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.exceptions import ValidationError as ParamsError

from patrols.models import Activity
from people.models import Person
from people.selectors import is_office_staff, person_of
from problems.exports import safe_text
from riverwatch.dates import local_minute
from waterways.models import Village

from . import selectors, services
from .forms import AdjustmentForm, RedemptionForm
from .params import BoardParams, RedeemDeskParams, YearParams

PAGE_SIZE = 50
BOARD_SIZE = 20
YEARS_OFFERED = 5  # the year picker: this year and the four before


def _param_messages(error: ParamsError) -> list[str]:
    detail = error.detail if isinstance(error.detail, dict) else {"": error.detail}
    return [str(message) for messages_ in detail.values()
            for message in (messages_ if isinstance(messages_, list) else [messages_])]


def _read(params_class, query):
    """(values, messages): a bad parameter is a sentence in the user's language, never a 500."""
    try:
        return params_class.read(query), []
    except ParamsError as error:
        return None, _param_messages(error)


def _years(today: date, chosen: int | None = None) -> list[int]:
    years = list(range(today.year, today.year - YEARS_OFFERED, -1))
    if chosen is not None and chosen not in years:
        years = sorted([*years, chosen], reverse=True)
    return years


def _period_label(year: int, month: int | None) -> str:
    if month is None:
        return _("%(year)s 年全年") % {"year": year}
    return _("%(year)s 年 %(month)s 月") % {"year": year, "month": month}


def _presets(today: date, year: int | None, month: int | None) -> list[dict]:
    last_month = (today.year - (today.month == 1), 12 if today.month == 1 else today.month - 1)
    presets = [
        (_("本月"), today.year, today.month),
        (_("上月"), *last_month),
        (_("今年"), today.year, None),
        (_("去年"), today.year - 1, None),
    ]
    return [{"label": label, "query": urlencode({"year": y, **({"month": m} if m else {})}),
             "active": (y, m) == (year, month)} for label, y, m in presets]


def boards(request):
    """积分榜: people, villages and teams by the points earned in a month or a year (by the day the
    service was done, Beijing time). Spending points never lowers a place."""
    today = timezone.localdate()
    values, errors = _read(BoardParams, request.GET)
    context = {"errors": errors, "months": range(1, 13), "is_staff": is_office_staff(request.user),
               "me": person_of(request.user), "rules": _rule_sentences(selectors.rules_for_display(today)["current"])}
    if errors:
        context.update(years=_years(today), presets=_presets(today, None, None), chosen={})
        return render(request, "points/boards.html", context, status=400)
    year = values.get("year", today.year)
    month = values.get("month", today.month if "year" not in values else None)
    first, last = selectors.period_bounds(year, month)
    context.update({
        "year": year, "month": month, "period": _period_label(year, month), "first": first, "last": last,
        "chosen": {"year": year, "month": month}, "years": _years(today, year), "presets": _presets(today, year, month),
        "people": selectors.board_people(first, last, limit=BOARD_SIZE),
        "villages": selectors.board_villages(first, last, limit=BOARD_SIZE),
        "teams": selectors.board_teams(first, last, limit=BOARD_SIZE),
        "totals": selectors.period_totals(first, last),
        "future": first > today,
    })
    return render(request, "points/boards.html", context)


def _rule_sentences(rule_list) -> list[dict]:
    kinds = dict(Activity.Kind.choices)
    return [{"rule": rule, "sentence": selectors.describe_rule(rule),
             "kinds": [str(kinds.get(kind, kind)) for kind in rule.activity_kinds]} for rule in rule_list]


def rules_page(request):
    """积分规则: every rule as a sentence, in force, coming and ended; the settings; the catalogue."""
    today = timezone.localdate()
    shown = selectors.rules_for_display(today)
    return render(request, "points/rules.html", {
        "today": today,
        "current": _rule_sentences(shown["current"]),
        "coming": _rule_sentences(shown["coming"]),
        "ended": _rule_sentences(shown["ended"]),
        "yearly_expiry": selectors.yearly_expiry(),
        "items": selectors.catalogue(),
    })


def village(request, code):
    """A village's year: who took part, their verified hours, the points they earned, the most active."""
    place = get_object_or_404(Village.objects.select_related("town"), code=code)
    today = timezone.localdate()
    values, errors = _read(YearParams, request.GET)
    if errors:
        return render(request, "points/village.html", {"village": place, "errors": errors, "years": _years(today)},
                      status=400)
    year = values.get("year", today.year)
    return render(request, "points/village.html", {
        "village": place, "year": year, "summary": selectors.village_summary(place, year),
        "years": _years(today, year),
    })


# --- A person's statement ------------------------------------------------------------------------

def _readable_person(request, pk) -> Person:
    person = get_object_or_404(Person.objects.select_related("town", "village", "user"), pk=pk)
    if not selectors.may_read_statement(request.user, person):
        raise PermissionDenied(_("积分明细只有本人和河长办工作人员可以查看。"))
    return person


def _entries(person):
    return selectors.statement(person).select_related("made_by__person")


def _statement_page(request, person, *, form=None, status=200):
    is_staff = is_office_staff(request.user)
    waiting = selectors.pending(person)
    page = Paginator(_entries(person), PAGE_SIZE).get_page(request.GET.get("page"))
    if is_staff and form is None:
        form = AdjustmentForm(initial={"key": uuid.uuid4()})
    return render(request, "points/statement.html", {
        "person": person, "totals": selectors.totals(person), "pending": waiting,
        "pending_points": selectors.pending_total(waiting),
        "page": page, "is_staff": is_staff, "form": form, "is_self": person.user_id == request.user.pk,
    }, status=status)


@login_required
def my_statement(request):
    person = person_of(request.user)
    if person is None:
        messages.info(request, _("您的账号还没有关联人员档案，没有积分明细。请联系河长办工作人员。"))
        return redirect("points-boards")
    return redirect("points-statement", pk=person.pk)


@login_required
def statement(request, pk):
    return _statement_page(request, _readable_person(request, pk))


@login_required
@require_POST
def adjust(request, pk):
    """人工调整: staff only, with a reason; the form's hidden key makes a second send the same entry."""
    if not is_office_staff(request.user):
        raise PermissionDenied(_("只有河长办工作人员可以调整积分。"))
    person = _readable_person(request, pk)
    form = AdjustmentForm(request.POST)
    if form.is_valid():
        try:
            data = form.cleaned_data
            entry = services.adjust(person=person, amount=data["amount"], reason=data["reason"], by=request.user,
                                    key=str(data["key"]))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if entry.person_id != person.pk:  # a key of another person's form: never moves this one's points
                form.add_error(None, _("这张调整单已经用于另一人的积分，请刷新页面后重新填写。"))
            else:
                messages.success(request, _("已为%(name)s调整 %(amount)s 分，当前余额 %(balance)s 分。") % {
                    "name": person.name, "amount": f"{entry.amount:+}", "balance": selectors.balance(person)})
                return redirect("points-statement", pk=person.pk)
    return _statement_page(request, person, form=form, status=400)


def statement_columns() -> list[str]:
    return [_("记账时间"), _("所属日期"), _("积分"), _("类型"), _("触发事件"), _("原因"), _("操作人"), _("活动编号"),
            _("问题编号")]


def statement_rows(person):
    """One list of typed values per entry, newest first: numbers stay numbers, text is text."""
    for entry in _entries(person).iterator(chunk_size=500):
        yield [
            local_minute(entry.at),
            entry.earned_on.isoformat(),
            entry.amount,
            entry.get_kind_display(),
            entry.get_cause_display(),
            entry.reason,
            entry.made_by.display_name if entry.made_by_id else _("系统"),
            entry.activity_id,
            entry.problem_id,
        ]


@login_required
def statement_csv(request, pk):
    """The statement as a spreadsheet: UTF-8 with a byte-order mark (Excel reads Chinese then), the
    entries and a last row with the balance, which is their sum. Text that a spreadsheet would run
    as a formula gets a leading apostrophe (problems.exports.safe_text); numbers stay numbers."""
    person = _readable_person(request, pk)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(statement_columns())
    for row in statement_rows(person):
        writer.writerow([safe_text(value) if isinstance(value, str) else "" if value is None else value
                         for value in row])
    writer.writerow([_("余额"), "", selectors.balance(person), "", "", safe_text(person.name), "", "", ""])
    response = HttpResponse(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    filename = f"points-{person.pk}-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


# --- The redemption desk ---------------------------------------------------------------------------

def _desk_page(request, *, query="", selected=None, form=None, errors=(), status=200):
    if selected is not None and form is None:
        form = RedemptionForm(initial={"person": selected.pk, "client_uuid": uuid.uuid4(), "quantity": 1,
                                       "place": selectors.last_place(request.user)})
    return render(request, "points/redeem.html", {
        "query": query, "found": selectors.people_with_balances(query) if query else None,
        "selected": selected, "balance": selectors.balance(selected) if selected is not None else None,
        "form": form, "errors": list(errors), "items": selectors.catalogue(),
        "recent": selectors.recent_redemptions(),
    }, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def redeem(request):
    """积分兑换: staff find the person (name or phone), pick the item, the quantity and the place."""
    if not is_office_staff(request.user):
        raise PermissionDenied(_("只有河长办工作人员可以登记积分兑换。"))
    if request.method == "POST":
        return _redeem_post(request)
    values, errors = _read(RedeemDeskParams, request.GET)
    if errors:
        return _desk_page(request, errors=errors, status=400)
    selected = None
    if values.get("person") is not None:
        selected = Person.objects.filter(pk=values["person"], is_active=True).first()
        if selected is None:
            raise Http404(_("没有这个在册人员。"))
    return _desk_page(request, query=values.get("q", "").strip(), selected=selected)


def _redeem_post(request):
    form = RedemptionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            redemption = services.redeem(person=data["person"], item=data["item"], quantity=data["quantity"],
                                         place=data["place"], by=request.user, client_uuid=data["client_uuid"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            done = _("已为%(name)s兑换 %(item)s × %(quantity)s，扣除 %(points)s 分，当前余额 %(balance)s 分。")
            messages.success(request, done % {
                "name": redemption.person.name, "item": redemption.item.name, "quantity": redemption.quantity,
                "points": redemption.points, "balance": selectors.balance(redemption.person)})
            return redirect(reverse("points-redeem") + "?" + urlencode({"person": redemption.person_id}))
    selected = form.cleaned_data.get("person")
    if selected is None:
        selected = _person_from(request.POST.get("person", ""))
    return _desk_page(request, selected=selected, form=form, status=400)


def _person_from(value: str):
    """The person a refused form named, when it named one that exists: the desk shows them again."""
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    return Person.objects.filter(pk=int(text), is_active=True).first()

