"""Security headers and Django's deployment checklist: `check --deploy` under production settings,
the Content-Security-Policy (strict everywhere, the admin's additions only on the admin),
Permissions-Policy, Referrer-Policy, Cross-Origin-Opener-Policy and nosniff, and no inline code in
our templates and scripts that the policy would block. In a browser: tests/e2e/test_security_headers.py."""

import json
import os
import re
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.support.factories import make_person

ROOT = Path(__file__).resolve().parents[1]
# Not inherited from this process: production's own defaults are under test. DJANGO_ALLOW_ASYNC_UNSAFE
# is the browser tests' (tests/e2e/conftest.py), and check --deploy rightly refuses it (async.E001).
LEFT_OUT = ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
            "TRUSTED_PROXY_COUNT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")


def production(**variables):
    """The environment of a production process: prod settings, a real-looking key, none of the
    security variables set unless given."""
    env = {key: value for key, value in os.environ.items() if key not in LEFT_OUT}
    key = "".join(secrets.choice(string.ascii_letters + string.digits + "!@#%^&*(-_=+)") for _ in range(50))
    env.update(DJANGO_SETTINGS_MODULE="riverwatch.settings.prod", SECRET_KEY=key, **variables)
    return env


def production_settings(*names, **variables):
    code = ("import django, json; django.setup(); from django.conf import settings; "
            f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=production(**variables),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- Django's deployment checklist ------------------------------------------------------------

def test_check_deploy_under_production_settings_leaves_only_the_gdal_warning():
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=production(),
                            capture_output=True, text=True, timeout=180)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert set(re.findall(r"\(([a-z_]+\.[A-Z]\d{3})\)", output)) == {"gis.W001"}, output


def test_production_redirects_to_https_and_sends_hsts_unless_told_otherwise():
    values = production_settings("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
                                 "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER", "SECURE_REDIRECT_EXEMPT")
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_REDIRECT_EXEMPT"] == ["^healthz$"]  # probes ask over plain http
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is False  # the operator's decision
    # Behind the one proxy production expects, https is known from X-Forwarded-Proto.
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_the_compose_stack_on_plain_http_turns_redirect_and_hsts_off():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    environment = compose["services"]["web"]["environment"]
    assert environment["DJANGO_SETTINGS_MODULE"] == "riverwatch.settings.prod"
    variables = {name: str(environment[name]) for name in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "TRUSTED_PROXY_COUNT")}
    values = production_settings("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", **variables)
    assert values == {"SECURE_SSL_REDIRECT": False, "SECURE_HSTS_SECONDS": 0}


@pytest.mark.django_db
def test_behind_the_proxy_http_is_redirected_and_https_gets_hsts(settings, client):
    """Production's values, behind one proxy that says X-Forwarded-Proto (settings read by a fresh client)."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    plain = client.get(reverse("login"), HTTP_X_FORWARDED_PROTO="http")
    assert plain.status_code == 301
    assert plain["Location"].startswith("https://")
    assert "Strict-Transport-Security" not in plain
    secure = client.get(reverse("login"), HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert client.get(reverse("healthz")).status_code in (200, 503)  # answered, not redirected


def test_development_and_tests_neither_redirect_nor_send_hsts(settings):
    assert settings.SECURE_SSL_REDIRECT is False
    assert settings.SECURE_HSTS_SECONDS == 0


# --- Headers on every answer -------------------------------------------------------------------

def directives(response):
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.django_db
def test_pages_get_the_strict_policy_and_the_other_security_headers(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:", "blob:", "https://tile.openstreetmap.org"]
    for name in ("connect-src", "worker-src", "manifest-src", "form-action", "base-uri"):
        assert policy[name] == ["'self'"], name
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert "unsafe-" not in response["Content-Security-Policy"]
    assert "nonce-" not in response["Content-Security-Policy"]

    permissions = response["Permissions-Policy"]
    for feature in ("geolocation=(self)", "camera=(self)", "microphone=()", "payment=()", "usb=()"):
        assert feature in permissions.split(", "), permissions
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_api_answers_and_static_files_are_not_sniffed(client, user):
    client.force_login(user)
    assert client.get(reverse("api-waterways"))["X-Content-Type-Options"] == "nosniff"
    static = client.get("/static/js/header.js")
    assert static.status_code == 200
    assert static["X-Content-Type-Options"] == "nosniff"
    assert static["Content-Type"].startswith("text/javascript")


@pytest.mark.django_db
def test_tianditu_tile_hosts_are_allowed_only_while_a_key_is_set(client, settings):
    assert not any("tianditu" in source for source in directives(client.get(reverse("login")))["img-src"])
    settings.TIANDITU_KEY = "a-key"
    sources = directives(client.get(reverse("login")))["img-src"]
    assert [f"https://t{n}.tianditu.gov.cn" for n in range(8)] == [s for s in sources if "tianditu" in s]


@pytest.mark.django_db
def test_only_the_admins_forms_allow_inline_scripts_and_style_attributes(client):
    strict = {"script-src": ["'self'"], "style-src": ["'self'"]}
    admin_login = directives(client.get(reverse("admin:login")))
    assert {key: admin_login[key] for key in strict} == strict and "style-src-attr" not in admin_login
    staff = get_user_model().objects.create_superuser(username="office", password="pw-12345")
    client.force_login(staff)
    for name, args in (("admin:index", []), ("admin:people_person_changelist", []),
                       ("admin:people_person_delete", [make_person().pk])):
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, name
        assert directives(response)["script-src"] == ["'self'"], name
    form = client.get(reverse("admin:people_person_change", args=[make_person().pk]))
    assert form.status_code == 200
    assert directives(form)["script-src"] == ["'self'", "'unsafe-inline'"]
    assert directives(form)["style-src-attr"] == ["'unsafe-inline'"]
    assert directives(form)["style-src"] == ["'self'"]  # no <style> elements there either
    # Outside the admin, the same signed-in staff member gets the strict policy.
    for name in ("home", "activity-list", "api-docs", "field-home"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert directives(response)["script-src"] == ["'self'"], name
        assert "style-src-attr" not in directives(response), name


@pytest.mark.django_db
def test_swagger_ui_runs_from_files(logged_in_client):
    page = logged_in_client.get(reverse("api-docs"))
    html = page.content.decode()
    assert "<style" not in html
    assert not inline_scripts(html)
    assert "css/api-docs.css" in html
    script = logged_in_client.get(reverse("api-docs") + "?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()
    assert '"validatorUrl": null' in script.content.decode()  # no badge from validator.swagger.io


# --- No inline code in what we write -----------------------------------------------------------

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)
HANDLER_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"""\sstyle\s*=\s*["'{]""", re.I)
STYLE_IN_A_STRING = re.compile(r"""\sstyle=\\?["']""", re.I)  # HTML in a script's string


def inline_scripts(html):
    """<script> tags that would run inline code: neither a src nor a JSON data block."""
    return [attributes for attributes in SCRIPT_TAG.findall(html)
            if "src=" not in attributes and "application/json" not in attributes and "application/ld+json" not in attributes]


def our_files(*patterns):
    return [path for pattern in patterns for path in sorted(ROOT.glob(pattern))]


def test_templates_have_no_inline_scripts_handlers_or_style_attributes():
    templates = our_files("templates/**/*.html")
    assert len(templates) > 10
    for path in templates:
        source = path.read_text(encoding="utf-8")
        assert not inline_scripts(source), path
        assert not HANDLER_ATTRIBUTE.search(source), path
        assert not STYLE_ATTRIBUTE.search(source), path
        assert "<style" not in source, path


def test_our_scripts_neither_eval_nor_write_style_attributes():
    scripts = our_files("static/js/*.js", "static/field/*.js", "templates/field/sw.js")
    assert len(scripts) > 10
    for path in scripts:
        source = path.read_text(encoding="utf-8")
        code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("//"))
        assert not re.search(r"\bnew Function\b|(?<![.\w])eval\(|setTimeout\(\s*['\"`]", code), path
        # HTML put in with innerHTML or a Leaflet popup: style="…" there is blocked by style-src.
        assert not STYLE_IN_A_STRING.search(code), path
        assert not re.search(r"setAttribute\(\s*['\"]style['\"]", code), path
