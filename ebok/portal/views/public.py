"""The portal's public pages, open to everyone without logging in: home, help topics and the accessibility
statement required by the Polish act of 4 April 2019 on digital accessibility."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.dates import MONTHS_ALT
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ebok.common import clock
from ebok.company.models import Company
from ebok.company.selectors import company_or_none
from ebok.notifications.selectors import announcements_current

# The accessibility statement's dates: change them whenever the portal or the statement changes materially.
ACCESSIBILITY_PUBLISHED = dt.date(2026, 11, 28)
ACCESSIBILITY_UPDATED = dt.date(2026, 11, 28)

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")

# Examples shown on the help pages when explaining where to find things on an invoice.
EXAMPLE_CUSTOMER_CODE = "012345"
EXAMPLE_INVOICE_NUMBER = "FV/2026/000123"


def example_invoice_number(company: Company | None) -> str:
    """An invoice number in the utility's own pattern, so that the example looks like the customer's invoice."""
    if company is None:
        return EXAMPLE_INVOICE_NUMBER
    try:
        return company.invoice_series_pattern.format(year=2026, number=123)
    except (KeyError, IndexError, ValueError):
        return EXAMPLE_INVOICE_NUMBER


@dataclass(frozen=True)
class HelpTopic:
    title: Promise
    summary: Promise
    template: str


HELP_TOPICS: dict[str, HelpTopic] = {
    "reading-the-meter": HelpTopic(
        _("How to read your water meter"),
        _("Which digits to write down, where to find the meter number, and how to take a good photo."),
        "portal/public/help/reading_the_meter.html",
    ),
    "submitting-a-reading": HelpTopic(
        _("How to submit a reading and get your invoice"),
        _("Step by step, with or without an account, and what happens when a reading needs checking."),
        "portal/public/help/submitting_a_reading.html",
    ),
    "reading-windows": HelpTopic(
        _("When the meter reader visits"),
        _("The three reading rounds a year, and how to be billed more often."),
        "portal/public/help/reading_windows.html",
    ),
    "registration": HelpTopic(
        _("Registering for EBOK"),
        _("Where to find your customer code and invoice number, and what happens after you register."),
        "portal/public/help/registration.html",
    ),
    "faq": HelpTopic(
        _("Frequently asked questions"),
        _("Lost invoices, payments, e-invoices, passwords, meter replacement, moving out and outages."),
        "portal/public/help/faq.html",
    ),
}


def reading_windows(company: Company | None) -> list[dict]:
    """The utility's reading rounds as sentences in the active language, e.g. "… from January to the end of
    April"; a round that does not start and end on a month boundary is shown with its days."""
    if company is None:
        return []
    rounds = []
    for window in company.reading_windows.all():
        number = ROMAN[window.ordinal - 1] if 1 <= window.ordinal <= len(ROMAN) else str(window.ordinal)
        # calendar.monthrange of a common year: a round ending on 28 February ends with the month.
        whole_months = (
            window.start_day == 1 and window.end_day >= calendar.monthrange(2001, window.end_month)[1]
        )
        figures = {
            "number": number,
            "start": MONTHS_ALT[window.start_month],
            "end": MONTHS_ALT[window.end_month],
            "start_day": window.start_day,
            "end_day": window.end_day,
        }
        if whole_months:
            # Translators: a reading round of the meter reader. The months are Django's "alt. month" names
            # (in Polish the genitive: "od stycznia do końca kwietnia").
            text = gettext("Reading round %(number)s: from %(start)s to the end of %(end)s") % figures
        else:
            # Translators: a reading round with its days, e.g. "from 15 January to 30 April". The months are
            # Django's "alt. month" names (in Polish the genitive: "od 15 stycznia do 30 kwietnia").
            text = (
                gettext("Reading round %(number)s: from %(start_day)s %(start)s to %(end_day)s %(end)s")
                % figures
            )
        rounds.append({"ordinal": window.ordinal, "number": number, "text": text})
    return rounds


def _help_topics() -> list[dict]:
    return [{"slug": slug, "topic": topic} for slug, topic in HELP_TOPICS.items()]


def home(request: HttpRequest) -> HttpResponse:
    company = company_or_none()
    context = {
        "company": company,
        "nav": "home",
        "reading_windows": reading_windows(company),
        "help_topics": _help_topics(),
        "announcements": list(announcements_current(clock.today())),
    }
    return render(request, "portal/public/home.html", context)


def accessibility(request: HttpRequest) -> HttpResponse:
    context = {
        "company": company_or_none(),
        "site_url": request.build_absolute_uri(reverse("portal:home")),
        "published": ACCESSIBILITY_PUBLISHED,
        "updated": ACCESSIBILITY_UPDATED,
    }
    return render(request, "portal/public/accessibility.html", context)


def help_index(request: HttpRequest) -> HttpResponse:
    context = {"company": company_or_none(), "nav": "help", "help_topics": _help_topics()}
    return render(request, "portal/public/help/index.html", context)


def help_topic(request: HttpRequest, topic: str) -> HttpResponse:
    help_topic = HELP_TOPICS.get(topic)
    if help_topic is None:
        raise Http404("No such help topic.")
    company = company_or_none()
    context = {
        "company": company,
        "nav": "help",
        "slug": topic,
        "topic": help_topic,
        "help_topics": _help_topics(),
        "reading_windows": reading_windows(company) if topic == "reading-windows" else [],
        "example_customer_code": EXAMPLE_CUSTOMER_CODE,
        "example_invoice_number": example_invoice_number(company),
    }
    return render(request, help_topic.template, context)
