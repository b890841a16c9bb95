"""Every API rejection carries one sentence a person can read (`detail`), in the request's
language, beside DRF's per-field `errors` for programs."""

from rest_framework.views import exception_handler as drf_exception_handler


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
    return response
