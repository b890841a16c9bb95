"""The problem list's office pages in a real browser: the list's counts and map, a problem opened
from it, accepted and assigned through its buttons, my tasks, on a desk screen and on a phone."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from problems import services
from problems.models import Action, Category, CategorySetting, ResponsibleUnit, Source, State
from waterways.models import Waterway

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-12345"  # what tests.support.factories.make_person gives every login
DESK = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 640}


def report(by, *, code, fraction, category=Category.GARBAGE, source=Source.HOTLINE, note="河面漂浮垃圾较多"):
    point = Waterway.objects.get(code=code).geom.interpolate_normalized(fraction)
    new = services.NewProblem(category=category, note=note, point=point, observed_at=timezone.now() - timedelta(hours=3))
    return services.report(by=by, source=source, new=new)


@pytest.fixture
def scene(crew, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    staff = crew["staff"]
    unit = ResponsibleUnit.objects.create(name="西城街道办事处", kind=ResponsibleUnit.Kind.TOWN)
    unit.members.add(crew["teammate"])
    # The flush after a browser test empties the shipped settings rows: the proposal comes from here.
    CategorySetting.objects.update_or_create(category=Category.GARBAGE, defaults={"default_unit": unit, "deadline_days": 5})
    fresh = report(staff.user, code="ZW-G07", fraction=0.5)
    second = report(staff.user, code="ZW-G07", fraction=0.15, category=Category.SEWAGE, note="排污口有黑水流出，气味明显")
    late = report(staff.user, code="ZW-G01", fraction=0.4, category=Category.DUMPING, source=Source.INSPECTION,
                  note="河岸堆放建筑垃圾")
    for problem in (late,):
        services.act(problem=problem, user=staff.user, move=services.Move(action=Action.ACCEPT))
        services.act(problem=problem, user=staff.user, move=services.Move(
            action=Action.ASSIGN, unit=unit, deadline=timezone.localdate()))
        services.act(problem=problem, user=staff.user, move=services.Move(
            action=Action.SUPERVISE, note="群众反映强烈，请加快办理", deadline=timezone.localdate() + timedelta(days=2)))
    return {**crew, "unit": unit, "fresh": fresh, "second": second, "late": late}


def log_in(page, live_server, person, start):
    target = live_server.url + start
    page.goto(target)
    assert "/accounts/login/" in page.url
    page.fill("#id_username", person.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(target)


def fits_the_screen(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def watch(page):
    """Script errors and console errors (a CSP refusal is one) collected as they happen."""
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Basemap tiles are refused on purpose (page_factory): those failed loads are not the page's errors.
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and "Failed to load resource" not in message.text else None)
    return errors


def test_staff_open_the_list_and_accept_and_assign_a_problem(page_factory, live_server, scene, screenshot):
    page = page_factory(viewport=DESK)
    errors = watch(page)
    log_in(page, live_server, scene["staff"], reverse("problem-list"))

    page.wait_for_selector("#problem-map[data-ready]")
    assert page.locator("#problem-map").bounding_box()["height"] >= 300
    assert page.locator("tbody tr").count() == 3
    assert page.locator("path.rw-problem").count() == 3
    assert page.locator("path.rw-problem-open").count() == 3
    assert page.locator("path.rw-network").count() > 10
    chip = page.locator('.count-chip[data-state="reported"] strong')
    assert chip.inner_text() == "2"
    assert page.locator('.count-chip[data-state="supervised"] strong').inner_text() == "1"
    # The supervised problem heads the table, marked.
    first = page.locator("tbody tr").first
    assert first.get_attribute("data-id") == str(scene["late"].pk)
    assert "督办" in first.inner_text()
    assert page.locator('a[aria-current="page"]', has_text="问题清单").count() == 1
    screenshot(page, "problem-list")

    # A count filters the list.
    page.locator('.count-chip[data-state="reported"]').click()
    page.wait_for_selector("#problem-map[data-ready]")
    assert page.locator("tbody tr").count() == 2

    # A dot on the map opens its problem.
    page.evaluate(f"window.riverwatchProblemMap.markersById.get('{scene['fresh'].pk}').fire('click')")
    detail = live_server.url + reverse("problem-detail", args=[scene["fresh"].pk])
    page.wait_for_url(detail)
    page.wait_for_selector("#problem-map[data-ready]")
    assert page.locator("path.rw-problem").count() == 1

    page.locator("details.action-accept summary").click()
    page.locator("details.action-accept button[type=submit]").click()
    page.wait_for_url(detail)
    assert "已受理。" in page.locator(".messages").inner_text()
    assert "已受理" in page.locator(".page-head .state-badge").inner_text()

    page.locator("details.action-assign summary").click()
    select = page.locator("details.action-assign select[name=unit]")
    assert select.input_value() == str(scene["unit"].pk)  # the proposal, preselected
    assert "默认" in page.locator("details.action-assign .proposal").inner_text()
    assert page.locator("details.action-assign input[name=deadline]").input_value() > timezone.localdate().isoformat()
    page.locator("details.action-assign textarea[name=note]").fill("请三日内清理完毕")
    page.locator("details.action-assign button[type=submit]").click()
    page.wait_for_url(detail)
    assert "已交办" in page.locator(".page-head .state-badge").inner_text()
    timeline = page.locator(".timeline .event")
    assert timeline.count() == 3
    assert "西城街道办事处" in timeline.nth(2).inner_text() and "请三日内清理完毕" in timeline.nth(2).inner_text()
    scene["fresh"].refresh_from_db()
    assert scene["fresh"].state == State.ASSIGNED and scene["fresh"].unit == scene["unit"]
    page.wait_for_selector("#problem-map[data-ready]")
    screenshot(page, "problem-detail")
    page.locator(".timeline-card").scroll_into_view_if_needed()
    screenshot(page, "problem-detail-timeline")

    page.goto(live_server.url + reverse("problem-mine"))
    assert page.locator("tbody tr").count() == 1  # the other report, still to accept
    screenshot(page, "problem-mine")
    assert errors == []


def test_the_list_and_a_problem_on_a_phone(page_factory, live_server, scene, screenshot):
    page = page_factory(viewport=PHONE)
    errors = watch(page)
    log_in(page, live_server, scene["staff"], reverse("problem-list"))
    page.wait_for_selector("#problem-map[data-ready]")
    assert fits_the_screen(page)
    screenshot(page, "problem-list-phone")
    page.locator("tbody tr").first.scroll_into_view_if_needed()
    screenshot(page, "problem-list-phone-rows")

    page.goto(live_server.url + reverse("problem-detail", args=[scene["late"].pk]))
    page.wait_for_selector("#problem-map[data-ready]")
    assert fits_the_screen(page)
    page.locator("details.action-assign summary").click()
    assert fits_the_screen(page)
    screenshot(page, "problem-detail-phone")

    page.goto(live_server.url + reverse("problem-new"))
    page.wait_for_selector("#pick-map[data-ready]")
    assert fits_the_screen(page)
    assert page.locator("#deputy-field").is_hidden()
    page.locator('input[name=source][value="deputy"]').check()
    assert page.locator("#deputy-field").is_visible()
    screenshot(page, "problem-new-phone")
    assert errors == []
