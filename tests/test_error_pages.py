"""A request that reaches no view, or breaks one: a program under /api/ gets the API's refusal shape
(JSON, `detail` in its language, a `code`), never an HTML page it cannot read; a person gets a page
in Chinese that says what happened and the way back."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def production_errors(settings):
    settings.DEBUG = False  # Django's handlers answer only with DEBUG off, as in production


def test_an_unknown_api_address_is_a_json_404(logged_in_client):
    response = logged_in_client.get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found" and "没有这个接口地址" in response.json()["detail"]


def test_the_api_404_speaks_the_language_the_program_asked_for(logged_in_client):
    response = logged_in_client.get("/api/activities/not-a-number/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404 and "No such API address" in response.json()["detail"]


def test_an_unknown_page_is_a_chinese_404_page(logged_in_client):
    response = logged_in_client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "找不到这个页面" in html and "返回首页" in html and response["Content-Type"].startswith("text/html")


@pytest.mark.urls("tests.support.breaking_urls")
def test_a_crash_in_the_api_is_a_json_500_that_says_nothing_was_saved(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    response = client.get("/api/breaks/")
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert response.json()["code"] == "server_error" and "没有保存任何内容" in response.json()["detail"]
    assert "a bug nobody caught" not in response.content.decode()  # no internals


@pytest.mark.urls("tests.support.breaking_urls")
def test_a_crash_on_a_page_is_a_chinese_500_page(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    response = client.get("/breaks/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "服务器出错了" in html and "a bug nobody caught" not in html
