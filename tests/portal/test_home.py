"""The public home page: Polish by default, English on request, with the office's phone and hours."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_home_page_is_polish_by_default_and_shows_the_office_phone(client, company):
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="pl">' in html
    assert company.office_phone in html
    assert "How to register" not in html  # translated


def test_home_page_in_english(client, company):
    response = client.get("/", headers={"Accept-Language": "en"})

    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "How to register" in html


def test_home_page_works_before_the_utility_is_set_up(client, db):
    assert client.get("/").status_code == 200
