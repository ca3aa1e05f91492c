"""Staff announce water outages and planned works for everyone, a town or a street (chosen from the addresses of
the service points), and send an announcement once, to the consenting customers of its area only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from ebok.audit.models import AuditEntry
from ebok.common.actor import SYSTEM, Actor
from ebok.notifications.models import Announcement, AnnouncementScope, Message
from ebok.notifications.services import announcement_create, consents_set
from tests import factories

NEW = "/staff/announcements/new/"


@pytest.fixture
def staff(staff_en):
    return staff_en


@pytest.fixture
def area(cast, group, today):
    """Two towns with a street Lipowa each; who consented to outage messages by e-mail is said by name."""

    def resident(name: str, street: str, city: str, *, consents: bool):
        customer = factories.make_customer(name=name, email=f"{name.split()[0].lower()}@example.org")
        factories.make_point(customer, group, street=street, city=city)
        if consents:
            consents_set(
                actor=SYSTEM, customer=customer, wanted={("outage", "email"): True}, channel="portal"
            )
        return customer

    return {
        "anna": resident("Anna Lis", "ul. Lipowa 3", "Piekoszów", consents=True),
        "bogdan": resident("Bogdan Lis", "ul. Lipowa 10/2", "Piekoszów", consents=False),
        "ewa": resident("Ewa Polna", "ul. Polna 1", "Piekoszów", consents=True),
        "jan": resident("Jan Lipa", "ul. Lipowa 5", "Wincentów", consents=True),
    }


def form(**overrides) -> dict:
    data = {
        "title": "Przerwa w dostawie wody",
        "body": "Wymiana zasuwy.\n\nWoda z beczkowozu przy sklepie.",
        "scope": "street",
        "city": "Piekoszów",
        "street": "ul. Lipowa",
        "starts_on": "2025-07-01",
        "ends_on": "02.07.2025",
    }
    data.update(overrides)
    return data


def make_announcement(clerk, **fields) -> Announcement:
    values = {
        "title": "Przerwa w dostawie wody",
        "body": "Wymiana zasuwy.",
        "scope": AnnouncementScope.STREET,
        "city": "Piekoszów",
        "street": "ul. Lipowa",
        "starts_on": dt.date(2025, 7, 1),
        "ends_on": dt.date(2025, 7, 2),
    }
    values.update(fields)
    return announcement_create(actor=Actor(user=clerk, channel="backoffice"), **values)


# --- creating ------------------------------------------------------------------------------------------


def test_the_form_offers_the_towns_and_their_streets_of_the_service_points(staff, area):
    response = staff("office_clerk").get(NEW)

    form_ = response.context["form"]
    assert response.status_code == 200
    assert [value for value, _label in form_.fields["city"].choices][1:] == ["Piekoszów", "Wincentów"]
    streets = dict(form_.fields["street"].choices[1:])
    assert streets["Piekoszów"] == [("ul. Lipowa", "ul. Lipowa"), ("ul. Polna", "ul. Polna")]
    assert streets["Wincentów"] == [("ul. Lipowa", "ul. Lipowa")]
    assert '<optgroup label="Wincentów">' in response.content.decode()


def test_staff_create_an_announcement_for_a_street_and_it_is_audited(staff, area, cast):
    response = staff("office_clerk").post(NEW, form())

    announcement = Announcement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/staff/announcements/{announcement.pk}/"
    assert announcement.scope == AnnouncementScope.STREET
    assert (announcement.city, announcement.street) == ("Piekoszów", "ul. Lipowa")
    assert (announcement.starts_on, announcement.ends_on) == (dt.date(2025, 7, 1), dt.date(2025, 7, 2))
    assert announcement.created_by == cast["office_clerk"]
    assert announcement.sent_at is None
    [entry] = AuditEntry.objects.filter(action="announcement.created")
    assert entry.actor == cast["office_clerk"]
    assert entry.channel == "backoffice"
    assert entry.data == {"title": "Przerwa w dostawie wody", "area": "ul. Lipowa, Piekoszów"}


def test_an_announcement_for_everyone_or_a_town_keeps_no_street(staff, area):
    client = staff("office_clerk")

    client.post(NEW, form(scope="all"))
    client.post(NEW, form(scope="city", city="Wincentów"))

    everyone, town = Announcement.objects.order_by("id")
    assert (everyone.scope, everyone.city, everyone.street) == ("all", "", "")
    assert (town.scope, town.city, town.street) == ("city", "Wincentów", "")


@pytest.mark.parametrize(
    ("overrides", "field", "error"),
    [
        ({"street": "ul. Polna", "city": "Wincentów"}, "street", "There is no street ul. Polna in Wincentów"),
        ({"street": ""}, "street", "Choose the street"),
        ({"scope": "city", "city": ""}, "city", "Choose the town or village"),
        ({"scope": "street", "city": "", "street": ""}, "city", "Choose the town or village"),
        ({"city": "Kielce"}, "city", "Select a valid choice"),
        ({"street": "ul. Nieznana"}, "street", "Select a valid choice"),
        ({"scope": "somewhere"}, "scope", "Select a valid choice"),
        ({"ends_on": "2025-06-30", "starts_on": "2025-07-01"}, "ends_on", "before the first one"),
        ({"starts_on": "2025-06-01", "ends_on": "2025-06-29"}, "ends_on", "in the past"),
        ({"starts_on": "31.02.2025"}, "starts_on", "Write the date as DD.MM.YYYY"),
        ({"title": ""}, "title", "This field is required"),
        ({"body": "  "}, "body", "This field is required"),
    ],
)
def test_wrong_input_is_refused_with_a_clear_error_and_nothing_is_saved(staff, area, overrides, field, error):
    response = staff("office_clerk").post(NEW, form(**overrides))

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert error in " ".join(response.context["form"].errors[field])
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Announcement.objects.exists()


# --- sending -------------------------------------------------------------------------------------------


def send(client, announcement, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(f"/staff/announcements/{announcement.pk}/send/", follow=True)


def test_sending_reaches_only_the_consenting_customers_of_the_street(
    staff, area, cast, django_capture_on_commit_callbacks
):
    announcement = make_announcement(cast["office_clerk"])

    response = send(staff("office_clerk"), announcement, django_capture_on_commit_callbacks)

    assert [m.to for m in mail.outbox] == [
        ["anna@example.org"]
    ]  # not Bogdan (no consent), Ewa, Jan (elsewhere)
    assert mail.outbox[0].subject == "Przerwa w dostawie wody"
    assert Message.objects.get().customer == area["anna"]
    announcement.refresh_from_db()
    assert announcement.sent_at is not None
    assert announcement.recipients == 1
    page = response.content.decode()
    assert "Sent: 1 message to the customers of the area" in page
    assert "Send to consenting customers" not in page
    [entry] = AuditEntry.objects.filter(action="announcement.sent")
    assert entry.actor == cast["office_clerk"]
    assert entry.channel == "backoffice"
    assert entry.data["messages"] == 1


def test_a_town_announcement_reaches_the_consenting_customers_of_the_whole_town(
    staff, area, cast, django_capture_on_commit_callbacks
):
    announcement = make_announcement(cast["office_clerk"], scope=AnnouncementScope.CITY, street="")

    send(staff("administrator"), announcement, django_capture_on_commit_callbacks)

    assert sorted(m.to[0] for m in mail.outbox) == ["anna@example.org", "ewa@example.org"]


def test_a_second_send_sends_nothing_and_says_it_was_sent(
    staff, area, cast, django_capture_on_commit_callbacks
):
    announcement = make_announcement(
        cast["office_clerk"], scope=AnnouncementScope.EVERYONE, city="", street=""
    )
    client = staff("office_clerk")
    send(client, announcement, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 3

    response = send(client, announcement, django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 3
    assert Message.objects.count() == 3
    assert "This announcement was already sent on" in response.content.decode()
    assert "(3 messages). It is sent only once." in response.content.decode()
    assert AuditEntry.objects.filter(action="announcement.sent").count() == 1


def test_sending_where_nobody_consented_says_so(staff, area, cast, django_capture_on_commit_callbacks):
    consents_set(actor=SYSTEM, customer=area["jan"], wanted={("outage", "email"): False}, channel="portal")
    announcement = make_announcement(cast["office_clerk"], city="Wincentów")

    response = send(staff("office_clerk"), announcement, django_capture_on_commit_callbacks)

    assert mail.outbox == []
    assert "Nobody was sent the announcement" in response.content.decode()
    announcement.refresh_from_db()
    assert announcement.sent_at is not None


# --- the list and the page -----------------------------------------------------------------------------


def test_the_list_shows_title_area_dates_and_what_was_sent(
    staff, area, cast, django_capture_on_commit_callbacks
):
    sent = make_announcement(cast["office_clerk"], title="Płukanie sieci")
    make_announcement(
        cast["office_clerk"],
        title="Remont ujęcia",
        scope=AnnouncementScope.CITY,
        street="",
        starts_on=dt.date(2025, 8, 1),
        ends_on=dt.date(2025, 8, 3),
    )
    send(staff("office_clerk"), sent, django_capture_on_commit_callbacks)

    response = staff("auditor").get("/staff/announcements/")

    page = response.content.decode()
    assert response.status_code == 200
    assert [a.title for a in response.context["page"]] == ["Remont ujęcia", "Płukanie sieci"]
    assert f'<a href="/staff/announcements/{sent.pk}/">Płukanie sieci</a>' in page
    assert "<td>ul. Lipowa, Piekoszów</td>" in page
    assert "<td>01.08.2025</td><td>03.08.2025</td>" in "".join(page.split())
    assert ", 1 message</td>" in page
    assert "not sent" in page


def test_the_auditor_sees_announcements_but_cannot_create_or_send_them(
    staff, area, cast, django_capture_on_commit_callbacks
):
    announcement = make_announcement(cast["office_clerk"])
    client = staff("auditor")

    listing = client.get("/staff/announcements/").content.decode()
    detail = client.get(f"/staff/announcements/{announcement.pk}/").content.decode()

    assert "Wymiana zasuwy." in detail
    assert "Send to consenting customers" not in detail
    assert NEW not in listing
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, form()).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/staff/announcements/{announcement.pk}/send/").status_code == 403
    assert mail.outbox == []
    assert Announcement.objects.count() == 1
