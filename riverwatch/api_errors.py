"""Every API rejection carries one sentence a person can read (`detail`), in the request's
language, beside DRF's per-field `errors` for programs."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

# A program (the phone's outbox) must tell "sign in again, then resend" from "this record was refused".
# No login, a lapsed one or a bad token is 401 (`WWW-Authenticate: Token`: the token class is the
# first authentication class); a session whose CSRF token went stale is 403, as a refused record is.
# Both sign-in cases carry this code.
SIGN_IN_AGAIN = "sign_in_again"


def _first_message(errors):
    if isinstance(errors, dict):
        for field_name, value in errors.items():
            message = _first_message(value)
            if message:
                return message if field_name in ("non_field_errors", "detail") else f"{field_name}: {message}"
    elif isinstance(errors, list):
        for value in errors:
            message = _first_message(value)
            if message:
                return message
    elif errors:
        return str(errors)
    return ""


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, (dict, list)) and not (
        isinstance(response.data, dict) and set(response.data) <= {"detail", "code"}
    ):
        response.data = {"detail": _first_message(response.data), "errors": response.data}
    if response is not None and isinstance(response.data, dict) and _needs_sign_in(exc):
        response.data["code"] = SIGN_IN_AGAIN
    return response


def _needs_sign_in(exc):
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        return True
    # DRF's session authentication reports a missing or stale CSRF token this way.
    return isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed")


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def refuse_oversized(request, limit_bytes, message):
    """Checked on the declared length, before Django reads (or spools to disk) the body. `message`
    takes %(size)s and %(max)s in MB."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit_bytes:
        raise PayloadTooLarge(message % {"size": length / 1e6, "max": limit_bytes / 1e6})


def as_drf_error(error: DjangoValidationError) -> exceptions.ValidationError:
    """A domain refusal (django ValidationError) as the API's 400, field by field where it names fields."""
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError(error.message_dict)
    return exceptions.ValidationError({"non_field_errors": error.messages})
