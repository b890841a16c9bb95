"""What a certificate prints about a person: the ID type and the last four characters of its number
(the admin takes the whole number, checks it, keeps four), the volunteer number; and the person's own
choice to appear on public boards by initials only."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse

from people.identity import id_tail_of, masked_id, masked_name
from people.models import Person
from people.services import anonymise_person
from tests.people.test_admin import person_form
from tests.support.factories import make_person

RESIDENT_ID = "420303199003074510"


@pytest.mark.parametrize("id_type, number, tail", [
    ("resident_id", RESIDENT_ID, "4510"),
    ("resident_id", "11010519491231002x", "002X"),  # GB 11643's own example, typed with a small x
    ("resident_id", "４２０３０３ １９９００３０７ ４５１０", "4510"),  # full-width digits and spaces
    ("hk_macao_permit", "H12345678", "5678"),
    ("taiwan_permit", "12345678", "5678"),
    ("passport", "E12345678", "5678"),
    ("foreign_permanent_resident", "USA123456789012", "9012"),
])
def test_a_valid_number_gives_its_last_four(id_type, number, tail):
    assert id_tail_of(id_type, number) == tail


@pytest.mark.parametrize("id_type, number, message", [
    ("resident_id", "420303199003074511", "校验位不符（GB 11643）"),
    ("resident_id", "42030319900307451", "应为 18 位"),
    ("resident_id", "420303199002304516", "不是有效日期"),  # 30 February
    ("hk_macao_permit", "X12345678", "H 或 M"),
    ("taiwan_permit", "1234", "8 位"),
    ("passport", "E1\x00234", "5 到 17 位"),
    ("", RESIDENT_ID, "请先选择证件类型"),
    ("resident_id", "", "请输入证件号码"),
])
def test_a_wrong_number_is_refused_in_chinese(id_type, number, message):
    with pytest.raises(ValidationError) as refusal:
        id_tail_of(id_type, number)
    assert message in refusal.value.messages[0]


def test_masks():
    assert masked_id("resident_id", "4510") == "**************4510"
    assert masked_id("passport", "5678") == "******5678"
    assert masked_id("", "") == ""
    assert [masked_name(name) for name in ["张三", "张志愿", "欧阳明轩", "李"]] == ["张*", "张*愿", "欧**轩", "李"]


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def identity_form(person, **changes):
    return person_form(person, **{"id_type": "", "id_number": "", "volunteer_number": "", **changes})


def stored_row(person):
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(p)::text FROM people_person p WHERE id = %s", [person.pk])
        return cursor.fetchone()[0]


def test_the_admin_keeps_only_the_last_four_and_never_shows_the_number(admin_client, db):
    person = Person.objects.create(name="张志愿", role="volunteer")
    url = reverse("admin:people_person_change", args=[person.pk])
    response = admin_client.post(url, identity_form(person, id_type="resident_id", id_number=RESIDENT_ID,
                                                    volunteer_number="HB4203-0815"))
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.id_type, person.id_tail, person.volunteer_number) == ("resident_id", "4510", "HB4203-0815")
    assert RESIDENT_ID[-5:] not in stored_row(person)
    page = admin_client.get(url).content.decode()
    assert "**************4510" in page and RESIDENT_ID[-5:] not in page


def test_the_admin_refuses_a_wrong_number_in_words(admin_client, db):
    person = Person.objects.create(name="张志愿", role="volunteer")
    url = reverse("admin:people_person_change", args=[person.pk])
    response = admin_client.post(url, identity_form(person, id_type="resident_id", id_number="420303199003074511"))
    assert response.status_code == 200 and "校验位不符（GB 11643）" in response.content.decode()
    response = admin_client.post(url, identity_form(person, id_type="resident_id"))
    assert response.status_code == 200 and "请输入完整的证件号码" in response.content.decode()
    response = admin_client.post(url, identity_form(person, id_number=RESIDENT_ID))
    assert response.status_code == 200 and "请选择证件类型" in response.content.decode()
    response = admin_client.post(url, identity_form(person, volunteer_number="编号 1"))
    assert response.status_code == 200 and "志愿者编号只能包含字母、数字和短横线" in response.content.decode()
    person.refresh_from_db()
    assert (person.id_type, person.id_tail, person.volunteer_number) == ("", "", "")


@pytest.mark.parametrize("number, other_changes, message", [
    (RESIDENT_ID, {"volunteer_number": "编号 1"}, "志愿者编号只能包含字母、数字和短横线"),  # the number fine, another field not
    ("420303199003074511", {}, "校验位不符（GB 11643）"),
    ("420303199002304516", {}, "不是有效日期"),  # 30 February: the birth date is not echoed either
])
def test_a_refused_form_never_shows_the_number_again(admin_client, db, number, other_changes, message):
    person = Person.objects.create(name="张志愿", role="volunteer")
    url = reverse("admin:people_person_change", args=[person.pk])
    response = admin_client.post(url, identity_form(person, id_type="resident_id", id_number=number, **other_changes))
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert re.search(r'<input type="text" name="id_number"(?![^>]*value=)[^>]*>', page)  # the box is there, empty
    # No eight characters in a row of the number: not its first fourteen, not its birth date.
    assert [number[i:i + 8] for i in range(len(number) - 7) if number[i:i + 8] in page] == []
    person.refresh_from_db()
    assert person.id_tail == ""


def test_a_new_type_needs_its_number_again_and_no_type_clears_it(admin_client, db):
    person = Person.objects.create(name="张志愿", role="volunteer", id_type="resident_id", id_tail="4510")
    url = reverse("admin:people_person_change", args=[person.pk])
    # Another field changed, the number left empty: the stored four stay.
    assert admin_client.post(url, identity_form(person, id_type="resident_id", note="骨干")).status_code == 302
    person.refresh_from_db()
    assert person.id_tail == "4510" and person.note == "骨干"
    response = admin_client.post(url, identity_form(person, id_type="passport"))
    assert response.status_code == 200 and "请输入完整的证件号码" in response.content.decode()
    assert admin_client.post(url, identity_form(person, id_type="")).status_code == 302
    person.refresh_from_db()
    assert (person.id_type, person.id_tail) == ("", "")


def test_the_database_keeps_four_characters_with_a_type(db):
    person = Person.objects.create(name="张志愿", role="volunteer")
    for values in [{"id_type": "resident_id", "id_tail": ""}, {"id_type": "", "id_tail": "4510"},
                   {"id_type": "resident_id", "id_tail": "451"}]:
        with pytest.raises(IntegrityError), transaction.atomic():
            Person.objects.filter(pk=person.pk).update(**values)


def test_anonymising_clears_the_id_and_the_volunteer_number(admin_user, db):
    person = Person.objects.create(name="张志愿", role="volunteer", id_type="resident_id", id_tail="4510",
                                   volunteer_number="HB4203-0815")
    summary = anonymise_person(person=person, by=admin_user)
    person.refresh_from_db()
    assert (person.id_type, person.id_tail, person.volunteer_number) == ("", "", "")
    assert "证件信息" in summary.note and "志愿者编号" in summary.note


def test_a_person_chooses_initials_only_on_their_own_profile(db):
    person = make_person(name="张志愿")
    other = make_person(name="李同伴")
    client = Client()
    client.force_login(person.user)
    response = client.post(reverse("board-preference"), {"board_initials_only": "on", "person": other.pk})
    assert response.status_code == 302 and response["Location"] == reverse("person-history", args=[person.pk])
    person.refresh_from_db()
    other.refresh_from_db()
    assert person.board_initials_only and not other.board_initials_only
    page = client.get(response["Location"]).content.decode()
    assert "公开榜单上只显示您的姓名首字母" in page and 'name="board_initials_only" checked' in page
    client.post(reverse("board-preference"), {})
    person.refresh_from_db()
    assert not person.board_initials_only


def test_the_board_choice_needs_a_post_a_login_and_a_person(db, django_user_model):
    assert Client().post(reverse("board-preference"), {"board_initials_only": "on"}).status_code == 302  # to sign in
    client = Client()
    client.force_login(django_user_model.objects.create_user("no-person", password="pw-12345"))
    assert client.post(reverse("board-preference"), {"board_initials_only": "on"}).status_code == 404
    person = make_person()
    client.force_login(person.user)
    assert client.get(reverse("board-preference")).status_code == 405


def test_staff_set_the_board_choice_in_the_admin(admin_client, db):
    person = Person.objects.create(name="张志愿", role="volunteer")
    url = reverse("admin:people_person_change", args=[person.pk])
    assert admin_client.post(url, identity_form(person, board_initials_only="on")).status_code == 302
    person.refresh_from_db()
    assert person.board_initials_only
