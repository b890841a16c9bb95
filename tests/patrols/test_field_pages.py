"""The phone app's server side: the screens, the field API, the manifest and the service worker."""

import gzip
import json
import posixpath
import re
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from patrols import services
from patrols.field_views import SHELL_STATIC
from tests.support.factories import activity_body
from tests.support.walks import walk_along

pytestmark = pytest.mark.django_db

SCREENS = ["field-home", "field-patrol", "field-cleanup", "field-problem", "field-history", "field-tasks"]


def browser_for(person):
    client = Client()
    client.force_login(person.user)
    return client


@pytest.mark.parametrize("name", SCREENS)
def test_screens_need_a_login_and_set_the_csrf_cookie_the_outbox_sends_with(name, crew):
    anonymous = Client().get(reverse(name))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))
    response = browser_for(crew["volunteer"]).get(reverse(name))
    assert response.status_code == 200
    assert "csrftoken" in response.cookies
    assert b'rel="manifest"' in response.content


def test_screens_are_the_same_for_everyone_so_a_cached_copy_is_never_someone_elses(crew):
    """The service worker caches the screens; what is personal comes from the field API."""
    mine = browser_for(crew["volunteer"]).get(reverse("field-home")).content.decode()
    theirs = browser_for(crew["outsider"]).get(reverse("field-home")).content.decode()
    strip = lambda html: re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)  # noqa: E731
    assert strip(mine) == strip(theirs)
    assert "张志愿" not in mine and crew["volunteer"].user.username not in mine


def test_screens_and_network_layers_are_sent_compressed(crew):
    client = browser_for(crew["volunteer"])
    for url in (reverse("field-patrol"), reverse("api-waterways"), reverse("api-district")):
        response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        assert response["Content-Encoding"] == "gzip", url
        assert len(gzip.decompress(response.content)) > 2 * len(response.content), url


def test_problem_categories_and_activity_kinds_are_offered_on_the_forms(crew):
    client = browser_for(crew["volunteer"])
    problem = client.get(reverse("field-problem")).content.decode()
    assert 'value="sewage"' in problem and "污水直排" in problem
    cleanup = client.get(reverse("field-cleanup")).content.decode()
    assert 'value="cleanup"' in cleanup and 'value="sewer_inspection"' in cleanup
    # A patrol has its own screen, and a report is not a cleanup-form kind.
    assert 'name="kind" value="patrol"' not in cleanup and 'name="kind" value="problem_report"' not in cleanup


def test_the_manifest_makes_an_installable_app_scoped_to_the_phone_pages():
    response = Client().get(reverse("field-manifest"))
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["start_url"] == manifest["scope"] == "/m/"
    assert manifest["display"] == "standalone" and manifest["name"] == "张湾区河湖巡护"
    sizes = set()
    for icon in manifest["icons"]:
        path = finders.find(icon["src"].removeprefix("/static/"))
        assert path, icon["src"]
        with Image.open(path) as image:
            assert f"{image.width}x{image.height}" == icon["sizes"]
        sizes.add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])


def _sw_config(response):
    match = re.search(r"const CONFIG = (\{.*?\});\n", response.content.decode())
    return json.loads(match.group(1))


def test_the_service_worker_is_served_fresh_from_the_app_scope_with_every_shell_file():
    response = Client().get(reverse("field-sw"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert reverse("field-sw").startswith(reverse("field-home"))  # so its scope is /m/
    config = _sw_config(response)
    assert config["screens"] == [reverse(name) for name in SCREENS]
    assert config["data"] == [reverse("api-waterways"), reverse("api-district")]
    for path in SHELL_STATIC:
        assert finders.find(path), f"{path} is precached but does not exist"


def test_every_module_and_image_a_screen_uses_is_in_the_offline_copy():
    """A file missing from the precache list would break that screen with no signal."""
    imported = set()
    for path in SHELL_STATIC:
        if path.startswith("field/") and path.endswith(".js"):
            source = open(finders.find(path), encoding="utf-8").read()
            for target in re.findall(r"""from\s+['"](\.{1,2}/[^'"]+)['"]""", source):
                imported.add(posixpath.normpath(posixpath.join(posixpath.dirname(path), target)))
    assert {"field/store.js", "js/basemap.js"} <= imported
    assert imported <= set(SHELL_STATIC), imported - set(SHELL_STATIC)
    leaflet_css = open(finders.find("leaflet/leaflet.css"), encoding="utf-8").read()
    for image in re.findall(r"url\((images/[^)]+)\)", leaflet_css):
        assert f"leaflet/{image}" in SHELL_STATIC, image


def test_the_service_worker_version_changes_when_a_cached_file_changes(settings, tmp_path):
    before = _sw_config(Client().get(reverse("field-sw")))["version"]
    copy = tmp_path / "static"
    (copy / "field").mkdir(parents=True)
    original = finders.find("field/common.js")
    (copy / "field" / "common.js").write_text(open(original, encoding="utf-8").read() + "\n// changed\n")
    settings.STATICFILES_DIRS = [copy, *settings.STATICFILES_DIRS]
    finders.get_finder.cache_clear()
    try:
        after = _sw_config(Client().get(reverse("field-sw")))["version"]
    finally:
        finders.get_finder.cache_clear()
    assert after != before


# --- field API ------------------------------------------------------------------------------------

def test_me_needs_a_login():
    for name in ("api-field-me", "api-field-history"):
        response = Client().get(reverse(name))
        assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"


def _post(person, body):
    client = browser_for(person)
    response = client.post(reverse("api-activities"), json.dumps(body), content_type="application/json",
                           HTTP_X_CSRFTOKEN="unused-with-force-login")
    assert response.status_code == 201, response.content
    return response.json()


def _walk_today(hours_ago=2):
    """500 m walked earlier today, Beijing time, whatever the hour the test runs at."""
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(), datetime.min.time()))
    start = max(timezone.now() - timedelta(hours=hours_ago), midnight + timedelta(minutes=1))
    return walk_along("ZW-G07", start_m=0, length_m=500, start_ms=int(start.timestamp() * 1000))


def _times(fixes):
    as_iso = lambda ms: datetime.fromtimestamp(ms / 1000, tz=dt_timezone.utc).isoformat()  # noqa: E731
    return {"started_at": as_iso(fixes[0][2]), "ended_at": as_iso(fixes[-1][2])}


def test_me_gives_today_my_service_records_and_the_district_progress(crew, settings):
    fixes = _walk_today()
    _post(crew["volunteer"], activity_body(fixes, participants=[crew["teammate"].pk], **_times(fixes)))
    last_year = timezone.now() - timedelta(days=400)
    _post(crew["volunteer"], activity_body(None, kind="cleanup", started_at=last_year.isoformat(),
                                           ended_at=(last_year + timedelta(hours=2)).isoformat()))
    data = browser_for(crew["volunteer"]).get(reverse("api-field-me")).json()
    assert data["person"]["name"] == "张志愿" and data["person"]["role_display"] == "志愿者"
    assert data["today"]["activities"] == 1
    assert data["today"]["distance_km"] == pytest.approx(0.5, abs=0.02)
    assert data["service_records"]["total"] == 2 and data["service_records"]["year"] == 1
    assert data["service_records"]["hours"] == pytest.approx(2 + 500 / 10 * 8 / 3600, abs=0.15)
    assert data["district"]["target"] == 3200 and data["district"]["count"] >= 2
    # Points are the points app's answer (/api/points/me/), which the phone asks itself.
    assert "points" not in data and "points_note" not in data
    # The teammate took part: it is their day too.
    teammate = browser_for(crew["teammate"]).get(reverse("api-field-me")).json()
    assert teammate["today"]["activities"] == 1 and teammate["service_records"]["total"] == 1


def test_the_home_screen_asks_the_points_api_and_links_the_rules(crew):
    html = browser_for(crew["volunteer"]).get(reverse("field-home")).content.decode()
    config = json.loads(re.search(r'<script id="field-config" type="application/json">(.*?)</script>', html).group(1))
    text = json.loads(re.search(r'<script id="field-text" type="application/json">(.*?)</script>', html).group(1))
    assert config["urls"]["points"] == reverse("api-points-me") == "/api/points/me/"
    assert text["points_pending"] == "待审核 %(n)s 分" and "离线" in text["points_offline"]
    assert f'href="{reverse("points-rules")}"' in html and 'id="points-rule-list"' in html
    # The placeholder is gone.
    assert "积分制上线后" not in html


def test_me_for_a_login_without_a_person(db, django_user_model):
    user = django_user_model.objects.create_user(username="office-login", password="x")
    client = Client()
    client.force_login(user)
    data = client.get(reverse("api-field-me")).json()
    assert data["person"] is None and data["service_records"] is None
    assert data["today"] == {"activities": 0, "distance_km": 0}


def test_my_history_lists_what_i_submitted_or_took_part_in_newest_first_without_geometry(crew):
    fixes = _walk_today(hours_ago=5)
    patrol = _post(crew["teammate"], activity_body(fixes, participants=[crew["volunteer"].pk], **_times(fixes)))
    now = timezone.now()
    report = _post(crew["volunteer"], activity_body(
        None, kind="problem_report", started_at=now.isoformat(), ended_at=now.isoformat(),
        problems=[{"client_uuid": "6f1d1c1e-0000-4000-8000-000000000001", "category": "garbage",
                   "point": walk_along("ZW-G07", start_m=300, length_m=0)[0][:2], "observed_at": now.isoformat()}],
    ))
    _post(crew["outsider"], activity_body(None, kind="cleanup", started_at=now.isoformat(),
                                          ended_at=(now + timedelta(minutes=30)).isoformat()))
    rows = browser_for(crew["volunteer"]).get(reverse("api-field-history")).json()["results"]
    assert [row["id"] for row in rows] == [report["id"], patrol["id"]]
    assert rows[0]["kind_display"] == "问题上报" and rows[0]["problem_count"] == 1 and rows[0]["submitted_by_me"]
    assert rows[1]["submitted_by_me"] is False and rows[1]["waterway_name"] == "狮子沟"
    assert rows[1]["status_display"] == "待审核"
    assert "track" not in rows[1] and "geometry" not in rows[1]


def test_my_history_shows_the_reviewers_reason_for_a_rejection(crew):
    now = timezone.now()
    body = activity_body(None, kind="cleanup", started_at=(now - timedelta(hours=1)).isoformat(), ended_at=now.isoformat())
    created = _post(crew["volunteer"], body)
    from patrols.models import Activity

    services.review_activity(activity=Activity.objects.get(pk=created["id"]), reviewer=crew["leader"].user,
                             decision="reject", note="照片看不清")
    row = browser_for(crew["volunteer"]).get(reverse("api-field-history")).json()["results"][0]
    assert row["status"] == "rejected" and row["review_note"] == "照片看不清"


def test_history_limit_is_bounded(crew):
    client = browser_for(crew["volunteer"])
    for wrong in ("abc", "100000", "0", "²"):
        response = client.get(reverse("api-field-history"), {"limit": wrong})
        assert response.status_code == 400 and "条数应为 1 到 200 之间的整数" in response.json()["detail"]
    assert client.get(reverse("api-field-history"), {"limit": "200"}).status_code == 200


def test_a_lapsed_login_is_told_apart_from_a_refused_record():
    """The phone's outbox waits and resends after signing in again only on this code."""
    response = Client().post(reverse("api-activities"), "{}", content_type="application/json")
    assert response.status_code == 401 and response.json()["code"] == "sign_in_again"


def test_a_stale_csrf_token_also_asks_to_sign_in_again(crew):
    client = Client(enforce_csrf_checks=True)
    client.force_login(crew["volunteer"].user)
    response = client.post(reverse("api-activities"), "{}", content_type="application/json", HTTP_X_CSRFTOKEN="stale")
    assert response.status_code == 403 and response.json()["code"] == "sign_in_again"


def test_a_refused_record_is_not_a_sign_in_problem(db, django_user_model):
    user = django_user_model.objects.create_user(username="no-person", password="x")
    client = Client()
    client.force_login(user)
    now = timezone.now()
    response = client.post(reverse("api-activities"), json.dumps(activity_body(
        None, kind="cleanup", started_at=(now - timedelta(hours=1)).isoformat(), ended_at=now.isoformat())),
        content_type="application/json")
    assert response.status_code == 403 and "code" not in response.json()
    assert "人员档案" in response.json()["detail"]


def test_the_phones_longest_activity_comes_from_the_servers_setting(crew, settings):
    settings.ACTIVITY_MAX_HOURS = 12
    page = browser_for(crew["volunteer"]).get(reverse("field-cleanup")).content.decode()
    config = json.loads(re.search(r'<script id="field-config" type="application/json">(.*?)</script>', page, re.S).group(1))
    assert config["activity_max_hours"] == 12


# --- my tasks (我的待办) and the problem list's addresses -----------------------------------------------

def _json_script(html, element_id):
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))


def test_my_tasks_screen_is_chinese_first_and_the_home_screen_links_to_it_with_a_count(crew):
    client = browser_for(crew["volunteer"])
    tasks = client.get(reverse("field-tasks")).content.decode()
    assert "<title>我的待办 · 河湖巡护</title>" in tasks
    assert 'id="tasks-empty"' in tasks and "暂无待办" in tasks
    assert 'id="resolve-form"' in tasks and "处理情况" in tasks and 'id="photo-input"' in tasks
    assert "field/tasks.js" in tasks
    home = client.get(reverse("field-home")).content.decode()
    link = re.search(r'<a class="card task-link" id="task-link" href="([^"]+)">(.*?)</a>', home, re.S)
    assert link.group(1) == reverse("field-tasks")
    assert "我的待办" in link.group(2) and 'id="task-count"' in link.group(2)


def test_the_phone_is_told_where_tasks_moves_and_duplicates_go_and_the_words_for_them(crew, settings):
    page = browser_for(crew["volunteer"]).get(reverse("field-tasks")).content.decode()
    urls = _json_script(page, "field-config")["urls"]
    assert urls["tasks"] == "/api/problems/mine/"
    assert urls["problem_api"] == "/api/problems/0/"
    assert urls["problem_photos"] == "/api/problems/0/photos/"
    assert urls["problem_actions"] == "/api/problems/0/actions/"
    assert urls["problem_duplicates"] == "/api/problems/duplicates/"
    assert urls["problem"] == "/problems/0/" and urls["tasks_screen"] == "/m/tasks/"
    config = _json_script(page, "field-config")
    assert config["duplicate_days"] == settings.PROBLEM_DUPLICATE_DAYS == 14
    text = _json_script(page, "field-text")
    assert text["actions"]["start"] == "开始处理" and text["actions"]["resolve"] == "办结"
    assert text["duplicate_title"].replace("%(days)s", "14") == "附近14天内已有同类问题"
    assert text["supervised"] == "督办" and text["queued_badge"] == "待发送" and text["tasks_none"] == "暂无待办"


def test_every_script_a_screen_loads_is_in_the_offline_copy(crew):
    """A screen whose own script is not precached opens with no signal and does nothing."""
    client = browser_for(crew["volunteer"])
    precached = set(_sw_config(Client().get(reverse("field-sw")))["precache"])
    for name in SCREENS:
        html = client.get(reverse(name)).content.decode()
        sources = re.findall(r'<(?:script[^>]*src|link[^>]*href)="(/static/[^"]+)"', html)
        assert sources, name
        assert set(sources) <= precached, (name, set(sources) - precached)
