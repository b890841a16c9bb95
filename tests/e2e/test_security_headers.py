"""The Content-Security-Policy in real Chromium: every page of the site, the phone app's screens,
Swagger UI and the admin (its map widgets too) run under the policy the server sends without a
single violation, and the maps still draw. A violation shows as a `securitypolicyviolation` event
and as a "Refused to …" console message; both are collected from before the first script runs.

Waits poll a function ("() => …"), not an expression: Playwright evaluates an expression again on
each poll with eval(), which the policy (script-src 'self', no 'unsafe-eval') refuses."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from patrols import services
from tests.patrols.test_pages import build_scene, jpeg, record
from tests.support.walks import walk_along

from .conftest import keep_to_live_server

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-12345"  # what tests.support.factories.make_person gives every login

LISTEN_FOR_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(`${event.effectiveDirective} blocked ${event.blockedURI || 'inline'}`
    + ` at ${event.sourceFile || event.documentURI}:${event.lineNumber} (${event.sample || ''})`);
});
"""


class Watcher:
    """Records, for one browser context: policy violations (events and console), page errors, and the
    headers of every page (document) the server sent."""

    def __init__(self, context):
        self.console = []
        self.errors = []
        self.documents = []
        context.add_init_script(LISTEN_FOR_VIOLATIONS)
        context.on("response", self._response)

    def watch(self, page):
        # Also the browser's complaints about the Permissions-Policy header (an unknown feature).
        page.on("console", lambda message: self.console.append(message.text)
                if any(word in message.text for word in ("Content Security Policy", "Refused to", "Permissions-Policy"))
                else None)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        return page

    def _response(self, response):
        if response.request.resource_type == "document":
            self.documents.append((response.url, response.status, response.headers))

    def violations(self, page):
        return page.evaluate("window.__cspViolations") + self.console

    def check(self, page, where):
        assert self.violations(page) == [], f"{where}: {self.violations(page)}"
        assert self.errors == [], f"{where}: {self.errors}"


@pytest.fixture
def watched(browser, live_server):
    contexts = []

    def make(**options):
        context = browser.new_context(**{"viewport": {"width": 1280, "height": 800}, "locale": "zh-CN", **options})
        keep_to_live_server(context, live_server)
        contexts.append(context)
        watcher = Watcher(context)
        page = watcher.watch(context.new_page())
        page.set_default_timeout(20_000)
        return watcher, page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def scene(district_data, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    scene = build_scene()
    services.add_photo(activity=scene["patrol"], uploaded_by=scene["volunteer"].user, data=jpeg())
    # Two cleanups side by side on the chief's gully: the river-chief map draws them as one cluster.
    for start_m in (500, 560):
        record(scene["volunteer"], kind="cleanup", point=tuple(walk_along("ZW-G07", start_m=start_m, length_m=0)[0][:2]),
               figures={"debris_kg": "2", "bags": 1})
    return scene


def sign_in(page, live_server, username, start):
    page.goto(live_server.url + start)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("[type=submit]")
    page.wait_for_url(live_server.url + start)


def directives(policy):
    """The policy as {directive: [sources]}: django-csp does not promise the directives' order."""
    parsed = {}
    for part in filter(str.strip, policy.split(";")):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def assert_documents_carry_the_policy(watcher, admin=False):
    assert watcher.documents
    for url, status, headers in watcher.documents:
        policy = headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy, (url, status, headers)
        assert "'unsafe-eval'" not in policy, url
        if "/admin/" not in url:
            assert "'unsafe-inline'" not in policy, url
        assert headers.get("x-content-type-options") == "nosniff", url
        assert headers.get("referrer-policy") == "same-origin", url
        assert "geolocation=(self)" in headers.get("permissions-policy", ""), url


def test_desk_pages_and_api_docs_run_under_the_policy(watched, live_server, scene, screenshot):
    chief = scene["chief"]  # a village chief: sees the river-chief map and the compliance page too
    watcher, page = watched()
    sign_in(page, live_server, chief.user.username, reverse("home"))

    page.wait_for_selector("#network-map[data-waterway-count]")
    assert page.locator("path.rw-waterway").count() == 42
    # A waterway's popup, from its tooltip's link: HTML put into the page by a script.
    page.evaluate("window.riverwatchMap.layersByCode.get('ZW-G07').openTooltip()")
    page.locator(".zoom-to").first.click()
    page.locator(".leaflet-popup-content").wait_for()
    screenshot(page, "csp-network-map")
    watcher.check(page, "/")

    page.goto(live_server.url + reverse("activity-list"))
    page.wait_for_selector("#activity-map[data-ready]")
    assert page.locator("path.rw-track").count() >= 1
    screenshot(page, "csp-activity-list")
    watcher.check(page, "/activities/")

    page.goto(live_server.url + reverse("activity-detail", args=[scene["patrol"].pk]))
    page.wait_for_selector("#activity-map[data-ready]")
    assert page.locator("path.rw-track").count() == 2
    page.wait_for_function("() => [...document.querySelectorAll('img.photo-thumb')].every((img) => img.complete && img.naturalWidth > 0)")
    screenshot(page, "csp-activity-detail")
    watcher.check(page, "activity page")

    today = timezone.localdate()  # the last 100 days, the whole district: every activity of the scene
    period = f"?start={(today - timedelta(days=100)).isoformat()}&end={today.isoformat()}&waterway="
    page.goto(live_server.url + reverse("river-chief-map") + period)
    page.wait_for_selector("#rc-map[data-ready='true']")
    assert page.locator(".rc-legend .rc-line").count() == 5
    # The legend's colours, set through element.style, reach the swatches.
    assert page.evaluate("getComputedStyle(document.querySelector('.rc-legend .rc-line')).borderTopColor") == "rgb(26, 150, 65)"
    assert page.evaluate("getComputedStyle(document.querySelector('.rc-kind .dot')).backgroundColor") != "rgba(0, 0, 0, 0)"
    # Coverage bars in the table: their percentage set through element.style too.
    page.wait_for_selector("#rc-coverage-rows .rc-bar")
    assert page.evaluate("document.querySelector('#rc-coverage-rows .rc-bar').style.getPropertyValue('--pct')").endswith("%")
    # The two cleanups as one cluster, in the cleanup colour (kinds.css), set through element.style.
    cluster = page.locator(".rc-cluster span").first
    assert cluster.inner_text() == "2"
    assert cluster.evaluate("(span) => getComputedStyle(span).backgroundColor") == "rgb(43, 138, 62)"
    # An activity's popup: HTML from the script, styled by classes.
    page.locator("path.rc-activity.rc-kind-patrol").first.dispatch_event("click")  # the cluster lies over it
    page.locator(".leaflet-popup-content .popup").wait_for()
    page.wait_for_timeout(400)  # the popup fades in
    screenshot(page, "csp-river-chief-map")
    watcher.check(page, "/map/")

    page.goto(live_server.url + reverse("compliance"))
    page.wait_for_load_state("networkidle")
    screenshot(page, "csp-compliance")
    watcher.check(page, "/compliance/")

    page.goto(live_server.url + reverse("my-history"))
    page.wait_for_load_state("networkidle")
    watcher.check(page, "/people/me/")

    # The language menu switches on change, from static/js/header.js (no onchange="…").
    page.goto(live_server.url + reverse("activity-list"))
    for language in ("en", "zh-hans"):
        page.wait_for_load_state("domcontentloaded")  # modules (header.js) have run by then
        page.select_option("#language", language)
        page.wait_for_function(f"() => document.documentElement.lang === '{language}'")
    watcher.check(page, "language switch")

    # The account's own pages are in one menu (static/js/header.js closes it on a click elsewhere).
    page.click(".user-menu summary")
    assert page.is_visible(".user-menu-panel a[href='/accounts/password/']")
    screenshot(page, "header-user-menu")
    page.mouse.click(10, 500)
    assert not page.is_visible(".user-menu-panel")
    page.click(".user-menu summary")
    page.click(".user-menu-panel a[href='/accounts/tokens/']")
    page.wait_for_url("**/accounts/tokens/")
    watcher.check(page, "/accounts/tokens/")

    page.goto(live_server.url + reverse("api-docs"))
    page.wait_for_selector(".swagger-ui .opblock-tag", timeout=30_000)
    assert page.locator(".swagger-ui .opblock").count() > 10
    # An operation opens (Swagger UI renders it with React: element.style, never style="…").
    page.locator(".swagger-ui .opblock-summary").first.click()
    page.locator(".swagger-ui .opblock-body").first.wait_for()
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(250, 250, 250)"  # css/api-docs.css
    screenshot(page, "csp-api-docs")
    watcher.check(page, "/api/docs/")

    assert_documents_carry_the_policy(watcher)


def test_the_login_page_runs_under_the_policy(watched, live_server, district_data):
    watcher, page = watched()
    page.goto(live_server.url + reverse("login"))
    page.wait_for_load_state("networkidle")
    watcher.check(page, "login")
    assert_documents_carry_the_policy(watcher)


def test_the_phone_app_runs_under_the_policy(watched, live_server, scene, screenshot):
    volunteer = scene["volunteer"]
    watcher, page = watched(
        viewport={"width": 360, "height": 640}, permissions=["geolocation"], service_workers="allow",
        geolocation={"longitude": 110.70, "latitude": 32.60, "accuracy": 8}, has_touch=True, is_mobile=True,
    )
    sign_in(page, live_server, volunteer.user.username, reverse("field-home"))
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    for name in ("field-home", "field-patrol", "field-cleanup", "field-problem", "field-history"):
        page.goto(live_server.url + reverse(name))
        page.wait_for_function("() => document.getElementById('sync-chip').dataset.state !== 'unknown'")
        if name in ("field-patrol", "field-cleanup", "field-problem"):
            page.wait_for_function("() => document.getElementById('field-map').dataset.networkLoaded === 'yes'")
        # The browser check (field/browser-check.js, field/old-browser.js) passed this browser.
        assert page.evaluate("document.documentElement.dataset.browserOk") == "yes"
        assert page.locator("#old-browser").is_hidden()
        screenshot(page, f"csp-{name}")
        watcher.check(page, name)
    assert_documents_carry_the_policy(watcher)


def test_a_browser_without_the_apps_syntax_is_told_so(watched, live_server, scene):
    """What an old phone sees: the module that marks a capable browser does not run."""
    _, page = watched()
    page.route("**/field/browser-check.js", lambda route: route.fulfill(
        status=200, content_type="text/javascript", body="const a = ;  // a syntax this browser cannot parse"))
    sign_in(page, live_server, scene["volunteer"].user.username, reverse("field-history"))
    page.wait_for_selector("#old-browser", state="visible")


def test_the_admin_runs_under_its_policy_with_staff_signed_in(watched, live_server, scene, screenshot):
    from waterways.models import Waterway

    get_user_model().objects.create_superuser(username="office-admin", password=PASSWORD)
    watcher, page = watched()
    sign_in(page, live_server, "office-admin", reverse("admin:index"))
    screenshot(page, "csp-admin-index")
    watcher.check(page, "admin index")

    pages = [
        ("admin changelist", reverse("admin:patrols_activity_changelist"), None),
        # The review form's read-only maps (track and point): django-leaflet's inline start-up scripts.
        ("admin activity", reverse("admin:patrols_activity_change", args=[scene["patrol"].pk]), "csp-admin-activity"),
        # An editable map with drawing tools.
        ("admin waterway", reverse("admin:waterways_waterway_change", args=[Waterway.objects.get(code="ZW-G07").pk]),
         "csp-admin-waterway"),
        ("admin person", reverse("admin:people_person_change", args=[scene["volunteer"].pk]), None),
    ]
    for where, url, shot in pages:
        page.goto(live_server.url + url)
        page.wait_for_load_state("networkidle")
        if shot:
            page.wait_for_selector(".leaflet-container path.leaflet-interactive")
            page.locator(".leaflet-container").first.scroll_into_view_if_needed()
            screenshot(page, shot)
        watcher.check(page, where)

    for url, status, headers in watcher.documents:
        policy = headers.get("content-security-policy", "")
        sources = directives(policy)
        if url.rstrip("/").endswith(("/change", "/add")):  # the admin's forms only: django-leaflet's widgets
            assert sources["script-src"] == ["'self'", "'unsafe-inline'"], url
        else:
            assert sources["script-src"] == ["'self'"], url
        assert sources["style-src"] == ["'self'"], url
        assert "'unsafe-eval'" not in policy and "nonce-" not in policy, url
