"""What every operation of the API may answer besides its success, added to the OpenAPI schema once
(a drf-spectacular postprocessing hook) instead of on each view: every refusal has the same shape
(riverwatch/api_errors.py), and a client generated from the schema must know each code it can get."""

from __future__ import annotations

ERROR_SCHEMA = {
    "type": "object",
    "description": "A refusal: one sentence a person can read (in the request's Accept-Language), "
                   "and for a 400 the per-field messages.",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "e.g. sign_in_again, locked_out, unstorable_text"},
        "errors": {"description": "per field (400 only)", "oneOf": [{"type": "object"}, {"type": "array"}]},
    },
    "required": ["detail"],
}

DESCRIPTIONS = {
    "400": "The request was wrong; `detail` says what (and `errors` per field).",
    "401": "Not signed in, or the token expired (WWW-Authenticate: Token).",
    "403": "Signed in, but not allowed.",
    "404": "No such record, or not one you may read.",
    "409": "The client_uuid is already used by a different record.",
    "413": "The body is larger than allowed.",
    "415": "The body's media type is not accepted.",
    "429": "Too many requests (or too many failed logins): wait for Retry-After.",
}
# Answered before the app sees the request (gunicorn's limit_request_line, or a proxy's), not as JSON.
URI_TOO_LONG = {"description": "The address (path and query) is longer than the server reads (about 4 KB)."}
BODY_METHODS = {"post", "put", "patch"}


def _codes(path: str, method: str, operation: dict) -> list[str]:
    codes = ["400", "401", "403"]
    if "{" in path:
        codes.append("404")
    if method in BODY_METHODS:
        codes += ["413", "415"]
    # The outbox's keyed writes: an activity, and a move on a problem.
    if method == "post" and (path.startswith("/api/activities/") or path.endswith("/actions/")):
        codes.append("409")
    codes.append("429")  # throttles and the login lockout; a proxy may also answer it
    return codes


def document_errors(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for code in _codes(path, method, operation):
                operation["responses"].setdefault(code, {
                    "description": DESCRIPTIONS[code],
                    "content": {"application/json": {"schema": reference}},
                })
            operation["responses"].setdefault("414", URI_TOO_LONG)
    return result
