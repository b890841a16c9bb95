"""The map page as HTML: login first, the list of waterways, the empty state."""

from django.urls import reverse

from waterways.models import Waterway


def test_home_requires_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_home_lists_every_waterway_with_its_length(logged_in_client, district_data):
    page = logged_in_client.get(reverse("home")).content.decode()
    for waterway in Waterway.objects.all():
        assert waterway.name in page
        assert f">{waterway.length_m / 1000:.2f}<" in page  # lengths in km, as the column says
    assert "3 条河流、39 条支沟" in page
    # All scripts and styles come from the app itself.
    assert "https://unpkg" not in page and "cdn." not in page


def test_home_speaks_english_when_asked(logged_in_client, district_data):
    logged_in_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = logged_in_client.get(reverse("home")).content.decode()
    assert "3 rivers and 39 gullies" in page
    assert 'lang="en"' in page


def test_empty_network_explains_how_to_load_data(logged_in_client, db):
    Waterway.objects.filter(kind="gully").delete()
    Waterway.objects.filter(parent__isnull=False).delete()
    Waterway.objects.all().delete()
    page = logged_in_client.get(reverse("home")).content.decode()
    assert "load_district_data" in page


def test_chinese_is_the_default_even_for_english_browsers(logged_in_client, district_data):
    page = logged_in_client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in page and "张湾区水系" in page
