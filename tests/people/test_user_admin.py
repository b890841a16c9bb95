"""The user admin: staff status, superuser status, groups and permissions are a superuser's to give.
A clerk (staff, not superuser, with the user permissions) manages ordinary logins only."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse


@pytest.fixture
def clerk(db, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", password="pw-12345", is_staff=True)
    clerk.user_permissions.set(Permission.objects.filter(
        content_type__app_label="people", codename__in=["add_user", "change_user", "view_user"]))
    return clerk


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


@pytest.fixture
def managers(db):
    group = Group.objects.create(name="河长办管理员")
    group.permissions.set(Permission.objects.filter(codename__in=["delete_user", "change_person"]))
    return group


@pytest.fixture
def volunteer(db, django_user_model):
    return django_user_model.objects.create_user("field-volunteer", password="pw-12345")


def change_form(user, **changes):
    """What the change page posts, with the privilege boxes ticked."""
    form = {
        "username": user.username, "first_name": user.first_name, "last_name": user.last_name,
        "email": user.email, "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"), "date_joined_1": "08:00:00",
    }
    form.update(changes)
    return form


def privileges(user):
    user.refresh_from_db()
    return (user.is_staff, user.is_superuser, list(user.groups.all()),
            sorted(user.user_permissions.values_list("codename", flat=True)))


def grants(managers):
    return {"is_staff": "on", "is_superuser": "on", "groups": [managers.pk],
            "user_permissions": list(Permission.objects.filter(codename="delete_user").values_list("pk", flat=True))}


def test_the_clerk_sees_the_privileges_but_cannot_tick_them(clerk_client, volunteer):
    page = clerk_client.get(reverse("admin:people_user_change", args=[volunteer.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="first_name"' in html  # the rest of the account is editable
    for field in ("is_staff", "is_superuser", "groups", "user_permissions"):
        assert f'name="{field}"' not in html


def test_the_clerk_cannot_promote_themselves(clerk_client, clerk, managers):
    before = privileges(clerk)
    response = clerk_client.post(reverse("admin:people_user_change", args=[clerk.pk]),
                                 change_form(clerk, first_name="文书", **grants(managers)))
    assert response.status_code == 302  # saved: the other fields went through
    assert privileges(clerk) == before == (True, False, [], ["add_user", "change_user", "view_user"])
    assert clerk.first_name == "文书"


def test_the_clerk_cannot_promote_another_login(clerk_client, volunteer, managers):
    response = clerk_client.post(reverse("admin:people_user_change", args=[volunteer.pk]),
                                 change_form(volunteer, last_name="张", **grants(managers)))
    assert response.status_code == 302
    assert privileges(volunteer) == (False, False, [], [])
    assert volunteer.last_name == "张"


def test_a_login_the_clerk_adds_has_no_privileges(clerk_client, managers, django_user_model):
    response = clerk_client.post(reverse("admin:people_user_add"), {
        "username": "new-volunteer", "usable_password": "true",
        "password1": "a-long-pass-7731", "password2": "a-long-pass-7731", **grants(managers),
    })
    assert response.status_code == 302
    assert privileges(django_user_model.objects.get(username="new-volunteer")) == (False, False, [], [])


def test_the_clerk_cannot_change_a_superuser_or_their_password(clerk_client, admin_user):
    url = reverse("admin:people_user_change", args=[admin_user.pk])
    page = clerk_client.get(url)
    assert page.status_code == 200  # may look, read-only
    assert 'name="username"' not in page.content.decode()

    refused = clerk_client.post(url, change_form(admin_user, is_staff="", is_superuser="", is_active=""))
    assert refused.status_code == 403
    password = clerk_client.post(reverse("admin:auth_user_password_change", args=[admin_user.pk]),
                                 {"password1": "taken-over-7731", "password2": "taken-over-7731"})
    assert password.status_code == 403
    admin_user.refresh_from_db()
    assert admin_user.is_superuser and admin_user.is_staff and admin_user.is_active
    assert admin_user.check_password("password")


def test_the_clerk_cannot_take_over_another_staff_login(clerk_client, django_user_model):
    colleague = django_user_model.objects.create_user("colleague", password="pw-12345", is_staff=True)
    assert clerk_client.post(reverse("admin:people_user_change", args=[colleague.pk]),
                             change_form(colleague, is_staff="")).status_code == 403
    assert clerk_client.post(reverse("admin:auth_user_password_change", args=[colleague.pk]),
                             {"password1": "taken-over-7731", "password2": "taken-over-7731"}).status_code == 403
    colleague.refresh_from_db()
    assert colleague.is_staff and colleague.check_password("pw-12345")


def test_the_clerk_cannot_take_over_a_login_whose_person_is_office_staff(clerk_client, django_user_model):
    """A login without is_staff whose person's role is 工作人员 reads and reviews everything too."""
    from people.models import Person

    office = django_user_model.objects.create_user("office-worker", password="pw-12345")
    Person.objects.create(name="河长办小王", role="staff", user=office)
    assert clerk_client.post(reverse("admin:auth_user_password_change", args=[office.pk]),
                             {"password1": "taken-over-7731", "password2": "taken-over-7731"}).status_code == 403
    office.refresh_from_db()
    assert office.check_password("pw-12345")


def test_the_clerk_still_resets_a_volunteers_password(clerk_client, volunteer):
    response = clerk_client.post(reverse("admin:auth_user_password_change", args=[volunteer.pk]),
                                 {"password1": "new-pass-7731", "password2": "new-pass-7731"})
    assert response.status_code == 302
    volunteer.refresh_from_db()
    assert volunteer.check_password("new-pass-7731")


def test_a_superuser_still_grants_and_takes_away(client, admin_user, volunteer, clerk, managers):
    client.force_login(admin_user)
    response = client.post(reverse("admin:people_user_change", args=[volunteer.pk]),
                           change_form(volunteer, **grants(managers)))
    assert response.status_code == 302
    assert privileges(volunteer) == (True, True, [managers], ["delete_user"])

    response = client.post(reverse("admin:people_user_change", args=[clerk.pk]), change_form(clerk))
    assert response.status_code == 302
    assert privileges(clerk) == (False, False, [], [])
