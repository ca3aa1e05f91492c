"""The periodic notifications (`ebok notify`, `ebok worker`): the reading-window reminder, the payment-due
reminder and the delivery of invoices issued without the portal; each sends once however often it runs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.db.models import F
from django.urls import reverse
from django.utils import translation

from ebok.billing.services import invoice_correct
from ebok.common import clock
from ebok.common.actor import SYSTEM
from ebok.company.models import ReadingWindow
from ebok.notifications.models import ConsentKind, ConsentMedium, DeliveryMethod, InvoiceDelivery, Message
from ebok.notifications.scheduled import payment_due_notify, reading_window_notify, run_scheduled
from ebok.notifications.services import consents_set
from ebok.payments.services import payment_record
from ebok.readings.models import Source, Status
from ebok.readings.services import reading_submit
from tests import factories

pytestmark = pytest.mark.django_db

WARSAW = ZoneInfo("Europe/Warsaw")
# The factories' company reads meters in three windows: 1 Jan–30 Apr, 1 May–31 Aug, 1 Sep–31 Dec.
WINDOW_OPENS = dt.date(2025, 9, 1)
WINDOW_SUBJECT = "EBOK: time to read your water meter"


def _at(day: dt.date, hour: int = 7):
    """The clock on a morning of `day` in Poland (when cron runs `ebok notify`)."""
    return clock.frozen_at(dt.datetime.combine(day, dt.time(hour), tzinfo=WARSAW))


def _consent(customer, kind, medium=ConsentMedium.EMAIL):
    consents_set(actor=SYSTEM, customer=customer, wanted={(kind, medium): True}, channel="portal")


# --- the reading window --------------------------------------------------------------------------------------


@pytest.fixture
def opening_day(company):
    with _at(WINDOW_OPENS):
        yield WINDOW_OPENS


def _household(tariff, *, name="Anna Nowak", language="en", consent=True):
    """A customer with one address and one meter (read 100 m³ when installed at the end of January)."""
    customer = factories.make_customer(
        name=name, email=f"{name.split()[0].lower()}@example.org", language=language
    )
    point = factories.make_point(customer, tariff.group, opening_date=dt.date(2025, 1, 31))
    meter = factories.make_meter(point, reading="100")
    if consent:
        _consent(customer, ConsentKind.READING_WINDOW)
    return customer, meter


def _remind(day, django_capture_on_commit_callbacks) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return reading_window_notify(day)


def test_on_the_first_day_of_the_window_a_consenting_customer_gets_one_reminder_with_a_link_to_submit(
    opening_day, tariff, django_capture_on_commit_callbacks
):
    customer, _meter = _household(tariff)

    assert _remind(opening_day, django_capture_on_commit_callbacks) == 1

    message = Message.objects.get()
    assert (message.customer, message.kind, message.template) == (
        customer,
        ConsentKind.READING_WINDOW,
        "reading_window",
    )
    [email] = mail.outbox
    assert email.to == [customer.email]
    assert email.subject == WINDOW_SUBJECT
    assert "from 01.09.2025 to 31.12.2025" in email.body
    assert settings.EBOK_SITE_URL + reverse("portal:dashboard") in email.body
    assert settings.EBOK_SITE_URL + reverse("portal:website_reading") in email.body


def test_the_reminder_is_in_each_customers_language(opening_day, tariff, django_capture_on_commit_callbacks):
    polish, _ = _household(tariff, name="Jan Kowalski", language="pl")
    english, _ = _household(tariff, name="John Smith", language="en")

    assert _remind(opening_day, django_capture_on_commit_callbacks) == 2

    subjects = {email.to[0]: email.subject for email in mail.outbox}
    assert subjects[english.email] == WINDOW_SUBJECT
    assert Message.objects.get(customer=polish).language == "pl"
    with translation.override("pl"):
        assert subjects[polish.email] == translation.gettext(WINDOW_SUBJECT)


def test_a_polish_customer_gets_a_polish_subject(opening_day, tariff, django_capture_on_commit_callbacks):
    _household(tariff, name="Jan Kowalski", language="pl")

    _remind(opening_day, django_capture_on_commit_callbacks)

    [email] = mail.outbox
    assert email.subject.startswith("EBOK")
    assert email.subject != WINDOW_SUBJECT


def test_a_customer_without_reading_window_consent_gets_no_reminder(
    opening_day, tariff, django_capture_on_commit_callbacks
):
    customer, _ = _household(tariff, consent=False)
    _consent(customer, ConsentKind.PAYMENT_DUE)  # consents to something else

    assert _remind(opening_day, django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []


def test_a_customer_who_withdrew_the_consent_gets_no_reminder(
    opening_day, tariff, django_capture_on_commit_callbacks
):
    customer, _ = _household(tariff)
    consents_set(
        actor=SYSTEM,
        customer=customer,
        wanted={(ConsentKind.READING_WINDOW, "email"): False},
        channel="portal",
    )

    assert _remind(opening_day, django_capture_on_commit_callbacks) == 0
    assert not Message.objects.exists()


def test_a_customer_who_already_read_the_meter_in_the_window_gets_no_reminder(
    opening_day, tariff, django_capture_on_commit_callbacks
):
    _customer, meter = _household(tariff)
    reading_submit(actor=SYSTEM, meter=meter, value="160", date=opening_day, source=Source.PORTAL)

    assert _remind(opening_day, django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []


def test_a_reading_from_before_the_window_or_a_refused_one_does_not_count(
    opening_day, tariff, django_capture_on_commit_callbacks
):
    _customer, meter = _household(tariff)
    reading_submit(actor=SYSTEM, meter=meter, value="150", date=dt.date(2025, 8, 29), source=Source.READER)
    refused = reading_submit(actor=SYSTEM, meter=meter, value="140", date=opening_day, source=Source.PORTAL)
    assert refused.status == Status.REFUSED  # lower than the previous reading

    assert _remind(opening_day, django_capture_on_commit_callbacks) == 1


def test_reading_one_address_does_not_excuse_another(opening_day, tariff, django_capture_on_commit_callbacks):
    customer, meter = _household(tariff)
    second_point = factories.make_point(
        customer, tariff.group, street="ul. Leśna 7", opening_date=dt.date(2025, 1, 31)
    )
    factories.make_meter(second_point, reading="10")
    reading_submit(actor=SYSTEM, meter=meter, value="160", date=opening_day, source=Source.PORTAL)

    assert _remind(opening_day, django_capture_on_commit_callbacks) == 1


def test_a_customer_without_a_meter_in_service_gets_no_reminder(
    opening_day, company, django_capture_on_commit_callbacks
):
    customer = factories.make_customer(email="nometer@example.org")
    _consent(customer, ConsentKind.READING_WINDOW)

    assert _remind(opening_day, django_capture_on_commit_callbacks) == 0


def test_running_twice_sends_nothing_more(opening_day, tariff, django_capture_on_commit_callbacks):
    _household(tariff)

    assert _remind(opening_day, django_capture_on_commit_callbacks) == 1
    assert _remind(opening_day, django_capture_on_commit_callbacks) == 0
    with _at(opening_day + dt.timedelta(days=1)):
        assert _remind(opening_day + dt.timedelta(days=1), django_capture_on_commit_callbacks) == 0

    assert Message.objects.count() == 1
    assert len(mail.outbox) == 1


def test_two_days_after_the_start_a_customer_not_yet_reminded_still_gets_one(
    opening_day, tariff, django_capture_on_commit_callbacks
):
    _household(tariff, name="Anna Nowak")
    assert _remind(opening_day, django_capture_on_commit_callbacks) == 1
    latecomer, _ = _household(tariff, name="Zofia Lis")  # asked for reminders a day later
    later = opening_day + dt.timedelta(days=2)

    with _at(later), django_capture_on_commit_callbacks(execute=True):
        assert run_scheduled()["reading_window"] == 1

    assert Message.objects.filter(customer=latecomer).count() == 1
    assert len(mail.outbox) == 2


def test_well_into_the_window_no_reminder_goes_out_any_more(
    opening_day, tariff, django_capture_on_commit_callbacks
):
    _household(tariff)
    later = opening_day + dt.timedelta(days=10)

    with _at(later):
        assert _remind(later, django_capture_on_commit_callbacks) == 0


def test_outside_every_window_nothing_is_sent(company, tariff, django_capture_on_commit_callbacks):
    ReadingWindow.objects.filter(company=company).update(end_month=F("start_month"), end_day=14)
    with _at(dt.date(2025, 8, 1)):
        _household(tariff)

    for day in (dt.date(2025, 8, 1), dt.date(2025, 10, 1)):
        with _at(day):
            assert _remind(day, django_capture_on_commit_callbacks) == 0
    with _at(dt.date(2025, 9, 1)):  # the shortened windows still open on the 1st
        assert _remind(dt.date(2025, 9, 1), django_capture_on_commit_callbacks) == 1


# --- payment due ---------------------------------------------------------------------------------------------


@pytest.fixture
def invoice_due_soon(cast, tariff, today):
    """Customer A's invoice issued on 18 June, due on 2 July: two days after `today` (30 June)."""
    customer = cast["customer_a_record"]
    customer.email, customer.language = "anna@example.org", "en"
    customer.save(update_fields=["email", "language"])
    factories.make_history(customer, tariff.group, invoices=1, today=dt.date(2025, 6, 18))
    invoice = customer.invoices.get()
    assert invoice.due_date == dt.date(2025, 7, 2)
    _consent(customer, ConsentKind.PAYMENT_DUE)
    return invoice


def _due(today, django_capture_on_commit_callbacks) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return payment_due_notify(today)


def _pay(invoice, amount, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        payment_record(
            actor=SYSTEM,
            customer=invoice.customer,
            amount=amount,
            received_on=clock.today(),
            title=f"Faktura {invoice.number}",
        )


def test_an_unpaid_invoice_falling_due_soon_gets_one_reminder_with_the_open_amount(
    invoice_due_soon, today, django_capture_on_commit_callbacks
):
    invoice = invoice_due_soon

    assert _due(today, django_capture_on_commit_callbacks) == 1

    message = Message.objects.get()
    assert (message.kind, message.template, message.invoice) == (ConsentKind.PAYMENT_DUE, "payment_due", None)
    [email] = mail.outbox
    assert email.subject == f"EBOK: invoice {invoice.number} falls due soon"
    assert f"is due on 02.07.2025; {invoice.total_gross:.2f} zł is still to pay" in email.body
    assert invoice.bank_account in email.body


def test_a_paid_invoice_gets_no_reminder(invoice_due_soon, today, django_capture_on_commit_callbacks):
    _pay(invoice_due_soon, invoice_due_soon.total_gross, django_capture_on_commit_callbacks)

    assert _due(today, django_capture_on_commit_callbacks) == 0
    assert not Message.objects.filter(kind=ConsentKind.PAYMENT_DUE).exists()


def test_a_partly_paid_invoice_reminds_of_the_rest(
    invoice_due_soon, today, django_capture_on_commit_callbacks
):
    invoice = invoice_due_soon
    _pay(invoice, D("20.00"), django_capture_on_commit_callbacks)

    assert _due(today, django_capture_on_commit_callbacks) == 1

    [email] = mail.outbox
    assert f"{invoice.total_gross - D('20.00'):.2f} zł is still to pay" in email.body


def test_running_the_payment_reminder_twice_sends_it_once(
    invoice_due_soon, today, django_capture_on_commit_callbacks
):
    assert _due(today, django_capture_on_commit_callbacks) == 1
    assert _due(today, django_capture_on_commit_callbacks) == 0
    assert _due(today + dt.timedelta(days=1), django_capture_on_commit_callbacks) == 0

    assert len(mail.outbox) == 1


def test_the_reminder_waits_until_the_due_date_is_within_the_notice_days(
    invoice_due_soon, today, settings, django_capture_on_commit_callbacks
):
    settings.EBOK_PAYMENT_DUE_NOTICE_DAYS = 1

    assert _due(today, django_capture_on_commit_callbacks) == 0  # due in 2 days
    assert _due(today + dt.timedelta(days=1), django_capture_on_commit_callbacks) == 1


def test_an_overdue_invoice_gets_no_due_soon_reminder(
    invoice_due_soon, today, django_capture_on_commit_callbacks
):
    assert _due(invoice_due_soon.due_date + dt.timedelta(days=1), django_capture_on_commit_callbacks) == 0


def test_without_payment_due_consent_no_reminder(cast, tariff, today, django_capture_on_commit_callbacks):
    customer = cast["customer_a_record"]
    customer.email = "anna@example.org"
    customer.save(update_fields=["email"])
    factories.make_history(customer, tariff.group, invoices=1, today=dt.date(2025, 6, 18))

    assert _due(today, django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []


# --- invoices issued without the portal ----------------------------------------------------------------------


def _invoice_issued_by_billing(cast, tariff, *, consent=None, day=dt.date(2025, 6, 29)):
    """Customer A's invoice issued by the billing service itself (a billing run, the API, staff)."""
    customer = cast["customer_a_record"]
    customer.email = "anna@example.org"
    customer.save(update_fields=["email"])
    if consent:
        _consent(customer, consent)
    factories.make_history(customer, tariff.group, invoices=1, today=day)
    return customer.invoices.get()


@pytest.mark.parametrize(
    ("consent", "method", "emails"),
    [
        (ConsentKind.E_INVOICE, DeliveryMethod.EMAIL, 1),
        (ConsentKind.INVOICE_ISSUED, DeliveryMethod.NOTICE, 1),
        (None, DeliveryMethod.PAPER, 0),
    ],
)
def test_an_invoice_issued_without_the_portal_is_delivered_once_by_the_scheduled_run(
    cast, tariff, today, django_capture_on_commit_callbacks, consent, method, emails
):
    invoice = _invoice_issued_by_billing(cast, tariff, consent=consent)
    assert not InvoiceDelivery.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        first = run_scheduled()
    with django_capture_on_commit_callbacks(execute=True):
        second = run_scheduled()

    assert (first["invoices"], second["invoices"]) == (1, 0)
    assert InvoiceDelivery.objects.get().invoice == invoice
    assert InvoiceDelivery.objects.get().method == method
    assert len(mail.outbox) == emails
    assert Message.objects.count() == emails
    if method == DeliveryMethod.EMAIL:
        [(name, _content, mimetype)] = mail.outbox[0].attachments
        assert (name, mimetype) == (invoice.number.replace("/", "-") + ".pdf", "application/pdf")


def test_an_invoice_issued_before_the_lookback_is_left_alone(
    cast, tariff, today, django_capture_on_commit_callbacks
):
    with clock.frozen_at(clock.now() - dt.timedelta(days=3)):
        _invoice_issued_by_billing(cast, tariff, consent=ConsentKind.E_INVOICE, day=dt.date(2025, 6, 27))

    with django_capture_on_commit_callbacks(execute=True):
        assert run_scheduled()["invoices"] == 0

    assert not InvoiceDelivery.objects.exists()
    assert mail.outbox == []


def test_a_correction_invoice_is_delivered_too_and_its_sms_asks_for_no_negative_payment(
    cast, tariff, today, settings, django_capture_on_commit_callbacks
):
    settings.EBOK_SMS_PROVIDER = "console"
    invoice = _invoice_issued_by_billing(cast, tariff, consent=ConsentKind.INVOICE_ISSUED)
    customer = invoice.customer
    customer.phone = "600 123 456"
    customer.save(update_fields=["phone"])
    _consent(customer, ConsentKind.INVOICE_ISSUED, ConsentMedium.SMS)
    with django_capture_on_commit_callbacks(execute=True):
        run_scheduled()
    meter = invoice.service_point.meters.get()
    reading = meter.readings.order_by("-date").first()
    correction = invoice_correct(
        actor=SYSTEM, invoice=invoice, reason="Wrong reading.", readings={meter.pk: reading.value - D("5")}
    )
    assert correction.total_gross < 0

    with django_capture_on_commit_callbacks(execute=True):
        assert run_scheduled()["invoices"] == 1

    assert InvoiceDelivery.objects.get(invoice=correction).method == DeliveryMethod.NOTICE
    sms = Message.objects.get(medium=ConsentMedium.SMS, dedupe_key=f"invoice-notice:{correction.pk}:sms")
    assert correction.number in sms.body
    assert "-" + f"{abs(correction.total_gross):.2f}".replace(".", ",") not in sms.body
    assert "zł" not in sms.body
