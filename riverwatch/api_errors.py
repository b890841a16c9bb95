"""Every API rejection carries one sentence a person can read (`detail`), in the request's
language, beside DRF's per-field `errors` for programs."""

from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

# A program (the phone's outbox) must tell "sign in again, then resend" from "this record was refused":
# both are 403 with session authentication.
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
