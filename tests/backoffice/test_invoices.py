"""The staff's invoice page: PDFs, corrections with a reason, and invoicing a point on request."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from ebok.audit.models import AuditEntry
from ebok.billing.models import Invoice, InvoiceKind
from ebok.common.actor import SYSTEM
from ebok.readings.models import Source
from ebok.readings.services import reading_submit
from tests.factories import make_history


@pytest.fixture
def invoiced(cast, tariff, today):
    customer = cast["customer_a_record"]
    point, meter = make_history(customer, tariff.group, invoices=2, today=today - dt.timedelta(days=10))
    return {"point": point, "meter": meter, "invoice": customer.invoices.order_by("-id").first()}


def url(name, *args):
    return reverse(f"backoffice:{name}", args=args)


def test_the_clerk_sees_the_invoice_with_its_lines_and_pdfs(staff, invoiced):
    invoice = invoiced["invoice"]

    page = staff("office_clerk").get(url("invoice", invoice.pk)).content.decode()

    assert invoice.number in page
    for line in invoice.lines.all():
        assert line.description in page
    for layout in ("", "?layout=receipt"):
        pdf = staff("office_clerk").get(url("invoice_pdf", invoice.pk) + layout)
        assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_a_correction_with_a_new_reading_is_issued_from_the_invoice_page(staff, invoiced):
    invoice, meter = invoiced["invoice"], invoiced["meter"]

    response = staff("office_clerk").post(
        url("invoice_correct", invoice.pk), {"reason": "Zły odczyt", f"meter_{meter.pk}": "117"}
    )

    correction = Invoice.objects.get(kind=InvoiceKind.CORRECTION)
    assert response.url == url("invoice", correction.pk)
    assert correction.corrects_id == invoice.pk and correction.correction_reason == "Zły odczyt"
    assert correction.total_gross < 0
    assert AuditEntry.objects.filter(object_type="billing.invoice", object_id=str(correction.pk)).exists()


def test_a_correction_needs_a_reason_and_a_reading_that_is_a_number(staff, invoiced):
    invoice, meter = invoiced["invoice"], invoiced["meter"]
    client = staff("office_clerk")

    no_reason = client.post(url("invoice_correct", invoice.pk), {"reason": ""})
    not_a_number = client.post(
        url("invoice_correct", invoice.pk), {"reason": "x", f"meter_{meter.pk}": "abc"}
    )

    assert no_reason.status_code == not_a_number.status_code == 400
    assert not Invoice.objects.filter(kind=InvoiceKind.CORRECTION).exists()


def test_a_correction_that_changes_nothing_is_refused_with_the_reason(staff, invoiced):
    response = staff("office_clerk").post(
        url("invoice_correct", invoiced["invoice"].pk), {"reason": "Sprawdzenie"}
    )

    assert response.status_code == 400
    assert not Invoice.objects.filter(kind=InvoiceKind.CORRECTION).exists()


def test_a_point_is_invoiced_on_request_up_to_its_latest_accepted_reading(staff, invoiced, today):
    point, meter = invoiced["point"], invoiced["meter"]
    reading_submit(actor=SYSTEM, meter=meter, value=Decimal(121), date=today, source=Source.PHONE)

    response = staff("office_clerk").post(url("point_invoice", point.pk))

    issued = Invoice.objects.filter(service_point=point).latest("id")
    assert issued.period_end == today
    assert response.url == url("invoice", issued.pk)


def test_invoicing_a_point_with_nothing_new_says_so(staff, invoiced):
    count = Invoice.objects.count()

    response = staff("office_clerk").post(url("point_invoice", invoiced["point"].pk), follow=True)

    assert Invoice.objects.count() == count
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("role", "view", "correct"),
    [
        ("office_clerk", 200, True),
        ("administrator", 200, True),
        ("auditor", 200, False),
        ("meter_reader", 200, False),
    ],
)
def test_who_may_see_an_invoice_and_who_may_correct_it(staff, invoiced, role, view, correct):
    client = staff(role)
    invoice = invoiced["invoice"]

    assert client.get(url("invoice", invoice.pk)).status_code == view
    response = client.post(url("invoice_correct", invoice.pk), {"reason": "x"})
    assert (response.status_code != 403) == correct


def test_customers_and_anonymous_visitors_get_no_staff_invoice_page(client, cast, invoiced):
    invoice_url = url("invoice", invoiced["invoice"].pk)

    assert client.get(invoice_url).url.startswith("/staff/login/")
    client.force_login(cast["customer_a"])
    assert client.get(invoice_url).status_code == 403
