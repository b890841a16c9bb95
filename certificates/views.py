"""Pages: the office's list of requests and certificates, the issue form with its preview, a
certificate (page and PDF: staff and the volunteer themself), a volunteer's request (from the profile
and from the phone), and the public verification page a certificate's QR code opens."""

from __future__ import annotations

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
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from people import selectors as people_selectors
from people.identity import id_type_label, masked_id, masked_name

from . import pdf, selectors, services
from .forms import DeclineForm, IssueForm, RequestForm
from .models import Certificate, CertificateRequest
from .params import CertificateListParams

PAGE_SIZE = 50
OPEN_REQUESTS_SHOWN = 100
FOUND_SHOWN = 20  # people listed by the issue form's search
SEARCH_MAX_CHARS = 64


def _require_staff(user):
    if not people_selectors.is_office_staff(user):
        raise PermissionDenied(_("只有河长办工作人员可以出具和管理志愿服务证明。"))


def _messages_of(error) -> list[str]:
    return list(getattr(error, "messages", None) or [str(error)])


def verification_url(request, certificate) -> str:
    return request.build_absolute_uri(reverse("certificate-verify", kwargs={"token": certificate.token}))


# --- the office -------------------------------------------------------------------------------------

@login_required
@require_GET
def certificate_list(request):
    _require_staff(request.user)
    reader = CertificateListParams(request.GET)
    year_errors = [] if reader.is_valid() else [str(message) for message in reader.errors.get("year", [])]
    year = reader.validated_data.get("year") if not year_errors else None
    waiting = selectors.open_requests()
    context = {
        "open_requests": waiting[:OPEN_REQUESTS_SHOWN],
        "open_count": waiting.count(),
        "decline_form": DeclineForm(),
        "year": year,
        "year_typed": request.GET.get("year", ""),
        "year_errors": year_errors,
    }
    if year_errors:
        return render(request, "certificates/certificate_list.html", context, status=400)
    context["page"] = Paginator(selectors.certificate_list(year), PAGE_SIZE).get_page(request.GET.get("page"))
    context["query"] = urlencode({"year": year}) if year is not None else ""  # the pager keeps the year
    return render(request, "certificates/certificate_list.html", context)


def _whole_number(text):
    text = str(text or "")
    return int(text) if text.isdigit() and len(text) <= 9 else None


def _open_request(pk):
    if not pk:
        return None
    return CertificateRequest.objects.filter(pk=pk, status=CertificateRequest.Status.OPEN).select_related("person").first()


def _chosen_person(form):
    """The person the form names, if a certificate may be issued to them (else None: the search shows)."""
    if form.is_bound and form.is_valid():
        return form.cleaned_data["person"]
    pk = _whole_number(form["person"].value())
    return selectors.people_to_certify().filter(pk=pk).first() if pk else None


def _issue_page(request, form, *, preview=None, problems=(), asked=None, query="", status=200):
    chosen = _chosen_person(form)
    # Thousands are on the register: the form searches (name or phone) and lists a few, no <select> of all.
    found = list(selectors.find_people_to_certify(query, limit=FOUND_SHOWN + 1)) if query and chosen is None else None
    kept = {name: form[name].value() for name in ("start", "end", "content", "request")}
    return render(request, "certificates/certificate_issue.html", {
        "form": form,
        "chosen": chosen,
        "query": query,
        "found": found[:FOUND_SHOWN] if found is not None else None,
        "more_found": found is not None and len(found) > FOUND_SHOWN,
        # 更换: the search again (q present, even empty: a request's person is not put back), the rest kept.
        "change_query": urlencode({"q": "", **{name: _as_text(value) for name, value in kept.items() if value}}),
        "preview": preview,
        "problems": problems,
        "asked": asked,
        "issuer": selectors.issuer_settings(),
    }, status=status)


def _as_text(value):
    return value.isoformat() if isinstance(value, date) else str(value)


def _search_text(value) -> str:
    return (value or "").strip()[:SEARCH_MAX_CHARS]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def certificate_issue(request):
    """GET with person, start and end: the preview (hours counted, records listed apart). POST: issue.
    GET without a person: the empty form, or with ?request=<id> one filled in from a volunteer's request."""
    _require_staff(request.user)
    if request.method != "POST" and ("person" not in request.GET or "find" in request.GET):
        # The empty form, a search for the person (?q=, keeping what was typed: 查找 searches again even
        # with someone ticked in the last list), or a volunteer's request.
        today = timezone.localdate()
        asked = _open_request(_whole_number(request.GET.get("request")))
        initial = {"start": request.GET.get("start") or date(today.year, 1, 1), "end": request.GET.get("end") or today,
                   "content": request.GET.get("content", "")}
        if asked is not None:
            initial.update({"start": asked.period_start, "end": asked.period_end, "request": asked.pk})
            if "q" not in request.GET:
                initial["person"] = asked.person_id
        return _issue_page(request, IssueForm(initial=initial), asked=asked, query=_search_text(request.GET.get("q")))

    form = IssueForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        return _issue_page(request, form, status=400)
    data = form.cleaned_data
    asked = _open_request(data["request"])
    if data["request"] and asked is None:
        form.add_error(None, _("这份申请已经处理过了，或者不存在。"))
        return _issue_page(request, form, status=400)
    found = selectors.preview(data["person"], data["start"], data["end"])
    if request.method == "POST":
        try:
            certificate = services.issue_certificate(person=data["person"], first=data["start"], last=data["end"],
                                                     content=data["content"], by=request.user, request=asked)
        except ValidationError as error:
            return _issue_page(request, form, preview=found, problems=_messages_of(error), asked=asked, status=400)
        messages.success(request, _("已出具志愿服务证明 %(number)s。") % {"number": certificate.number})
        return redirect("certificate-detail", pk=certificate.pk)
    return _issue_page(request, form, preview=found, asked=asked)


@login_required
@require_POST
def request_decline(request, pk):
    _require_staff(request.user)
    asked = get_object_or_404(CertificateRequest, pk=pk)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            services.decline_request(request=asked, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            messages.error(request, " ".join(_messages_of(error)))
        else:
            messages.success(request, _("已答复 %(name)s：不予出具。") % {"name": asked.person.name})
            return redirect("certificate-list")
    else:
        messages.error(request, " ".join(message for errors in form.errors.values() for message in errors))
    return redirect("certificate-list")


# --- one certificate: staff and the volunteer themself ----------------------------------------------

def _readable_certificate(request, pk) -> Certificate:
    certificate = Certificate.objects.select_related("person", "issued_by").filter(pk=pk).first()
    if certificate is None or not people_selectors.is_self_or_staff(request.user, certificate.person):
        raise Http404(_("没有这份证明，或您无权查看。"))
    return certificate


@login_required
@require_GET
def certificate_detail(request, pk):
    certificate = _readable_certificate(request, pk)
    return render(request, "certificates/certificate_detail.html", {
        "certificate": certificate,
        "masked_id": masked_id(certificate.id_type, certificate.id_tail),
        "verification_url": verification_url(request, certificate),
        "is_staff": people_selectors.is_office_staff(request.user),
    })


@login_required
@require_GET
def certificate_pdf(request, pk):
    certificate = _readable_certificate(request, pk)
    response = HttpResponse(pdf.certificate_pdf(certificate, verification_url(request, certificate)),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="certificate-{certificate.year}-{certificate.serial:04d}.pdf"'
    response["Cache-Control"] = "private, no-store"  # a person's ID type and number, even masked
    return response


# --- a volunteer asks for one ---------------------------------------------------------------------

def _request_page(request, template, done_url):
    person = people_selectors.person_of(request.user)
    status = 200
    if request.method == "POST":
        form = RequestForm(request.POST)
        if person is None:
            form.add_error(None, _("您的账号还没有关联人员档案，请联系河长办工作人员。"))
        elif form.is_valid():
            data = form.cleaned_data
            try:
                services.request_certificate(person=person, first=data["start"], last=data["end"],
                                             note=data["note"], by=request.user)
            except (ValidationError, PermissionDenied) as error:
                for message in _messages_of(error):
                    form.add_error(None, message)
            else:
                messages.success(request, _("申请已提交。河长办核对服务记录后出具证明，出具后可在这里下载。"))
                return redirect(done_url(person))
        status = 400
    else:
        today = timezone.localdate()
        form = RequestForm(initial={"start": date(today.year, 1, 1), "end": today})
    context = {"form": form, "person": person}
    if person is not None:
        context.update({
            "star": selectors.star_level_of(person),
            "open_request": selectors.open_request_of(person),
            "requests": selectors.requests_of(person),
            "certificates": selectors.certificates_of(person)[:20],
            "id_type_label": id_type_label(person.id_type),
            "masked_id": masked_id(person.id_type, person.id_tail),
        })
    return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def request_from_profile(request):
    """The profile's request form posts here; a refusal comes back on this page, in words."""
    return _request_page(request, "certificates/request.html",
                         lambda person: reverse("person-history", kwargs={"pk": person.pk}))


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def request_from_phone(request):
    """The phone's request page (online only: it is not one of the offline screens)."""
    return _request_page(request, "certificates/field_request.html", lambda person: reverse("field-certificate"))


# --- the public verification page -------------------------------------------------------------------

@never_cache
@require_GET
def verify(request, token):
    """No login. Confirms the number, the name (masked) and the hours, and nothing more."""
    certificate = selectors.certificate_by_token(token)
    if certificate is None:
        return render(request, "certificates/verify_not_found.html",
                      {"organisation": selectors.issuer_settings().organisation_name}, status=404)
    response = render(request, "certificates/verify.html", {
        "number": certificate.number, "name": masked_name(certificate.name), "hours": certificate.hours,
        "organisation": certificate.organisation_name,  # as printed on it, whatever the settings say now
    })
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
