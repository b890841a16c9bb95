"""Two staff at two desks redeem for the same person at the same moment, over real HTTP (the live
server, two browser sessions, the redemption form with its CSRF token): the person's balance covers
one of the two items only. Exactly one redemption is made, the other desk is told why in Chinese,
and the balance never goes below zero."""

import re
import threading
import uuid
from decimal import Decimal

import pytest
import requests

from points import selectors, services
from points.models import Entry, Item, Redemption
from tests.support.factories import make_person

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-12345"  # tests.support.factories.make_person
ROUNDS = 4
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def signed_in(base_url, user):
    """A browser-like session: the login form with its CSRF token, then the session cookie."""
    http = requests.Session()
    http.headers["Accept-Language"] = "zh-hans"
    login_url = f"{base_url}/accounts/login/"
    form = http.get(login_url, timeout=30)
    answer = http.post(login_url, data={"username": user.username, "password": PASSWORD,
                                        "csrfmiddlewaretoken": CSRF_FIELD.search(form.text).group(1)},
                       headers={"Referer": login_url}, allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text[:500]
    return http


def desk_form(http, base_url, person):
    """The desk with the person chosen: the form's CSRF token (a fresh key is sent with each post)."""
    page = http.get(f"{base_url}/points/redeem/", params={"person": person.pk}, timeout=30)
    assert page.status_code == 200
    return CSRF_FIELD.search(page.text).group(1)


def test_two_desks_redeeming_at_once_for_one_balance_make_one_redemption(live_server, district_data):
    staff = [make_person(name="河长办小刘", role="staff"), make_person(name="河长办小王", role="staff")]
    soap = Item.objects.create(name="洗衣皂", price=6, stock=50)
    gloves = Item.objects.create(name="劳保手套", price=7, stock=50)
    desks = [signed_in(live_server.url, member.user) for member in staff]
    url = f"{live_server.url}/points/redeem/"

    for round_number in range(ROUNDS):
        person = make_person(name=f"张志愿{round_number}")
        services.adjust(person=person, amount=10, reason="开户", by=staff[0].user)  # 10: soap or gloves, not both
        tokens = [desk_form(http, live_server.url, person) for http in desks]
        start = threading.Barrier(2)
        answers = [None, None]

        def redeem(slot, item):
            body = {"person": person.pk, "item": item.pk, "quantity": 1, "place": f"服务点{slot + 1}",
                    "client_uuid": str(uuid.uuid4()), "csrfmiddlewaretoken": tokens[slot]}
            start.wait()
            answers[slot] = desks[slot].post(url, data=body, headers={"Referer": url}, allow_redirects=False,
                                             timeout=60)

        threads = [threading.Thread(target=redeem, args=(slot, item)) for slot, item in enumerate([soap, gloves])]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [302, 400], [(answer.status_code, answer.text[:300]) for answer in answers]
        refused = next(answer for answer in answers if answer.status_code == 400)
        assert "积分不足" in refused.text
        [made] = Redemption.objects.filter(person=person)
        assert selectors.balance(person) == Decimal(10 - made.points) >= 0
        assert Entry.objects.filter(person=person, kind=Entry.Kind.REDEMPTION).count() == 1

    soap.refresh_from_db()
    gloves.refresh_from_db()
    assert soap.stock + gloves.stock == 100 - ROUNDS  # one item out per round, never two
