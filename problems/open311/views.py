"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): thin views that read the parameters
(params), read (selectors) or write (problems.services.report), and answer in the format the path
ends in (formats). Reads are public; creating a request needs an api_key (keys). docs/open311.md."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from waterways.service_area import buffer_km, storage_point

from ..models import Source
from ..services import NewProblem, report
from . import documents, params, selectors
from .errors import Open311Error, bad_request, not_found
from .formats import format_of_path, refuse, respond
from .keys import user_for_key

READ = ("GET", "HEAD")


def _method_not_allowed(fmt, allowed):
    response = refuse(fmt, Open311Error(405, _("这个地址不支持 %(methods)s 以外的请求方法。") % {
        "methods": "、".join(allowed)}))
    response["Allow"] = ", ".join(allowed)
    return response


def open311_view(*methods, csrf=True):
    """Answers an Open311Error, and a method the view does not take, in the spec's error format."""

    def wrap(view):
        def answered(request, *args, fmt, **kwargs):
            if request.method not in methods:
                return _method_not_allowed(fmt, methods)
            try:
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as error:
                return refuse(fmt, error)
            except (RequestDataTooBig, TooManyFieldsSent):
                # Django's own limits on a form (DATA_UPLOAD_MAX_*): a 400, in our format.
                return refuse(fmt, bad_request(_("请求内容太大或字段太多。")))

        answered.__name__ = view.__name__
        answered.__doc__ = view.__doc__
        return answered if csrf else csrf_exempt(answered)

    return wrap


@open311_view(*READ)
def discovery(request, fmt):
    base, key_page = documents.endpoint_urls(request)
    return respond(fmt, "discovery", documents.discovery(base, key_page))


@open311_view(*READ)
def services(request, fmt):
    return respond(fmt, "services", documents.services())


@open311_view(*READ)
def service_definition(request, code, fmt):
    return respond(fmt, "service_definition", documents.service_definition(params.service_code(code)))


# Machine clients post with an api_key, never with our cookies: nothing for CSRF to protect.
@open311_view("GET", "HEAD", "POST", csrf=False)
def service_requests(request, fmt):
    if request.method == "POST":
        return _create(request, fmt)
    query = params.requests_query(request.GET, timezone.now())
    rows = selectors.public_requests(query)
    today = timezone.localdate()
    return respond(fmt, "service_requests", [documents.service_request(row, today) for row in rows])


def _create(request, fmt):
    user = user_for_key((request.POST.get("api_key") or "").strip(), in_address=bool(request.GET.get("api_key")))
    new = params.new_request(request.POST)
    point = storage_point((new.lon, new.lat))
    if point is None:
        raise bad_request(_("位置（lat %(lat)s, long %(lon)s）不在张湾区及周边 %(km)s 公里内，本系统不受理。") % {
            "lat": new.lat, "lon": new.lon, "km": buffer_km()})
    try:
        problem = report(by=user, source=Source.OPEN311, new=NewProblem(
            category=new.service_code, observed_at=timezone.now(), note=new.description, point=point))
    except ValidationError as error:
        raise bad_request(*error.messages) from None
    return respond(fmt, "service_requests", documents.created(problem), status=201)


@open311_view(*READ)
def service_request(request, request_id, fmt):
    number = params.request_id(request_id)
    row = selectors.public_request(number) if number is not None else None
    if row is None:
        raise not_found(_("没有这个 service_request_id：“%(id)s”（或它不公开）。") % {"id": request_id[:40]})
    return respond(fmt, "service_requests", [documents.service_request(row, timezone.localdate())])


@csrf_exempt
def unknown(request, rest=""):
    """Any other address under the endpoint: a 404 in the spec's format (XML unless it ends in .json)."""
    fmt = format_of_path(request.path)
    return refuse(fmt, not_found(_("Open311 没有这个地址。可用的见 discovery.xml。")))
