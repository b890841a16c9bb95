"""The admin edits waterways on a Leaflet map; a new line re-cuts the reaches."""

import json

import pytest
from django.conf import settings
from django.urls import reverse

from waterways.models import Waterway


@pytest.fixture
def admin_client_logged_in(client, admin_user):
    client.force_login(admin_user)
    return client


def test_change_page_shows_the_line_on_a_leaflet_map(admin_client_logged_in, district_data):
    gully = Waterway.objects.get(name="狮子沟")
    page = admin_client_logged_in.get(reverse("admin:waterways_waterway_change", args=[gully.pk])).content.decode()
    assert "leaflet" in page.lower()
    assert "LineString" in page  # the widget carries the geometry as GeoJSON
    assert "cdn." not in page and "unpkg" not in page


def test_saving_a_shortened_line_updates_length_and_reaches(admin_client_logged_in, district_data):
    gully = Waterway.objects.get(name="狮子沟")
    reaches_before = gully.reaches.count()
    lonlat = gully.geom.transform(settings.API_SRID, clone=True)
    half = json.dumps({"type": "LineString", "coordinates": lonlat.coords[len(lonlat.coords) // 2:]})
    form = {
        "code": gully.code, "name": gully.name, "name_pinyin": gully.name_pinyin, "kind": gully.kind,
        "parent": gully.parent_id, "town": gully.town_id or "", "village": gully.village_id or "",
        "accuracy": "digitised", "source": "改画于管理后台", "geom": half,
    }
    response = admin_client_logged_in.post(reverse("admin:waterways_waterway_change", args=[gully.pk]), form)
    assert response.status_code == 302, response.content.decode()[:2000]

    gully.refresh_from_db()
    assert gully.accuracy == "digitised"
    assert gully.length_m == pytest.approx(gully.geom.length)
    assert gully.reaches.count() == pytest.approx(reaches_before / 2, abs=2)
    assert sum(r.length_m for r in gully.reaches.all()) == pytest.approx(gully.length_m, rel=1e-3)


def test_moving_a_gully_to_another_river_moves_its_junction(admin_client_logged_in, district_data):
    from waterways.models import ReachLink

    gully = Waterway.objects.get(name="狮子沟")
    other_river = Waterway.objects.get(name="犟河")
    form = {
        "code": gully.code, "name": gully.name, "name_pinyin": gully.name_pinyin, "kind": gully.kind,
        "parent": other_river.pk, "town": gully.town_id or "", "village": gully.village_id or "",
        "accuracy": gully.accuracy, "source": gully.source,
        "geom": gully.geom.transform(settings.API_SRID, clone=True).geojson,
    }
    response = admin_client_logged_in.post(reverse("admin:waterways_waterway_change", args=[gully.pk]), form)
    assert response.status_code == 302
    # Its mouth is far from the 犟河, so the old junction goes and no new one is invented.
    assert not ReachLink.objects.filter(kind="junction", reach__waterway=gully).exists()
