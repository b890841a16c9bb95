"""Admin pages for people, teams and river-chief assignments."""

from datetime import date

import pytest
from django.urls import reverse

from people.models import ChiefAssignment, Person, Team
from waterways.models import Town, Village, Waterway


@pytest.fixture
def admin_client_logged_in(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def people(district_data):
    village = Village.objects.get(code="420303100204")
    chief = Person.objects.create(name="陈河长", phone="13900000005", role="chief", level="village",
                                  town=village.town, village=village)
    volunteer = Person.objects.create(name="张志愿", phone="13900000001", role="volunteer")
    other = Person.objects.create(name="李同伴", role="volunteer")
    team = Team.objects.create(name="狮子沟巡护队", kind=Team.Kind.VILLAGE)
    team.members.set([chief, volunteer])
    team.leaders.set([chief])
    assignment = ChiefAssignment.objects.create(
        person=chief, waterway=Waterway.objects.get(code="ZW-G07"), level="village", since=date(2024, 1, 1))
    return {"chief": chief, "volunteer": volunteer, "other": other, "team": team, "assignment": assignment}


def person_form(person, **changes):
    form = {
        "name": person.name, "phone": person.phone, "role": person.role, "level": person.level,
        "is_active": "on", "town": person.town_id or "", "village": person.village_id or "", "user": "",
        "note": person.note,
        "chief_assignments-TOTAL_FORMS": "0", "chief_assignments-INITIAL_FORMS": "0",
    }
    form.update(changes)
    return form


def test_person_list_shows_people_with_team_counts_and_finds_by_phone(admin_client_logged_in, people):
    page = admin_client_logged_in.get(reverse("admin:people_person_changelist"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "陈河长" in html and "张志愿" in html and "狮子沟村委会" in html

    found = admin_client_logged_in.get(reverse("admin:people_person_changelist"), {"q": "13900000001"})
    assert found.context["cl"].result_count == 1
    assert found.context["cl"].result_list[0].team_count == 1


def test_person_page_shows_teams_and_chief_assignments(admin_client_logged_in, people):
    page = admin_client_logged_in.get(reverse("admin:people_person_change", args=[people["chief"].pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "狮子沟巡护队" in html  # teams and led teams
    assert "chief_assignments-0-waterway" in html  # the inline with the assignment


def test_a_level_that_does_not_suit_the_role_is_refused_in_words(admin_client_logged_in, people):
    volunteer = people["volunteer"]
    response = admin_client_logged_in.post(
        reverse("admin:people_person_change", args=[volunteer.pk]), person_form(volunteer, role="deputy", level="village"))

    assert response.status_code == 200  # the form again, with the error
    assert "级别“村级”不适用于人大代表" in response.content.decode()
    volunteer.refresh_from_db()
    assert volunteer.role == "volunteer"


def test_a_village_of_another_town_is_refused_and_a_village_alone_brings_its_town(admin_client_logged_in, people):
    volunteer = people["volunteer"]
    url = reverse("admin:people_person_change", args=[volunteer.pk])
    other_town = Town.objects.get(code="420303101")
    village = Village.objects.get(code="420303100200")

    refused = admin_client_logged_in.post(url, person_form(volunteer, town=other_town.pk, village=village.pk))
    assert refused.status_code == 200 and "不属于柏林镇" in refused.content.decode()

    saved = admin_client_logged_in.post(url, person_form(volunteer, village=village.pk))
    assert saved.status_code == 302
    volunteer.refresh_from_db()
    assert volunteer.town.code == "420303100"


def test_team_leaders_must_be_members(admin_client_logged_in, people):
    team = people["team"]
    url = reverse("admin:people_team_change", args=[team.pk])
    assert admin_client_logged_in.get(url).status_code == 200
    form = {"name": team.name, "kind": team.kind, "town": "", "village": "",
            "members": [people["volunteer"].pk], "leaders": [people["other"].pk]}

    refused = admin_client_logged_in.post(url, form)
    assert refused.status_code == 200 and "队长必须是本队成员：李同伴" in refused.content.decode()
    assert set(team.leaders.all()) == {people["chief"]}

    form["members"] = [people["volunteer"].pk, people["other"].pk]
    assert admin_client_logged_in.post(url, form).status_code == 302
    assert set(team.members.all()) == {people["volunteer"], people["other"]}
    assert set(team.leaders.all()) == {people["other"]}


def test_team_and_assignment_lists_load(admin_client_logged_in, people):
    teams = admin_client_logged_in.get(reverse("admin:people_team_changelist"))
    assert teams.status_code == 200 and "狮子沟巡护队" in teams.content.decode()

    current = admin_client_logged_in.get(reverse("admin:people_chiefassignment_changelist"), {"current": "yes"})
    assert current.status_code == 200 and current.context["cl"].result_count == 1
    ended = admin_client_logged_in.get(reverse("admin:people_chiefassignment_changelist"), {"current": "no"})
    assert ended.context["cl"].result_count == 0
    page = admin_client_logged_in.get(reverse("admin:people_chiefassignment_change", args=[people["assignment"].pk]))
    assert page.status_code == 200


def test_an_assignment_ending_before_it_starts_is_refused_in_words(admin_client_logged_in, people):
    assignment = people["assignment"]
    response = admin_client_logged_in.post(
        reverse("admin:people_chiefassignment_change", args=[assignment.pk]),
        {"person": assignment.person_id, "waterway": assignment.waterway_id, "level": "village",
         "since": "2024-01-01", "until": "2023-12-31"},
    )
    assert response.status_code == 200 and "任职止不能早于任职起" in response.content.decode()
    assignment.refresh_from_db()
    assert assignment.until is None


def test_user_admin_is_kept(admin_client_logged_in, admin_user):
    page = admin_client_logged_in.get(reverse("admin:people_user_changelist"))
    assert page.status_code == 200 and admin_user.username in page.content.decode()


def test_a_phone_typed_with_dashes_is_stored_as_digits(db):
    from people.models import Person

    person = Person(name="王五", role="volunteer", phone="139-0000 0009")
    person.full_clean()
    person.save()
    assert Person.objects.get(pk=person.pk).phone == "13900000009"


def test_only_a_superuser_grants_the_staff_role_or_links_a_login(db, client, django_user_model):
    from django.contrib.auth.models import Permission

    from people.models import Person

    clerk = django_user_model.objects.create_user("clerk", password="pw-12345", is_staff=True)
    clerk.user_permissions.set(Permission.objects.filter(codename__in=["view_person", "change_person"]))
    person = Person.objects.create(name="赵路人", role="volunteer")
    client.force_login(clerk)
    page = client.get(f"/admin/people/person/{person.pk}/change/").content.decode()
    assert 'value="staff"' not in page  # the role list has no 工作人员 for a clerk
    assert 'name="user"' not in page  # and the login link is read-only
    client.post(f"/admin/people/person/{person.pk}/change/", {
        "name": "赵路人", "role": "staff", "level": "", "is_active": "on", "phone": "", "note": "",
        "chief_assignments-TOTAL_FORMS": "0", "chief_assignments-INITIAL_FORMS": "0",
    })
    person.refresh_from_db()
    assert person.role == "volunteer"
