"""Reading.billed marks the readings an invoice covers; the billing run looks only at the others."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps

from ebok.billing.run import invoices_issue_batch
from ebok.billing.selectors import points_to_bill
from ebok.billing.services import invoice_correct, invoice_issue
from ebok.common import clock
from ebok.common.actor import CLI, SYSTEM
from ebok.readings.models import Reading, Source
from ebok.readings.services import reading_submit
from tests import factories

pytestmark = pytest.mark.django_db

MAR31, APR30, MAY31 = dt.date(2025, 3, 31), dt.date(2025, 4, 30), dt.date(2025, 5, 31)


@pytest.fixture
def meter(group, tariff):
    point = factories.make_point(factories.make_customer(), group)
    meter = factories.make_meter(point)
    with clock.frozen_at(dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)):
        for day, value in ((MAR31, "10"), (APR30, "14"), (MAY31, "19")):
            reading_submit(actor=SYSTEM, meter=meter, value=value, date=day, source=Source.READER)
    return meter


def _billed(meter) -> dict[dt.date, bool]:
    return dict(Reading.objects.filter(meter=meter).values_list("date", "billed"))


def test_an_invoice_marks_the_readings_up_to_its_end_and_no_later_ones(meter):
    invoice_issue(actor=SYSTEM, service_point=meter.service_point, up_to=APR30)

    assert _billed(meter) == {MAR31: True, APR30: True, MAY31: False}
    assert list(points_to_bill(MAY31).values_list("pk", "bill_to")) == [(meter.service_point_id, MAY31)]


def test_a_batch_marks_the_readings_it_invoiced(meter):
    invoices_issue_batch(actor=CLI, candidates=[(meter.service_point_id, MAY31)])

    assert _billed(meter) == {MAR31: True, APR30: True, MAY31: True}
    assert not points_to_bill(MAY31).exists()


def test_a_reading_corrected_on_an_invoice_is_billed(meter):
    invoice = invoice_issue(actor=SYSTEM, service_point=meter.service_point, up_to=MAY31)

    invoice_correct(actor=SYSTEM, invoice=invoice, reason="Błędny odczyt", readings={meter.pk: Decimal("18")})

    assert Reading.objects.get(meter=meter, date=MAY31, status="accepted").billed is True
    assert not points_to_bill(MAY31).exists()


def test_the_migration_marks_what_existing_invoices_cover(meter):
    invoice_issue(actor=SYSTEM, service_point=meter.service_point, up_to=APR30)
    Reading.objects.update(billed=False)

    importlib.import_module("ebok.readings.migrations.0004_reading_billed").mark_billed(apps, None)

    assert _billed(meter) == {MAR31: True, APR30: True, MAY31: False}


def test_invoicing_a_flat_rate_point_marks_no_other_readings(meter, group):
    flat = factories.make_point(factories.make_customer(), group)  # no meter: billed by the norm

    invoice_issue(actor=SYSTEM, service_point=flat, up_to=MAY31)
    invoices_issue_batch(actor=CLI, candidates=[(flat.pk, dt.date(2025, 6, 30))])

    assert _billed(meter) == {MAR31: False, APR30: False, MAY31: False}
    assert list(points_to_bill(MAY31).values_list("pk", "bill_to")) == [(meter.service_point_id, MAY31)]
