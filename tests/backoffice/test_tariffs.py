"""Tariffs in the back-office: the groups' price versions, and a new tariff after a preview of its impact."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from ebok.audit.models import AuditEntry
from ebok.tariffs.models import Tariff
from ebok.tariffs.selectors import tariff_impact
from tests import factories
from tests.factories import make_history


def url(name, *args):
    return reverse(f"backoffice:{name}", args=args)


@pytest.fixture
def group_with_invoices(cast, tariff, today):
    """Group G1 with three points: A invoiced every 30 days up to 20 June, B invoiced up to 31 May, and C
    opened on 30 April with no invoice yet."""
    a, _ = make_history(cast["customer_a_record"], tariff.group, invoices=4, today=dt.date(2025, 6, 20))
    b, _ = make_history(cast["customer_b_record"], tariff.group, invoices=1, today=dt.date(2025, 5, 31))
    celina = factories.make_customer(name="Celina Zając")
    c = factories.make_point(celina, tariff.group, opening_date=dt.date(2025, 4, 30))
    return {"a": a, "b": b, "c": c}


def tariff_data(group, **overrides):
    return {
        "group": group.pk,
        "valid_from": "2025-06-01",
        "water_price": "6,71",
        "sewage_price": "9.35",
        "subscription_fee": "18,40",
        "sewage_subscription_fee": "",
        "fee_period_months": "1",
        "vat_percent": "8",
        "approval_note": "Decyzja Wód Polskich z 12.05.2025",
        **overrides,
    }


def test_the_impact_lists_invoices_reaching_the_new_tariff_and_splits_the_rest(group_with_invoices, tariff):
    impact = tariff_impact(tariff.group, dt.date(2025, 6, 1))

    a = group_with_invoices["a"]
    assert impact.points == 3
    assert [(i.invoice.service_point_id, i.invoice.period_end, i.days_after) for i in impact.invoices] == [
        (a.pk, dt.date(2025, 6, 20), 20)  # 22 May – 20 June: 20 of its days are in June
    ]
    assert impact.points_invoiced_after == 1  # A: its invoice needs a correction
    assert impact.points_new_prices == 1  # B: invoiced up to 31 May, its next invoice starts on 1 June
    assert impact.points_split == 1  # C: its first invoice starts on 1 May, it will be split at 1 June


def test_the_impact_counts_points_whose_next_invoice_is_split_at_the_change(group_with_invoices, tariff):
    impact = tariff_impact(tariff.group, dt.date(2025, 6, 25))

    assert impact.invoices == []
    assert impact.points_split == 3 and impact.points_new_prices == 0 and impact.points_invoiced_after == 0


def test_the_list_shows_each_group_with_its_price_versions(staff, tariff):
    factories.make_tariff(tariff.group, dt.date(2025, 1, 1), water="6.71")

    page = staff("office_clerk").get(url("tariffs")).content.decode()

    assert tariff.group.code in page and tariff.group.name in page
    assert "01.01.2020" in page and "01.01.2025" in page
    assert "6,24" in page or "6.24" in page
    assert "6,71" in page or "6.71" in page
    assert url("tariff_new") not in page  # the clerk can't add tariffs


def test_the_preview_lists_the_invoices_the_new_tariff_affects_and_saves_nothing(
    staff, group_with_invoices, tariff
):
    response = staff("administrator").post(url("tariff_new"), tariff_data(tariff.group))

    page = response.content.decode()
    affected = group_with_invoices["a"].invoices.get(period_end=dt.date(2025, 6, 20))
    older = group_with_invoices["a"].invoices.get(period_end=dt.date(2025, 5, 21))
    assert response.status_code == 200
    assert affected.number in page and affected.customer.name in page and "22.05.2025" in page
    assert older.number not in page
    assert 'name="step" value="confirm"' in page
    assert Tariff.objects.filter(group=tariff.group).count() == 1
    assert not AuditEntry.objects.filter(action="tariff.created", actor__isnull=False).exists()


def test_the_administrator_saves_the_tariff_after_the_preview(staff, cast, tariff):
    client = staff("administrator")

    response = client.post(url("tariff_new"), {**tariff_data(tariff.group), "step": "confirm"})

    assert response.status_code == 302 and response.url == url("tariffs")
    new = Tariff.objects.get(group=tariff.group, valid_from=dt.date(2025, 6, 1))
    assert new.water_price == Decimal("6.71") and new.sewage_price == Decimal("9.35")
    assert new.subscription_fee == Decimal("18.40") and new.sewage_subscription_fee == 0
    assert new.vat_rate == Decimal("0.08") and new.approval_note.startswith("Decyzja")
    entry = AuditEntry.objects.get(action="tariff.created", object_id=str(new.pk))
    assert entry.actor == cast["administrator"] and entry.channel == "backoffice"


def test_the_values_can_be_changed_after_the_preview(staff, tariff):
    response = staff("administrator").post(url("tariff_new"), {**tariff_data(tariff.group), "step": "edit"})

    assert response.status_code == 200
    assert 'value="6,71"' in response.content.decode()
    assert Tariff.objects.count() == 1


def test_a_tariff_not_after_the_latest_one_is_refused_already_in_the_preview(staff, tariff):
    client = staff("administrator")

    before = client.post(url("tariff_new"), tariff_data(tariff.group, valid_from="2019-12-31"))
    confirmed = client.post(
        url("tariff_new"), {**tariff_data(tariff.group, valid_from="2020-01-01"), "step": "confirm"}
    )

    assert before.status_code == confirmed.status_code == 400
    assert 'id="id_valid_from_error"' in before.content.decode()
    assert 'id="id_valid_from_error"' in confirmed.content.decode()
    assert Tariff.objects.count() == 1


def test_prices_must_be_numbers_that_are_not_negative(staff, tariff):
    response = staff("administrator").post(
        url("tariff_new"),
        tariff_data(tariff.group, water_price="-1", sewage_price="abc", subscription_fee="1.234"),
    )

    page = response.content.decode()
    assert response.status_code == 400
    for name in ("water_price", "sewage_price", "subscription_fee"):
        assert f'id="id_{name}_error"' in page
    assert Tariff.objects.count() == 1


@pytest.mark.parametrize(
    ("role", "sees", "adds"),
    [
        ("administrator", True, True),
        ("office_clerk", True, False),  # the clerk has no tariffs.add_tariff (roles.py)
        ("auditor", True, False),
        ("meter_reader", False, False),
    ],
)
def test_who_may_see_and_add_tariffs(staff, tariff, role, sees, adds):
    client = staff(role)

    listing = client.get(url("tariffs"))
    form = client.get(url("tariff_new"))
    saved = client.post(url("tariff_new"), {**tariff_data(tariff.group), "step": "confirm"})

    assert (listing.status_code == 200) == sees and (listing.status_code == 403) != sees
    assert (form.status_code == 200) == adds and (form.status_code == 403) != adds
    assert (saved.status_code == 302) == adds and (saved.status_code == 403) != adds
    assert Tariff.objects.filter(valid_from=dt.date(2025, 6, 1)).exists() == adds


def test_customers_and_anonymous_visitors_get_no_tariff_pages(client, cast, tariff):
    assert client.get(url("tariffs")).url.startswith("/staff/login/")
    client.force_login(cast["customer_a"])
    assert client.get(url("tariffs")).status_code == 403
    assert client.post(url("tariff_new"), {**tariff_data(tariff.group), "step": "confirm"}).status_code == 403


def test_confirming_the_preview_saves_exactly_what_was_previewed(staff, tariff):
    client = staff("administrator")
    preview = client.post(url("tariff_new"), tariff_data(tariff.group)).content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', preview))

    response = client.post(url("tariff_new"), {**hidden, "step": "confirm"})

    assert response.status_code == 302
    new = Tariff.objects.get(group=tariff.group, valid_from=dt.date(2025, 6, 1))
    assert (new.water_price, new.sewage_price, new.subscription_fee) == (
        Decimal("6.71"),
        Decimal("9.35"),
        Decimal("18.40"),
    )
