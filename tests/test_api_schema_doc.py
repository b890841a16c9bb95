"""What a client generated from /api/schema/ is told besides each success: every refusal the API or
the server in front of it can give, and how to sign in with a token."""

import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(admin_user):
    client = Client()
    client.force_login(admin_user)
    return json.loads(client.get("/api/schema/", {"format": "json"}).content)


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield path, method, operation


def test_every_operation_documents_its_refusals(schema):
    found = list(operations(schema))
    assert len(found) >= 25
    for path, method, operation in found:
        codes = set(operation["responses"])
        assert {"400", "401", "403", "414", "429"} <= codes, (method, path, codes)
        if "{" in path:
            assert "404" in codes, (method, path)
        if method in ("post", "put", "patch"):
            assert {"413", "415"} <= codes, (method, path)
    # A client_uuid already used by a different record: the phone must know it is not a retry.
    assert "409" in schema["paths"]["/api/activities/"]["post"]["responses"]


def test_a_too_long_address_is_documented_without_a_json_body(schema):
    """gunicorn (or a proxy) answers it before the app, as HTML: a client must not expect JSON."""
    _path, _method, operation = next(operations(schema))
    assert "content" not in operation["responses"]["414"]


def test_api_tokens_are_the_documented_way_to_sign_in(schema):
    scheme = schema["components"]["securitySchemes"]["knoxApiToken"]
    assert (scheme["in"], scheme["name"]) == ("header", "Authorization")
    assert "Token" in scheme["description"]
    assert {"knoxApiToken": []} in schema["paths"]["/api/activities/"]["get"]["security"]
