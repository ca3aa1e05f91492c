"""A realistic synthetic utility for demos and benchmarks, built through the product's own services.

`seed_utility()` replays years of a small Polish water utility – the Zakład Usług Komunalnych w Piekoszowie
(fictitious data, `Company.is_demo`) – as a discrete-event simulation: customers are connected, the meter
reader walks the route three times a year and issues the invoice on the spot, some customers report readings
in between (portal, phone, e-mail, office), tariffs change on 1 July, people pay by transfer (on time, late,
with standing orders that build up credit, or not at all). Every write goes through the services
(customer_create, meter_install, reading_submit, invoice_issue, payment_record, …), so the data obeys every
billing rule; only the Company row, its reading windows and the tariff groups (which have no service) are
created directly.

Determinism: all randomness comes from `random.Random(seed)` (and per-customer generators derived from it),
never from the global generator, and every event runs inside `clock.frozen_at(<its simulated moment>)`, so
two runs with the same arguments into two empty databases write identical rows, ids and timestamps included.
The history ends on the fixed END_DATE, never "today".
"""

from __future__ import annotations

import contextlib
import datetime as dt
import heapq
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import Count
from stdnum import iban
from stdnum.pl import nip as stdnum_nip
from stdnum.pl import pesel as stdnum_pesel
from tqdm import tqdm

from ebok.accounts.models import CustomerAccess, Registration, RegistrationStatus, Role, User
from ebok.billing.models import Invoice, InvoiceKind
from ebok.billing.services import invoice_issue
from ebok.common import clock
from ebok.common.actor import SYSTEM, Actor
from ebok.company.models import Company, ReadingWindow
from ebok.customers.models import Customer, CustomerKind
from ebok.customers.services import customer_create
from ebok.metering.models import Meter, MeterRole, ServicePoint
from ebok.metering.services import meter_install, meter_replace, service_point_create
from ebok.payments.models import Payment, PaymentMethod
from ebok.payments.selectors import settlement_for_customer
from ebok.payments.services import opening_balance_record, payment_record
from ebok.readings.models import Reading, Source, Status
from ebok.readings.services import (
    AVERAGE_MONTH_DAYS,
    MIN_HISTORY_DAYS,
    reading_submit,
    readings_submit_for_point,
)
from ebok.tariffs.models import TariffGroup
from ebok.tariffs.services import tariff_create

END_DATE = dt.date(2026, 11, 15)  # the simulated "today" at the end of the history (fixed: determinism)
ONE_DAY = dt.timedelta(days=1)
FIRST_CODE = 100001
MAX_CUSTOMERS = 999_999 - FIRST_CODE + 1

# --- the utility ----------------------------------------------------------------------------------------------

BANK_ROUTING = "10205297"  # an 8-digit bank routing number (check digit valid); the utility's part follows
COMPANY = {
    "legal_name": "Zakład Usług Komunalnych w Piekoszowie Sp. z o.o.",
    "short_name": "ZUK Piekoszów",
    "nip": "9599999984",  # checksum-valid and fictitious (959 = a Kielce tax office prefix, then nines)
    "regon": "269999995",  # checksum-valid and fictitious
    "krs": "0099999999",  # far beyond any number the register has assigned
    "street": "ul. Czarnowska 3",
    "postal_code": "26-065",
    "city": "Piekoszów",
    "email": "biuro@zuk-piekoszow.example",
    "website": "https://zuk-piekoszow.example/",
    "office_phone": "784 048 513",
    "office_hours": "poniedziałek–piątek 7:00–15:00",
    "bank_name": "PKO Bank Polski S.A.",
    "bank_account_prefix": BANK_ROUTING + "0001",
    "is_demo": True,
}
READING_WINDOWS = [(1, 1, 1, 4, 30), (2, 5, 1, 8, 31), (3, 9, 1, 12, 31)]  # ordinal, start m/d, end m/d
# When, inside each window, the meter reader actually walks the route (month, day) – (month, day).
READER_CAMPAIGNS = [((3, 2), (4, 28)), ((7, 1), (8, 28)), ((11, 2), (12, 21))]

GROUPS = {
    "G1": ("Gospodarstwa domowe", "Odbiorcy zużywający wodę na cele bytowe w gospodarstwach domowych."),
    "G2": ("Pozostałe cele", "Odbiorcy prowadzący działalność gospodarczą i pozostali odbiorcy."),
}
# Net prices of the first tariff year: water zł/m³, sewage zł/m³, subscription zł/month; +~4 % each 1 July.
BASE_PRICES = {"G1": ("6.12", "8.64", "16.40"), "G2": ("6.45", "9.30", "19.20")}
YEARLY_INCREASE = Decimal("1.04")
VAT_RATE = Decimal("0.08")

# Mirrors of the company defaults that the plausibility check uses (billing-rules §9).
PLAUSIBILITY_FACTOR = Decimal("3.00")
PLAUSIBILITY_MIN_EXCESS = Decimal("5.000")
DEFAULT_NORM = Decimal("3.000")

# --- people and places -----------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


MALE_NAMES = _words(
    "Jan Andrzej Piotr Krzysztof Stanisław Tomasz Paweł Józef Marcin Marek Michał Grzegorz Jerzy Tadeusz Adam "
    "Łukasz Zbigniew Ryszard Dariusz Henryk Mariusz Kazimierz Wojciech Robert Mateusz Marian Rafał Jacek Janusz "
    "Mirosław Maciej Sławomir Jarosław Kamil Wiesław Roman Władysław Jakub Artur Zdzisław Edward Mieczysław "
    "Damian Dawid Przemysław Sebastian Czesław Leszek Daniel Waldemar Bartosz Szymon Filip Hubert"
)
FEMALE_NAMES = _words(
    "Anna Maria Katarzyna Małgorzata Agnieszka Barbara Ewa Krystyna Elżbieta Magdalena Joanna Zofia Aleksandra "
    "Monika Teresa Danuta Natalia Karolina Marta Beata Dorota Halina Jadwiga Janina Alicja Iwona Grażyna Paulina "
    "Justyna Bożena Urszula Jolanta Renata Helena Agata Irena Stanisława Wanda Sylwia Patrycja Genowefa Lucyna"
)
# (masculine, feminine) forms
SURNAMES = [
    (m, m[:-1] + "a") if m.endswith(("ski", "cki", "dzki")) else (m, m)
    for m in _words(
        "Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Woźniak Dąbrowski "
        "Kozłowski Jankowski Mazur Kwiatkowski Krawczyk Piotrowski Grabowski Nowakowski Pawłowski Michalski "
        "Nowicki Adamczyk Dudek Zając Wieczorek Jabłoński Król Majewski Olszewski Jaworski Wróbel Malinowski "
        "Pawlak Witkowski Walczak Stępień Górski Rutkowski Michalak Sikora Ostrowski Baran Duda Szewczyk "
        "Tomaszewski Pietrzak Marciniak Wróblewski Zalewski Jakubowski Jasiński Zawadzki Sadowski Bąk "
        "Chmielewski Włodarczyk Borkowski Czarnecki Sawicki Sokołowski Urbański Kubiak Maciejewski Szczepański "
        "Kucharski Wilk Kalinowski Lis Mazurek Wysocki Adamski Kaźmierczak Wasilewski Sobczak Czerwiński "
        "Cieślak Głowacki Zakrzewski Kołodziej Sikorski Krajewski Gajewski Szymczak Szulc Baranowski Laskowski "
        "Brzeziński Makowski Przybylski Gil Kania Pałka Banaś Sobczyk Kaczmarczyk Cedro Fidor Łukasik Ciszek "
        "Gawlik Kwiecień Sułek Sitek Wojcieszek Żak Ślusarczyk Chrabąszcz Pietrzyk Fąfara Janik Stachera"
    )
]
# (village, weight, streets or None where houses are numbered by village)
VILLAGES = [
    (
        "Piekoszów",
        24,
        [
            "ul. Częstochowska",
            "ul. Kielecka",
            "ul. Czarnowska",
            "ul. Szkolna",
            "ul. Leśna",
            "ul. Polna",
            "ul. Ogrodowa",
            "ul. Łąkowa",
            "ul. Słoneczna",
            "ul. Kościelna",
            "ul. Jana Pawła II",
            "ul. Sportowa",
            "ul. Zielona",
            "ul. Dworska",
            "ul. Kwiatowa",
        ],
    ),
    ("Micigózd", 9, ["ul. Główna", "ul. Leśna", "ul. Polna", "ul. Spacerowa", "ul. Ogrodowa"]),
    ("Jaworznia", 8, ["ul. Kielecka", "ul. Spokojna", "ul. Kolonia", "ul. Szkolna"]),
    ("Zawada", 6, None),
    ("Łosień", 5, None),
    ("Brynica", 4, None),
    ("Janów", 4, None),
    ("Rykoszyn", 6, None),
    ("Wincentów", 4, None),
    ("Włochy", 4, None),
    ("Podzamcze", 5, None),
    ("Gnieździska", 6, ["ul. Kolonia", "ul. Krótka", "ul. Długa"]),
    ("Oblęgór", 4, None),
    ("Szczukowice", 6, ["ul. Wiejska", "ul. Kielecka", "ul. Słoneczna"]),
    ("Zaborze", 3, None),
    ("Wesoła", 3, None),
]
POSTAL_CODE = "26-065"
BUSINESS_KINDS = [
    "Sklep Spożywczy „{n}” {p}",
    "Piekarnia {s} s.c.",
    "Zakład Stolarski {p}",
    "Usługi Remontowo-Budowlane {p}",
    "Gospodarstwo Agroturystyczne „{n}”",
    "Auto-Serwis {s}",
    "P.H.U. „{n}” {p}",
    "{s} Sp. z o.o.",
    "Zakład Fryzjerski „{n}” {p}",
    "Restauracja „{n}”",
    "Kamieniarstwo {s}",
    "Gabinet Weterynaryjny {p}",
    "Przedszkole Niepubliczne „{n}”",
    "Warsztat Ślusarski {p}",
]
BUSINESS_NAMES = [
    "Pod Lipami",
    "Jodełka",
    "Kasztan",
    "Zielony Zakątek",
    "Sezam",
    "U Basi",
    "Dworek",
    "Pod Skałką",
    "Ametyst",
    "Malwa",
    "Stokrotka",
    "Pod Dębem",
    "Oblęgorek",
    "Promyk",
]
READER_NOTES = [
    "pies na posesji",
    "wodomierz w studzience",
    "wodomierz w piwnicy, wejście od podwórza",
    "klucz u sąsiada pod nr {n}",
    "dzwonić przed wizytą",
    "brama zamknięta – wejście od ogrodu",
]
TAX_OFFICES = ["657", "959", "663", "656"]  # first digits of NIPs issued around Kielce
BANK_CODES = ["1020", "1050", "1140", "1240", "1090", "1160", "2490", "1750"]
MAIL_DOMAINS = ["example.com", "example.org", "example.net"]  # reserved: no message can reach anyone

# Seasonal factors: household use by month, garden watering by month (relative to July).
SEASON = {
    1: 0.95,
    2: 0.95,
    3: 0.97,
    4: 1.0,
    5: 1.04,
    6: 1.08,
    7: 1.12,
    8: 1.1,
    9: 1.02,
    10: 0.98,
    11: 0.95,
    12: 0.97,
}
GARDEN = {5: 0.4, 6: 0.9, 7: 1.0, 8: 0.8, 9: 0.3}

# Actors of the simulated history: nobody logs in, but the channel of every write is what it would be.
IMPORT = Actor(user=None, channel="cli")
OFFICE = Actor(user=None, channel="backoffice")
COLLECTOR = Actor(user=None, channel="collector")
PORTAL = Actor(user=None, channel="portal")
BANK = Actor(user=None, channel="cli")  # statements arrive through `ebok import-bank-statement`
SELF_CHANNELS = {Source.PORTAL: PORTAL, Source.PHONE: OFFICE, Source.EMAIL: OFFICE, Source.OFFICE: OFFICE}


class SeedError(Exception):
    """The seed cannot run (a database that is not empty, bad arguments); nothing was written."""


# --- calendar ----------------------------------------------------------------------------------------------------


def _easter(year: int) -> dt.date:
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


@cache
def _holidays(year: int) -> frozenset[dt.date]:
    easter = _easter(year)
    fixed = [(1, 1), (1, 6), (5, 1), (5, 3), (8, 15), (11, 1), (11, 11), (12, 25), (12, 26)]
    if year >= 2025:
        fixed.append((12, 24))  # a public holiday in Poland since 2025
    days = {dt.date(year, m, d) for m, d in fixed}
    days |= {easter + ONE_DAY, easter + dt.timedelta(days=60)}  # Easter Monday, Corpus Christi
    return frozenset(days)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def next_working_day(day: dt.date) -> dt.date:
    while not is_working_day(day):
        day += ONE_DAY
    return day


def _month_end(day: dt.date) -> dt.date:
    first_next = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first_next - ONE_DAY


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# --- identifiers ---------------------------------------------------------------------------------------------------


def make_nip(rng: random.Random) -> str:
    """A checksum-valid, random NIP (tax office prefix + 6 digits + check digit; 10 is not a check digit)."""
    while True:
        body = rng.choice(TAX_OFFICES) + f"{rng.randrange(10**6):06d}"
        check = sum(w * int(d) for w, d in zip((6, 5, 7, 2, 3, 4, 5, 6, 7), body, strict=True)) % 11
        if check < 10:
            number = body + str(check)
            assert stdnum_nip.is_valid(number)  # noqa: S101 - a self-check of the demo data  # nosec B101
            return number


def make_pesel(rng: random.Random, *, female: bool) -> str:
    """A checksum-valid PESEL of someone born 1940–2004, with the sex digit matching the first name."""
    born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(365 * 65))
    month = born.month + (20 if born.year >= 2000 else 0)
    sex = rng.choice("02468" if female else "13579")
    body = f"{born.year % 100:02d}{month:02d}{born.day:02d}{rng.randrange(1000):03d}{sex}"
    number = body + stdnum_pesel.calc_check_digit(body)
    assert stdnum_pesel.is_valid(number)  # noqa: S101 - a self-check of the demo data  # nosec B101
    return number


def make_nrb(rng: random.Random) -> str:
    """A valid account number at some Polish bank (routing number with its check digit)."""
    routing = rng.choice(BANK_CODES) + f"{rng.randrange(1000):03d}"
    routing += str(-sum(w * int(d) for w, d in zip((3, 9, 7, 1, 3, 9, 7), routing, strict=True)) % 10)
    bban = routing + f"{rng.randrange(10**16):016d}"
    return iban.calc_check_digits("PL00" + bban) + bban


def _ascii(text: str) -> str:
    table = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")
    return text.translate(table).lower()


# --- the simulated world ------------------------------------------------------------------------------------------


@dataclass(eq=False)
class SimMeter:
    role: str
    serial: str
    installed_on: dt.date
    installation: Decimal
    true_value: float  # what the drum really shows; a reading is its whole cubic metres
    accepted: list[tuple[dt.date, Decimal]] = field(default_factory=list)
    verification: dt.date | None = None
    obj: Meter | None = None

    def previous(self) -> tuple[dt.date, Decimal]:
        return self.accepted[-1] if self.accepted else (self.installed_on, self.installation)

    def expected_daily(self, until: dt.date, residents: int) -> Decimal:
        """The same expectation as ebok.readings.services.expected_daily_use, from what the simulation knows."""
        since = until - dt.timedelta(days=365)
        history = [(d, v) for d, v in self.accepted if since <= d <= until]
        if self.installed_on >= since:
            history.insert(0, (self.installed_on, self.installation))
        if len(history) >= 2:
            (first_date, first_value), (last_date, last_value) = history[0], history[-1]
            days = (last_date - first_date).days
            if days >= MIN_HISTORY_DAYS and last_value >= first_value:
                return (last_value - first_value) / days
        return DEFAULT_NORM * max(residents, 1) / AVERAGE_MONTH_DAYS


@dataclass(eq=False)
class SimPoint:
    customer: SimCustomer
    street: str
    city: str
    village_rank: int
    house: int
    residents: int
    group: str
    has_sewage: bool
    flat_rate: bool
    garden: bool
    daily_use: float  # m³ a day, before the season and noise
    garden_peak: float  # m³ a day in July
    reader_notes: str
    opening: dt.date
    meters: list[SimMeter] = field(default_factory=list)  # active meters, main first
    sim_date: dt.date | None = None
    self_source: str | None = None
    self_every: int = 0
    held: bool = False
    skip_last: bool = False
    replace_on: dt.date | None = None
    reading_dates: list[dt.date] = field(default_factory=list)  # planned reading days (any source)
    obj: ServicePoint | None = None


@dataclass(eq=False)
class SimCustomer:
    index: int
    code: str
    kind: str
    name: str
    street: str
    city: str
    email: str
    phone: str
    pesel: str
    nip: str
    joined: dt.date
    initial: bool
    rng: random.Random
    pay: str = "punctual"  # punctual | late | debtor | standing
    cash: bool = False
    names_invoice: bool = True
    debt_from: dt.date | None = None
    opening_balance: Decimal = Decimal("0.00")
    standing_amount: Decimal = Decimal("0.00")
    own_account: str = ""
    points: list[SimPoint] = field(default_factory=list)
    obj: Customer | None = None
    balance: Decimal = Decimal("0.00")


@dataclass
class SeedResult:
    customers: int
    years: int
    seed: int
    start: dt.date
    end: dt.date
    seconds: float
    counts: dict[str, int]
    total_billed: Decimal
    total_paid: Decimal

    def summary(self) -> str:
        c = self.counts

        def zl(amount: Decimal) -> str:
            return f"{amount:,.2f}".replace(",", " ") + " zł"

        sources = ", ".join(
            f"{name} {c.get('readings_' + key, 0)}"
            for key, name in (
                ("reader", "reader"),
                ("portal", "portal"),
                ("phone", "phone"),
                ("email", "e-mail"),
                ("office", "office"),
            )
        )
        lines = [
            f"Seeded {COMPANY['legal_name']} (demo data)",
            f"  history        {self.start} – {self.end} ({self.years} years, seed {self.seed}), "
            f"{self.seconds:.1f} s",
            f"  customers      {c['customers']} ({c['persons']} persons, {c['businesses']} businesses; "
            f"{c['joined_later']} connected during the history)",
            f"  service points {c['points']} ({c['flat_rate']} flat-rate, {c['no_sewage']} without sewage, "
            f"{c['two_points']} customers have two)",
            f"  meters         {c['meters']} ({c['main_meters']} main, {c['garden_meters']} garden; "
            f"{c['replaced']} replaced)",
            f"  readings       {c['readings']} ({sources})",
            f"                 {c['held']} held for review, {c['uninvoiced']} accepted but not invoiced yet "
            f"(for `ebok bill --date {self.end}`)",
            f"  invoices       {c['invoices']}, total billed {zl(self.total_billed)}",
            f"  payments       {c['payments']}, total paid {zl(self.total_paid)}",
            f"  balances       {c['owing']} customers owe ({c['overdue']} overdue), {c['credit']} have credit",
        ]
        return "\n".join(lines)


def _share(fraction: float, population: list) -> int:
    """How many of `population` get a feature: the fraction, but at least one (so small seeds show everything)."""
    return min(len(population), max(1, round(fraction * len(population))))


def _moment(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=_tz())


@cache
def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


# --- checks --------------------------------------------------------------------------------------------------------


def database_contents() -> dict[str, int]:
    """What of the utility's data the database already holds (empty dict: nothing)."""
    models = [
        ("customers", Customer),
        ("utility", Company),
        ("tariff groups", TariffGroup),
        ("service points", ServicePoint),
        ("readings", Reading),
        ("invoices", Invoice),
        ("payments", Payment),
    ]
    return {name: model.objects.count() for name, model in models if model.objects.exists()}


def _check_migrated() -> None:
    tables = set(connection.introspection.table_names())
    if Customer._meta.db_table not in tables:
        raise SeedError("The database has no EBOK tables yet: run `ebok migrate` first.")


# --- the seeder --------------------------------------------------------------------------------------------------


class _Seeder:
    def __init__(self, *, customers: int, years: int, seed: int, progress: bool):
        self.n = customers
        self.years = years
        self.seed = seed
        self.progress = progress
        self.rng = random.Random(seed)  # noqa: S311 - repeatable demo data, not a secret  # nosec B311
        self.end = END_DATE
        self.start = _years_before(END_DATE, years)
        self.heap: list[tuple[dt.datetime, int, str, tuple]] = []
        self._seq = 0
        self._serial = 0
        self._bank_ref = 0
        self.customers: list[SimCustomer] = []
        self.points: list[SimPoint] = []
        self.groups: dict[str, TariffGroup] = {}
        self.totals = Counter()
        self.billed = Decimal("0.00")
        self.paid = Decimal("0.00")

    # --- scheduling ---------------------------------------------------------------------------------------------

    def push(self, at: dt.datetime, kind: str, *payload) -> None:
        self._seq += 1
        heapq.heappush(self.heap, (at, self._seq, kind, payload))

    def serial(self, year: int) -> str:
        self._serial += 1
        brand = ("JS", "PB", "MD")[self._serial % 3]
        return f"{year % 100:02d}{brand}{self._serial:07d}"

    # --- planning (pure Python, no database) --------------------------------------------------------------------

    def plan(self) -> None:
        rng = self.rng
        n = self.n
        indices = list(range(n))
        businesses = set(rng.sample(indices, _share(0.10, indices)))
        joiners = n - max(1, n - round(0.03 * n)) if n >= 10 else 0  # the last few connect during the history
        used_emails: set[str] = set()
        village_weights = [w for _v, w, _s in VILLAGES]
        house_numbers: dict[tuple[str, str], set[int]] = {}

        def address(crng: random.Random) -> tuple[str, str, int, int]:
            rank = crng.choices(range(len(VILLAGES)), weights=village_weights)[0]
            village, _w, streets = VILLAGES[rank]
            street_name = crng.choice(streets) if streets else village
            taken = house_numbers.setdefault((village, street_name), set())
            limit = 60 if streets else 180
            while True:
                number = crng.randint(1, limit)
                if number not in taken:
                    taken.add(number)
                    break
                limit += 2  # a crowded street: its numbers go on
            suffix = crng.choice(["", "", "", "", "", "", "A", "B"])
            return f"{street_name} {number}{suffix}", village, rank, number

        for i in range(n):
            crng = random.Random(rng.getrandbits(64))  # noqa: S311 - demo data, not a secret  # nosec B311
            initial = i < n - joiners
            joined = self.start
            if not initial:
                joined = next_working_day(
                    self.start + dt.timedelta(days=crng.randint(60, (self.end - self.start).days - 90))
                )
            female = crng.random() < 0.5
            first = crng.choice(FEMALE_NAMES if female else MALE_NAMES)
            surname = crng.choice(SURNAMES)[1 if female else 0]
            street, city, rank, house = address(crng)
            kind = CustomerKind.BUSINESS if i in businesses else CustomerKind.PERSON
            nip = pesel = ""
            if kind == CustomerKind.BUSINESS:
                template = crng.choice(BUSINESS_KINDS)
                name = template.format(n=crng.choice(BUSINESS_NAMES), p=f"{first} {surname}", s=surname)
                nip = make_nip(crng)
                local = _ascii(surname) + ("." + _ascii(city.split()[0]) if crng.random() < 0.5 else "")
            else:
                name = f"{first} {surname}"
                if crng.random() < 0.35:
                    pesel = make_pesel(crng, female=female)
                local = f"{_ascii(first)}.{_ascii(surname)}"
            email = ""
            if crng.random() < (0.9 if kind == CustomerKind.BUSINESS else 0.75):
                candidate = f"{local}@{crng.choice(MAIL_DOMAINS)}"
                while candidate in used_emails:
                    candidate = f"{local}{crng.randint(1, 99)}@{crng.choice(MAIL_DOMAINS)}"
                used_emails.add(candidate)
                email = candidate
            phone = ""
            if crng.random() < (0.8 if kind == CustomerKind.BUSINESS else 0.4):
                phone = f"{crng.choice('5678')}{crng.randint(0, 99):02d} {crng.randint(0, 999):03d} {crng.randint(0, 999):03d}"
            customer = SimCustomer(
                index=i,
                code=str(FIRST_CODE + i),
                kind=kind,
                name=name,
                street=street,
                city=city,
                email=email,
                phone=phone,
                pesel=pesel,
                nip=nip,
                joined=joined,
                initial=initial,
                rng=crng,
                names_invoice=crng.random() < 0.55,
                own_account=make_nrb(crng),
            )
            self.customers.append(customer)
            self._add_point(customer, street, city, rank, house)

        initial_customers = [c for c in self.customers if c.initial] or self.customers
        for c in rng.sample(
            initial_customers, _share(0.04, initial_customers)
        ):  # a few have a second address
            crng = c.rng
            street, city, rank, house = address(crng)
            point = self._add_point(c, street, city, rank, house)
            point.reader_notes = point.reader_notes or "działka rekreacyjna"
            point.residents = min(point.residents, 2)
            point.daily_use *= 0.5

        self._plan_points()
        self._plan_payments()

    def _add_point(self, customer: SimCustomer, street: str, city: str, rank: int, house: int) -> SimPoint:
        crng = customer.rng
        if customer.kind == CustomerKind.BUSINESS:
            monthly = crng.uniform(4, 16)
            residents = min(6, max(1, round(monthly / 3)))
            group = "G2"
        else:
            residents = crng.choices([1, 2, 3, 4, 5, 6], weights=[15, 25, 20, 22, 12, 6])[0]
            monthly = residents * 3.0 * crng.uniform(0.7, 1.25)
            group = "G1"
        notes = ""
        if crng.random() < 0.15:
            notes = crng.choice(READER_NOTES).format(n=house + 2)
        point = SimPoint(
            customer=customer,
            street=street,
            city=city,
            village_rank=rank,
            house=house,
            residents=residents,
            group=group,
            has_sewage=True,
            flat_rate=False,
            garden=False,
            daily_use=monthly / 30.4375,
            garden_peak=0.0,
            reader_notes=notes,
            opening=customer.joined,
        )
        customer.points.append(point)
        self.points.append(point)
        return point

    def _plan_points(self) -> None:
        rng = self.rng
        points = self.points
        initial = [p for p in points if p.customer.initial]
        for p in rng.sample(initial, _share(0.03, initial)):
            p.flat_rate = True
        for p in rng.sample(points, _share(0.05, points)):
            p.has_sewage = False
        metered = [p for p in points if not p.flat_rate]
        households = [p for p in metered if p.group == "G1"] or metered
        for p in rng.sample(households, _share(0.15, households)):
            p.garden = True
            p.garden_peak = p.customer.rng.uniform(0.08, 0.3)
        candidates = [p for p in metered if p.customer.initial and not p.garden]
        for p in rng.sample(candidates, min(len(candidates), max(1, round(0.1 * len(metered))))):
            p.self_source = p.customer.rng.choices(
                [Source.PORTAL, Source.PHONE, Source.EMAIL, Source.OFFICE], weights=[55, 15, 15, 15]
            )[0]
            p.self_every = p.customer.rng.choice([30, 45, 61, 61])
        for p in metered:
            if p.garden and p.customer.rng.random() < 0.25:
                p.self_source = Source.PORTAL  # some garden-meter owners settle every two months
                p.self_every = 61

        # Meters: what they showed when the utility started using EBOK (or zero on a new connection).
        for p in metered:
            crng = p.customer.rng
            year = p.opening.year - (crng.randint(0, 5) if p.customer.initial else 0)
            start_value = Decimal(crng.randint(40, 2400) * (1 if p.customer.initial else 0))
            verification = dt.date(year + 5, crng.randint(1, 12), 1)
            if p.customer.initial:
                verification = max(verification, self.start + dt.timedelta(days=400))
            p.meters.append(
                SimMeter(
                    MeterRole.MAIN,
                    self.serial(year),
                    p.opening,
                    start_value,
                    float(start_value) + crng.random(),
                    verification=verification,
                )
            )
            if p.garden:
                garden_value = Decimal(crng.randint(0, 300) * (1 if p.customer.initial else 0))
                p.meters.append(
                    SimMeter(
                        MeterRole.ADDITIONAL,
                        self.serial(year),
                        p.opening,
                        garden_value,
                        float(garden_value) + crng.random(),
                        verification=verification,
                    )
                )
            p.sim_date = p.opening

        # The reader's route: village by village, house by house; the same order in every window.
        route = sorted(metered, key=lambda p: (p.village_rank, p.street, p.house, p.customer.index))
        visits: dict[int, list[dt.datetime]] = {id(p): [] for p in metered}
        for year in range(self.start.year, self.end.year + 1):
            for (m1, d1), (m2, d2) in READER_CAMPAIGNS:
                days = [
                    d
                    for d in (
                        dt.date(year, m1, d1) + dt.timedelta(days=k)
                        for k in range((dt.date(year, m2, d2) - dt.date(year, m1, d1)).days + 1)
                    )
                    if is_working_day(d)
                ]
                per_day = math.ceil(len(route) / len(days))
                step = max(1, 420 // per_day)
                for position, p in enumerate(route):
                    index = min(len(days) - 1, max(0, position // per_day + p.customer.rng.randint(-1, 1)))
                    day = days[index]
                    if p.opening < day <= self.end:
                        minutes = (
                            450 + (position % per_day) * step + p.customer.rng.randint(0, max(0, step - 1))
                        )
                        visits[id(p)].append(_moment(day, minutes // 60 % 24, minutes % 60))
        for p in metered:
            p_visits = visits[id(p)]
            reading_days = [v.date() for v in p_visits]
            selfs: list[tuple[dt.datetime, str]] = []
            if p.self_source:
                crng = p.customer.rng
                anchors = [p.opening, *reading_days]
                for k, anchor in enumerate(anchors):
                    upto = anchors[k + 1] - dt.timedelta(days=14) if k + 1 < len(anchors) else self.end
                    day = anchor + dt.timedelta(days=p.self_every + crng.randint(-4, 4))
                    while day <= upto:
                        if p.self_source != Source.PORTAL:
                            day = next_working_day(day)
                            if day > upto:
                                break
                        hour = crng.randint(6, 22) if p.self_source == Source.PORTAL else crng.randint(7, 14)
                        selfs.append(
                            (_moment(day, hour, crng.randint(0, 59), crng.randint(0, 59)), p.self_source)
                        )
                        day += dt.timedelta(days=p.self_every + crng.randint(-4, 4))
            p.reading_dates = sorted([*reading_days, *(s[0].date() for s in selfs)])
            for at in p_visits:
                self.push(at, "visit", p)
            for at, source in selfs:
                self.push(at, "self", p, source)

        # Flat-rate points: the office invoices the norm at the end of every reading window.
        for p in points:
            if not p.flat_rate:
                continue
            for year in range(self.start.year, self.end.year + 1):
                for _o, _sm, _sd, em, ed in READING_WINDOWS:
                    up_to = dt.date(year, em, ed)
                    issue = next_working_day(up_to + ONE_DAY)
                    if p.opening < up_to and issue <= self.end:
                        self.push(_moment(issue, 8, 0, p.customer.index % 3600 // 60), "flat", p, up_to)

        # Exactly one meter replacement, half-way through the history, between two of the reader's visits.
        candidates = [
            p
            for p in metered
            if p.customer.initial and not p.self_source and not p.garden and len(p.reading_dates) >= 3
        ]
        replaced = None
        if candidates:
            replaced = rng.choice(candidates)
            k = len(replaced.reading_dates) // 2
            before, after = replaced.reading_dates[k - 1], replaced.reading_dates[k]
            day = next_working_day(before + (after - before) // 2)
            if before < day < after:
                replaced.replace_on = day
                replaced.meters[0].verification = day + dt.timedelta(days=9)
                self.push(_moment(day, 10, 30), "replace", replaced)

        # A couple of implausible readings typed into the portal after the last visit: held for review.
        candidates = [
            p
            for p in metered
            if p is not replaced
            and p.customer.initial
            and not p.garden
            and not p.self_source
            and p.reading_dates
            and p.reading_dates[-1] <= self.end - dt.timedelta(days=12)
        ]
        for p in rng.sample(candidates, min(len(candidates), max(2, round(0.005 * len(points))))):
            crng = p.customer.rng
            low = max(p.reading_dates[-1] + dt.timedelta(days=10), self.end - dt.timedelta(days=40))
            day = low + dt.timedelta(days=crng.randint(0, (self.end - low).days))
            p.held = True
            self.push(_moment(day, crng.randint(7, 21), crng.randint(0, 59)), "held", p)

        # A few readings accepted but not invoiced yet (the reader's printer failed): work for `ebok bill`.
        candidates = [p for p in metered if not p.held and p.reading_dates]
        for p in rng.sample(candidates, _share(0.03, candidates)):
            p.skip_last = True

    def _plan_payments(self) -> None:
        rng = self.rng
        customers = self.customers
        pool = list(customers)
        debtors = rng.sample(pool, _share(0.08, pool))
        pool = [c for c in pool if c not in debtors]
        standing = rng.sample(pool, _share(0.05, pool))
        pool = [c for c in pool if c not in standing]
        late = rng.sample(pool, min(len(pool), round(0.15 * len(customers))))
        for c in debtors:
            c.pay = "debtor"
            c.debt_from = self.end - dt.timedelta(days=c.rng.randint(120, 270))
        for c in standing:
            c.pay = "standing"
            monthly = sum(p.daily_use + p.garden_peak * 0.3 for p in c.points) * 30.4375
            estimate = Decimal(str(monthly)) * Decimal("17.5") * (1 + VAT_RATE) + Decimal("20") * len(
                c.points
            )
            c.standing_amount = (estimate * Decimal("1.3") / 10).to_integral_value(ROUND_CEILING) * 10
            day = next_working_day((_month_end(c.joined) + ONE_DAY).replace(day=10))
            self.push(_moment(day, 8, 5, c.index % 60), "standing", c, day)
        for c in late:
            c.pay = "late"
        for c in customers:
            if c.pay == "punctual" and c.rng.random() < 0.08:
                c.cash = True
        initial = [c for c in customers if c.initial]
        for c in rng.sample(initial, min(len(initial), round(0.10 * len(initial)))):
            if c.rng.random() < 0.7:
                c.opening_balance = (Decimal(c.rng.randint(1500, 45000)) / 100).quantize(Decimal("0.01"))
            else:
                c.opening_balance = (-Decimal(c.rng.randint(500, 8000)) / 100).quantize(Decimal("0.01"))

        setup = _moment(self.start, 6, 0)
        for c in customers:
            if c.initial:
                at = setup + dt.timedelta(seconds=60 + 3 * c.index)
            else:
                at = _moment(c.joined, 9, c.rng.randint(0, 59))
            self.push(at, "join", c)

    # --- running (through the services) ----------------------------------------------------------------------

    def setup_utility(self) -> None:
        with clock.frozen_at(_moment(self.start, 5, 30)):
            company = Company.objects.create(**COMPANY)
            for ordinal, sm, sd, em, ed in READING_WINDOWS:
                ReadingWindow.objects.create(
                    company=company, ordinal=ordinal, start_month=sm, start_day=sd, end_month=em, end_day=ed
                )
            for code, (name, description) in GROUPS.items():
                self.groups[code] = TariffGroup.objects.create(code=code, name=name, description=description)
        # Tariff years: the first in force on 1 January of the first year, then a new one every 1 July.
        first = dt.date(self.start.year, 1, 1)
        versions = [first] + [
            dt.date(y, 7, 1)
            for y in range(self.start.year, self.end.year + 1)
            if self.start < dt.date(y, 7, 1) <= self.end
        ]
        for code, (water, sewage, fee) in BASE_PRICES.items():
            for k, valid_from in enumerate(versions):
                factor = YEARLY_INCREASE**k
                prices = [(Decimal(x) * factor).quantize(Decimal("0.01")) for x in (water, sewage, fee)]
                note = (
                    f"Taryfa zatwierdzona decyzją Dyrektora RZGW Wód Polskich w Krakowie "
                    f"nr KR.RET.070.{17 + k}.{valid_from.year - (valid_from.month == 1)} (dane demonstracyjne)"
                )
                announced = max(_moment(self.start, 5, 45), _moment(valid_from - dt.timedelta(days=40), 9))
                self.push(announced, "tariff", code, valid_from, prices, note)

    def run(self) -> SeedResult:
        began = time.monotonic()
        total_days = (self.end - self.start).days
        bar = tqdm(
            total=total_days,
            unit="day",
            desc="Seeding history",
            file=sys.stderr,
            disable=not self.progress,
            dynamic_ncols=True,
        )
        done_days = 0
        handlers = {
            "tariff": self.on_tariff,
            "join": self.on_join,
            "visit": self.on_visit,
            "self": self.on_self,
            "flat": self.on_flat,
            "replace": self.on_replace,
            "held": self.on_held,
            "pay": self.on_pay,
            "standing": self.on_standing,
        }
        try:
            with transaction.atomic():
                self.setup_utility()
                self.plan()
                while self.heap:
                    at, _seq, kind, payload = heapq.heappop(self.heap)
                    with clock.frozen_at(at):
                        handlers[kind](*payload)
                    elapsed = min(total_days, (at.date() - self.start).days)
                    if elapsed > done_days:
                        bar.update(elapsed - done_days)
                        done_days = elapsed
                        bar.set_postfix(invoices=self.totals["invoices"], refresh=False)
                bar.update(total_days - done_days)
                counts = self.counts()
        finally:
            bar.close()
        return SeedResult(
            customers=self.n,
            years=self.years,
            seed=self.seed,
            start=self.start,
            end=self.end,
            seconds=time.monotonic() - began,
            counts=counts,
            total_billed=self.billed,
            total_paid=self.paid,
        )

    # --- event handlers ------------------------------------------------------------------------------------------

    def on_tariff(self, code: str, valid_from: dt.date, prices: list[Decimal], note: str) -> None:
        tariff_create(
            actor=OFFICE,
            group=self.groups[code],
            valid_from=valid_from,
            water_price=prices[0],
            sewage_price=prices[1],
            subscription_fee=prices[2],
            vat_rate=VAT_RATE,
            approval_note=note,
        )

    def on_join(self, c: SimCustomer) -> None:
        actor = IMPORT if c.initial else OFFICE
        c.obj = customer_create(
            actor=actor,
            code=c.code,
            name=c.name,
            street=c.street,
            postal_code=POSTAL_CODE,
            city=c.city,
            kind=c.kind,
            nip=c.nip,
            pesel=c.pesel,
            email=c.email,
            phone=c.phone,
        )
        self.totals["customers"] += 1
        for p in c.points:
            p.obj = service_point_create(
                actor=actor,
                customer=c.obj,
                tariff_group=self.groups[p.group],
                street=p.street,
                postal_code=POSTAL_CODE,
                city=p.city,
                opening_date=p.opening,
                has_sewage=p.has_sewage,
                residents=p.residents,
                reader_notes=p.reader_notes,
            )
            for m in p.meters:
                m.obj = meter_install(
                    actor=actor,
                    service_point=p.obj,
                    serial_number=m.serial,
                    installed_on=m.installed_on,
                    installation_reading=m.installation,
                    role=m.role,
                    verification_expires_on=m.verification,
                )
        if c.opening_balance:
            opening_balance_record(
                actor=IMPORT,
                customer=c.obj,
                amount=c.opening_balance,
                on=self.start,
                note="Saldo przeniesione z poprzedniego systemu",
            )
            c.balance += c.opening_balance
            if c.opening_balance > 0 and c.pay in ("punctual", "late"):
                delay = c.rng.randint(5, 25) if c.pay == "punctual" else c.rng.randint(30, 90)
                day = next_working_day(self.start + dt.timedelta(days=delay))
                title = f"Zaległość – kod odbiorcy {c.code}"
                self.push(self._pay_moment(c, day), "pay", c, c.opening_balance, title, None)

    def _advance(self, p: SimPoint, to: dt.date) -> None:
        """Let the water run at the point from the last simulated day up to `to`."""
        if p.sim_date is None or to <= p.sim_date:
            return
        house = garden = 0.0
        day = p.sim_date
        while day < to:
            first = day + ONE_DAY
            segment_end = min(to, _month_end(first))
            days = (segment_end - day).days
            house += days * SEASON[first.month]
            garden += days * GARDEN.get(first.month, 0.0)
            day = segment_end
        rng = p.customer.rng
        house *= p.daily_use * rng.uniform(0.85, 1.15)
        garden *= p.garden_peak * rng.uniform(0.7, 1.3)
        p.meters[0].true_value += house + garden
        if len(p.meters) > 1:
            p.meters[1].true_value += garden
        p.sim_date = to

    def _values(self, p: SimPoint, day: dt.date) -> dict[int, Decimal]:
        """Today's readings of the point's meters, kept plausible (billing-rules §9) so nothing is held by accident."""
        self._advance(p, day)
        main = p.meters[0]
        previous_date, previous_value = main.previous()
        value = Decimal(math.floor(main.true_value))
        days = (day - previous_date).days
        expected = (main.expected_daily(previous_date, p.residents) * days).quantize(Decimal("0.001"))
        limit = max(expected * PLAUSIBILITY_FACTOR, expected + PLAUSIBILITY_MIN_EXCESS)
        if value - previous_value > limit * Decimal("0.85"):
            value = previous_value + (limit * Decimal("0.8")).to_integral_value(ROUND_FLOOR)
            main.true_value = float(value) + 0.4
        values = {main.obj.pk: value}
        if len(p.meters) > 1:
            garden = p.meters[1]
            garden_previous = garden.previous()[1]
            garden_value = Decimal(math.floor(garden.true_value))
            allowed = value - previous_value  # the garden water went through the main meter too
            if garden_value - garden_previous > allowed:
                garden_value = garden_previous + allowed
                garden.true_value = float(garden_value) + 0.1
            values[garden.obj.pk] = garden_value
        return values

    def _read(self, p: SimPoint, day: dt.date, source: str, actor: Actor) -> None:
        values = self._values(p, day)
        if len(values) == 1:
            meter = p.meters[0]
            readings = [
                reading_submit(
                    actor=actor, meter=meter.obj, value=values[meter.obj.pk], date=day, source=source
                )
            ]
        else:
            readings = readings_submit_for_point(
                actor=actor, service_point=p.obj, date=day, values=values, source=source
            )
        for reading, meter in zip(readings, p.meters, strict=True):
            if reading.status != Status.ACCEPTED:
                raise RuntimeError(
                    f"seed: the reading of {meter.serial} on {day} was {reading.status} "
                    f"({reading.reason_code} {reading.reason_params}); the simulation expected it accepted"
                )
            meter.accepted.append((day, reading.value))
        self.totals["readings"] += len(readings)
        self.totals["readings_" + source] += len(readings)
        if p.skip_last and day == p.reading_dates[-1]:
            self.totals["uninvoiced"] += 1
            return
        with clock.frozen_at(clock.now() + dt.timedelta(minutes=2)):
            self._invoice(p, day, day, actor)

    def _invoice(self, p: SimPoint, up_to: dt.date, issue_date: dt.date, actor: Actor) -> None:
        c = p.customer
        invoice = invoice_issue(actor=actor, service_point=p.obj, up_to=up_to, issue_date=issue_date)
        self.totals["invoices"] += 1
        self.billed += invoice.total_gross
        c.balance += invoice.total_gross
        self._schedule_payment(c, invoice)

    def on_visit(self, p: SimPoint) -> None:
        self._read(p, clock.today(), Source.READER, COLLECTOR)

    def on_self(self, p: SimPoint, source: str) -> None:
        self._read(p, clock.today(), source, SELF_CHANNELS[source])

    def on_flat(self, p: SimPoint, up_to: dt.date) -> None:
        self._invoice(p, up_to, clock.today(), OFFICE)

    def on_replace(self, p: SimPoint) -> None:
        day = clock.today()
        self._advance(p, day)
        old = p.meters[0]
        removal = Decimal(math.floor(old.true_value))
        new = SimMeter(
            MeterRole.MAIN,
            self.serial(day.year),
            day,
            Decimal("0"),
            old.true_value - float(removal),
            verification=dt.date(day.year + 5, day.month, 1),
        )
        new.obj = meter_replace(
            actor=OFFICE,
            old_meter=old.obj,
            on=day,
            removal_reading=removal,
            new_serial_number=new.serial,
            installation_reading=new.installation,
            verification_expires_on=new.verification,
        )
        p.meters[0] = new
        self.totals["replaced"] += 1

    def on_held(self, p: SimPoint) -> None:
        """A customer types a reading with a slip of the finger into the portal: held for review, left so."""
        day = clock.today()
        self._advance(p, day)
        main = p.meters[0]
        previous_date, previous_value = main.previous()
        expected = main.expected_daily(previous_date, p.residents) * (day - previous_date).days
        typo = previous_value + max(
            (expected * 10).to_integral_value(ROUND_CEILING), expected.to_integral_value(ROUND_CEILING) + 60
        )
        reading = reading_submit(actor=PORTAL, meter=main.obj, value=typo, date=day, source=Source.PORTAL)
        if reading.status != Status.HELD:
            raise RuntimeError(
                f"seed: the implausible reading of {main.serial} was {reading.status}, not held"
            )
        self.totals["readings"] += 1
        self.totals["readings_portal"] += 1

    # --- payments ----------------------------------------------------------------------------------------------

    def _pay_moment(self, c: SimCustomer, day: dt.date) -> dt.datetime:
        if c.cash:
            return _moment(day, c.rng.randint(7, 14), c.rng.randint(0, 59), c.rng.randint(0, 59))
        return _moment(day, c.rng.randint(9, 16), c.rng.randint(0, 59), c.rng.randint(0, 59))

    def _schedule_payment(self, c: SimCustomer, invoice: Invoice) -> None:
        rng = c.rng
        if c.pay == "standing":
            return
        if c.pay == "debtor" and invoice.issue_date >= c.debt_from:
            return
        late = c.pay == "late" or (c.pay == "debtor" and c.index % 2 == 0) or rng.random() < 0.06
        if late:
            day = next_working_day(invoice.issue_date + dt.timedelta(days=rng.randint(16, 75)))
        else:
            choices = [
                d
                for d in (invoice.issue_date + dt.timedelta(days=k) for k in range(1, 14))
                if is_working_day(d) and d <= invoice.due_date
            ]
            day = rng.choice(choices) if choices else next_working_day(invoice.issue_date + ONE_DAY)
        if day > self.end:
            return
        if c.names_invoice or c.cash:
            title = rng.choice(
                ["{n}", "Zapłata za fakturę {n}", "Faktura {n} – woda", "{n} kod odbiorcy {c}"]
            )
        else:
            title = rng.choice(
                [
                    "Opłata za wodę i ścieki, kod odbiorcy {c}",
                    "Kod odbiorcy {c}",
                    "{name} – woda, {c}",
                    "Woda {street}",
                ]
            )
        title = title.format(n=invoice.number, c=c.code, name=c.name, street=c.street)
        self.push(
            self._pay_moment(c, day),
            "pay",
            c,
            invoice.total_gross,
            title,
            invoice if (c.names_invoice or c.cash) else None,
        )

    def on_pay(self, c: SimCustomer, amount: Decimal, title: str, invoice: Invoice | None) -> None:
        # Someone with credit on the account pays only what is still due (the invoice shows the balance).
        amount = min(amount, c.balance)
        if amount <= 0:
            return
        self._record_payment(c, amount, title, invoice)

    def on_standing(self, c: SimCustomer, day: dt.date) -> None:
        self._record_payment(
            c, c.standing_amount, f"Stałe zlecenie – opłata za wodę, kod odbiorcy {c.code}", None
        )
        following = (_month_end(day) + ONE_DAY).replace(day=10)
        following = next_working_day(following)
        if following <= self.end:
            self.push(_moment(following, 8, 5, c.index % 60), "standing", c, following)

    def _record_payment(self, c: SimCustomer, amount: Decimal, title: str, invoice: Invoice | None) -> None:
        day = clock.today()
        if c.cash:
            payment_record(
                actor=OFFICE,
                amount=amount,
                received_on=day,
                customer=c.obj,
                title=title,
                method=PaymentMethod.CASH,
                invoice=invoice,
            )
        else:
            self._bank_ref += 1
            payment_record(
                actor=BANK,
                amount=amount,
                received_on=day,
                customer=c.obj,
                title=title,
                invoice=invoice,
                counterparty_name=f"{c.name.upper()} {c.street.upper()} {POSTAL_CODE} {c.city.upper()}",
                counterparty_account=c.own_account,
                target_account=c.obj.bank_account,
                bank_reference=f"{day:%Y%m%d}{self._bank_ref:010d}",
            )
        self.totals["payments"] += 1
        self.paid += amount
        c.balance -= amount

    # --- the summary ------------------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        customers = [c for c in self.customers if c.obj is not None]
        counts = dict(self.totals)
        counts.update(
            customers=len(customers),
            persons=sum(c.kind == CustomerKind.PERSON for c in customers),
            businesses=sum(c.kind == CustomerKind.BUSINESS for c in customers),
            joined_later=sum(not c.initial for c in customers),
            points=ServicePoint.objects.count(),
            flat_rate=sum(p.flat_rate for p in self.points),
            no_sewage=sum(not p.has_sewage for p in self.points),
            two_points=sum(len(c.points) > 1 for c in customers),
            meters=Meter.objects.count(),
            main_meters=Meter.objects.filter(role=MeterRole.MAIN).count(),
            garden_meters=Meter.objects.filter(role=MeterRole.ADDITIONAL).count(),
            held=Reading.objects.filter(status=Status.HELD).count(),
        )
        counts.setdefault("replaced", 0)
        counts.setdefault("uninvoiced", 0)
        counts.setdefault("invoices", 0)
        counts.setdefault("payments", 0)
        counts.setdefault("readings", 0)
        owing = [c for c in customers if c.balance > 0]
        counts["owing"] = len(owing)
        counts["credit"] = sum(c.balance < 0 for c in customers)
        counts["overdue"] = sum(settlement_for_customer(c.obj).overdue_total(self.end) > 0 for c in owing)
        return counts


def seed_utility(*, customers: int, years: int = 2, seed: int = 1, progress: bool = False) -> SeedResult:
    """Generate the demo utility into an empty database; raises SeedError (writing nothing) if it can't."""
    if not 1 <= customers <= MAX_CUSTOMERS:
        raise SeedError(f"--customers must be between 1 and {MAX_CUSTOMERS} (customer codes have 6 digits).")
    if not 1 <= years <= 20:
        raise SeedError("--years must be between 1 and 20.")
    _check_migrated()
    present = database_contents()
    if present:
        found = ", ".join(f"{count} {name}" for name, count in present.items())
        raise SeedError(
            f"The database is not empty ({found}); `ebok seed` only fills an empty database. "
            "Point EBOK_DATA_DIR (or DATABASE_URL) at a new database and run `ebok migrate` first."
        )
    with _queries_not_logged():
        return _Seeder(customers=customers, years=years, seed=seed, progress=progress).run()


@contextlib.contextmanager
def _queries_not_logged() -> Iterator[None]:
    """With DEBUG on, Django keeps every query (and on SQLite runs a second one to quote its parameters):
    a third of the seeding time. The seed is a batch job, so it runs with the log off."""
    previous = settings.DEBUG
    settings.DEBUG = False
    try:
        yield
    finally:
        settings.DEBUG = previous


# --- demo users ---------------------------------------------------------------------------------------------------

DEMO_DOMAIN = "demo.ebok.pl"
# (role or None for the customer, username, password, label)
DEMO_USERS = [
    (None, f"klient@{DEMO_DOMAIN}", "Klient.Demo.2026", "customer (EBOK portal)"),
    (Role.CLERK, f"urzednik@{DEMO_DOMAIN}", "Urzednik.Demo.2026", "office clerk"),
    (Role.READER, f"inkasent@{DEMO_DOMAIN}", "Inkasent.Demo.2026", "meter reader (inkasent)"),
    (Role.ADMIN, f"admin@{DEMO_DOMAIN}", "Admin.Demo.2026", "administrator (also Django admin)"),
    (Role.AUDITOR, f"audytor@{DEMO_DOMAIN}", "Audytor.Demo.2026", "auditor (read-only)"),
]


def demo_customer() -> Customer | None:
    """A seeded customer worth showing: a person with an e-mail and invoices, ideally one who uses the portal."""
    with_invoices = (
        Invoice.objects.filter(kind=InvoiceKind.INVOICE)
        .values("customer_id")
        .annotate(n=Count("id"))
        .filter(n__gte=2)
        .values("customer_id")
    )
    candidates = (
        Customer.objects.filter(kind=CustomerKind.PERSON, id__in=with_invoices)
        .exclude(email="")
        .order_by("code")
    )
    portal_users = Reading.objects.filter(source=Source.PORTAL, status=Status.ACCEPTED).values(
        "meter__service_point__customer_id"
    )
    gardens = Meter.objects.filter(role=MeterRole.ADDITIONAL).values("service_point__customer_id")
    portal = candidates.filter(id__in=portal_users)
    return portal.filter(id__in=gardens).first() or portal.first() or candidates.first()


class DemoRefused(Exception):
    """`ebok demo` must not add users with published passwords to a real utility's database."""


def ensure_demo_users() -> list[tuple[str, str, str]]:
    """Create the demo logins that are missing; returns (what the login is, username, password) for each.

    An existing user keeps its password; if it no longer is the published one, the password is shown as such.
    """
    if settings.PRODUCTION:
        raise DemoRefused("Demo users with published passwords are never created with EBOK_ENV=production.")
    company = Company.objects.filter(id=1).first()
    if company is not None and not company.is_demo:
        raise DemoRefused(
            f"This database holds a real utility ({company.short_name}, not demo data): "
            "demo users with published passwords are not added to it."
        )
    logins = []
    with transaction.atomic():
        for role, username, password, label in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create_user(
                    username=username,
                    email=username,
                    password=password,
                    is_staff=role is not None,
                    is_superuser=role == Role.ADMIN,
                )
            shown = password if user.check_password(password) else "(changed since – not shown)"
            if role is not None:
                user.groups.add(Group.objects.get(name=role.value))
                if not user.is_staff or (role == Role.ADMIN and not user.is_superuser):
                    user.is_staff = True
                    user.is_superuser = user.is_superuser or role == Role.ADMIN
                    user.save(update_fields=["is_staff", "is_superuser"])
                _ensure_demo_second_factor(user)
            else:
                access = CustomerAccess.objects.filter(user=user).select_related("customer").first()
                customer = access.customer if access else demo_customer()
                if customer is None:
                    continue  # no seeded customer to show
                if access is None:
                    CustomerAccess.objects.create(user=user, customer=customer, granted_at=clock.now())
                label = f"{label}: {customer.code} {customer.name}"
            logins.append((label, username, shown))
        _ensure_demo_registrations()
        _ensure_demo_routes()
    return logins


# Staff log in with a password and a TOTP code. The demo's staff share this published key, like their
# published passwords: add DEMO_TOTP_SECRET to an authenticator app, or run `ebok demo-code` for the code.
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test key, "12345678901234567890"
DEMO_TOTP_SECRET = "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"  # noqa: S105 - published, demo only


def _ensure_demo_second_factor(user: User) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(user=user, name="EBOK demo", key=DEMO_TOTP_KEY, confirmed=True)


def demo_code() -> str:
    """The current TOTP code of the demo staff (refused outside a demo database)."""
    from django_otp.oath import TOTP

    if settings.PRODUCTION or not Company.objects.filter(id=1, is_demo=True).exists():
        raise DemoRefused("Codes are only shown for the demo utility's published staff logins.")
    totp = TOTP(bytes.fromhex(DEMO_TOTP_KEY))
    return f"{totp.token():06d}"


def _ensure_demo_routes() -> None:
    """One route per village, walked street by street, given to the demo meter reader for the current round."""
    from ebok.metering.models import Route, ServicePoint
    from ebok.metering.routes import route_assign, window_of

    reader = User.objects.filter(username=f"inkasent@{DEMO_DOMAIN}").first()
    company = Company.objects.filter(id=1).first()
    if reader is None or company is None or Route.objects.exists():
        return
    points = list(
        ServicePoint.objects.filter(meters__removed_on__isnull=True)
        .distinct()
        .order_by("city", "street", "id")
    )
    routes: dict[str, Route] = {}
    for order, point in enumerate(points, start=1):
        if point.city not in routes:
            routes[point.city] = Route.objects.create(code=f"R{len(routes) + 1:02d}", name=point.city)
        point.route, point.route_order = routes[point.city], order
    ServicePoint.objects.bulk_update(points, ["route", "route_order"])
    window = window_of(clock.today(), company)
    if window is not None:
        for route in routes.values():
            route_assign(actor=SYSTEM, route=route, reader=reader, year=window.year, window=window.ordinal)


def _ensure_demo_registrations() -> None:
    """Two sign-ups waiting in the staff's activation queue (one matched, one not; one waiting over 24 h)."""
    if Registration.objects.exists():
        return
    taken = CustomerAccess.objects.values("customer_id")
    invoices = Invoice.objects.filter(kind=InvoiceKind.INVOICE).exclude(customer__in=taken).order_by("id")
    invoice = invoices.select_related("customer").first()
    if invoice is None:
        return
    now = clock.now()
    for email, code, number, customer, hours in (
        (f"nowy.klient@{DEMO_DOMAIN}", invoice.customer.code, invoice.number, invoice.customer, 30),
        (f"bez.faktury@{DEMO_DOMAIN}", "999999", "FV/2020/1", None, 3),
    ):
        user = User.objects.create_user(username=email, email=email, password=None)
        Registration.objects.create(
            user=user,
            customer_code=code,
            invoice_number=number,
            customer=customer,
            status=RegistrationStatus.PENDING,
            created_at=now - dt.timedelta(hours=hours, minutes=5),
            email_confirmed_at=now - dt.timedelta(hours=hours),
        )


def database_totals() -> dict[str, int]:
    """What the demo banner says about the data."""
    return {"customers": Customer.objects.count(), "invoices": Invoice.objects.count()}
