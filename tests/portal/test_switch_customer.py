"""A person with several customer codes (or several addresses) sees and switches between them."""

from __future__ import annotations

from django.urls import reverse

from ebok.accounts.models import CustomerAccess
from ebok.common import clock
from tests import factories


def test_a_person_with_two_customer_codes_switches_between_them(client_a, cast, home_a, tariff):
    second = factories.make_customer(name="Anna Nowak – sklep", street="ul. Rynek 2")
    factories.make_point(second, tariff.group, street="ul. Rynek 2")
    CustomerAccess.objects.create(user=cast["customer_a"], customer=second, granted_at=clock.now())

    first_page = client_a.get(reverse("portal:dashboard")).content.decode()
    assert 'id="switch-customer"' in first_page and second.code in first_page
    assert "ul. Polna 1" in first_page

    response = client_a.post(
        reverse("portal:switch_customer"), {"customer": second.code, "next": "/invoices/"}
    )

    assert response.url == "/invoices/"
    page = client_a.get(reverse("portal:dashboard")).content.decode()
    assert "ul. Rynek 2" in page and "ul. Polna 1" not in page


def test_switching_to_a_code_that_is_not_linked_changes_nothing(client_a, cast, home_a):
    other = cast["customer_b_record"]

    client_a.post(reverse("portal:switch_customer"), {"customer": other.code}, follow=True)

    page = client_a.get(reverse("portal:dashboard")).content.decode()
    assert other.name not in page and "ul. Polna 1" in page


def test_switching_from_an_object_page_returns_to_the_dashboard_not_to_a_404(client_a, cast, home_a):
    second = factories.make_customer(name="Druga firma")
    CustomerAccess.objects.create(user=cast["customer_a"], customer=second, granted_at=clock.now())
    invoice = home_a["customer"].invoices.first()

    response = client_a.post(
        reverse("portal:switch_customer"), {"customer": second.code, "next": f"/invoices/{invoice.pk}/"}
    )

    assert response.url == reverse("portal:dashboard")


def test_an_address_outside_the_portal_is_never_a_redirect_target(client_a, home_a):
    response = client_a.post(
        reverse("portal:switch_customer"),
        {"customer": home_a["customer"].code, "next": "https://evil.example.org/"},
    )

    assert response.url == reverse("portal:dashboard")


def test_each_address_of_a_customer_has_its_own_reading_form(client_a, home_a, tariff):
    garden = factories.make_point(home_a["customer"], tariff.group, street="ul. Sadowa 9")
    factories.make_meter(garden)

    page = client_a.get(reverse("portal:dashboard")).content.decode()

    assert reverse("portal:submit_reading", args=[home_a["point"].pk]) in page
    assert reverse("portal:submit_reading", args=[garden.pk]) in page
