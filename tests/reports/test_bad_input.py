"""Whatever a query string holds, every reports endpoint answers in Chinese: a 400 that says what was
wrong (the API) or the page with the error explained (/compliance/), never a 500. The values below
each broke something once: dates whose next day or whose window start does not exist, digits that
str.isdigit accepts and int() does not (², ³), and a waterway id beyond PostgreSQL's bigint."""

import html

import pytest
from django.urls import reverse

FILTERED = [  # reports.params.ReportParams: start, end, waterway, kind, role, team
    "/api/coverage/", "/api/coverage/gaps/", "/api/coverage/reaches/", "/api/hotspots/",
    "/api/map/summary/", "/api/map/activities/", "/api/map/tracks/", "/api/map/problems/",
    "/api/tiles/tracks/12/3305/1658.mvt", "/api/tiles/freshness/12/3305/1658.mvt", "/api/tiles/gaps/12/3305/1658.mvt",
    "/api/compliance/chiefs/",
]
# As of the end: they take no start (the tiles of reaches read it as their GeoJSON layers do).
AS_OF_END = ["/api/coverage/gaps/", "/api/coverage/reaches/", "/api/tiles/freshness/12/3305/1658.mvt",
             "/api/tiles/gaps/12/3305/1658.mvt"]
DEPUTIES = "/api/compliance/deputies/"  # year, days, as_of
ENDPOINTS = FILTERED + [DEPUTIES]

# (query, the endpoints that read it, the field named, words the message must contain)
BAD_INPUT = [
    ({"end": "9999-12-31"}, FILTERED, "end", ["结束日期", "2000-01-01", "2100-12-31"]),
    ({"start": "0001-01-01"}, [url for url in FILTERED if url not in AS_OF_END], "start",
     ["开始日期", "2000-01-01", "2100-12-31"]),
    ({"end": "0001-01-05", "days": "30"}, FILTERED, "end", ["结束日期", "2000-01-01", "2100-12-31"]),
    ({"waterway": "²"}, FILTERED, "waterway", ["河道"]),
    ({"waterway": "9223372036854775808"}, FILTERED, "waterway", ["河道"]),
    ({"team": "²"}, FILTERED, "team", ["队伍"]),
    ({"size": "²"}, ["/api/hotspots/"], "size", ["size"]),
    ({"year": "²"}, [DEPUTIES], "year", ["年份"]),
    ({"days": "³"}, ["/api/coverage/gaps/", "/api/tiles/gaps/12/3305/1658.mvt", DEPUTIES], "days", ["天数"]),
    ({"as_of": "9999-12-31"}, [DEPUTIES], "as_of", ["截至日期", "2000-01-01", "2100-12-31"]),
]


def _chinese(text):
    return any("\u4e00" <= character <= "\u9fff" for character in text)


@pytest.mark.parametrize("query, readers, field, words", BAD_INPUT, ids=[str(case[0]) for case in BAD_INPUT])
def test_every_reports_endpoint_refuses_bad_input_in_chinese_and_never_fails(report_people, api, query, readers,
                                                                             field, words):
    staff = api(report_people["staff"])
    for url in ENDPOINTS:
        response = staff.get(url, query)
        if url not in readers:  # a parameter the endpoint does not read is ignored
            assert response.status_code == 200, (url, response.content[:300])
            continue
        assert response.status_code == 400, (url, response.content[:300])
        body = response.json()
        assert field in body["errors"], (url, body)
        assert _chinese(body["detail"]) and all(word in body["detail"] for word in words), (url, body)


@pytest.mark.parametrize("query, readers, field, words", BAD_INPUT, ids=[str(case[0]) for case in BAD_INPUT])
def test_the_compliance_page_explains_bad_input_and_still_shows(client, report_people, query, readers, field, words):
    client.force_login(report_people["staff"].user)
    response = client.get(reverse("compliance"), query)
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "河长巡河考核" in page and "人大代表参与情况" in page
    if "/api/hotspots/" in readers and len(readers) == 1:  # size is not a parameter of the page
        assert 'class="form-error" role="alert"' not in page
        return
    errors = page[page.index('class="form-error" role="alert"'):]
    errors = errors[:errors.index("</div>")]
    assert all(word in errors for word in words if word != "size"), errors
    # The deputies' year falls back to a year that exists (the period's, or this one).
    heading = page[page.index("人大代表参与情况（"):]
    year = int(heading[len("人大代表参与情况（"):heading.index(" 年）")])
    assert 2000 <= year <= 2100
