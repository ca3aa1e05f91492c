# ruff: noqa: S608 — SQL built from this module's own constants and integers, never from input
"""A city's worth of customers with a year of history, written straight into PostgreSQL by INSERT … SELECT.

`ebok seed` builds its history through the product's services — realistic, and about 5 minutes per thousand
customers. The billing and scale benchmarks need 100,000 to 1,000,000 customers, so this module writes the
same rows set-based from `generate_series`, on PostgreSQL only: customer i (code i−1, six digits: the code
caps an installation at 1,000,000 customers) has one service point, one main meter read three times in
2025, the three invoices of those readings with their lines, meter rows and ledger entries, and a payment of
each of the first two. Numbers and totals follow the billing rules' shape (gross = net + VAT, gap-free
numbers, the counter set), not the tariff to the grosz; the benchmarks' own invoices are issued by
`ebok bill` from here on, from where this history left each meter.

    history(customers)                  # company, tariff, customers and their 2025
    new_readings(every=1, day=...)      # a new accepted reading for every `every`-th point
"""

from __future__ import annotations

import datetime as dt
import time

from django.db import connection

OPENING = dt.date(2024, 12, 31)
READ_DAYS = (dt.date(2025, 4, 30), dt.date(2025, 8, 31), dt.date(2025, 12, 31))
NEXT_READING = dt.date(2026, 4, 30)
STEP_M3 = 12  # m³ per period: consumption is STEP_M3 + i % 9

SELLER = (
    '{"name": "Zakład Usług Komunalnych Bench Sp. z o.o.", "street": "ul. Czarnowska 3", '
    '"postal_code": "26-065", "city": "Piekoszów", "nip": "6572948401", "regon": "260123456", '
    '"krs": "0000123456", "phone": "784 048 513", "email": "biuro@example.org", "website": "", '
    '"bank_name": "Bank Testowy"}'
)


def _value(k: str, i: str = "i") -> str:
    """SQL: the reading of customer i's meter after period k (0: its installation reading)."""
    return f"({k}) * ({STEP_M3} + {i} % 9)"


def history(customers: int, *, log=print) -> None:
    """Company, one tariff group, `customers` customers with a point, a meter and their 2025 (see above)."""
    from tests import factories

    if customers > 1_000_000:
        raise ValueError("customer codes have six digits: at most 1,000,000 customers")
    factories.make_company()
    group = factories.make_tariff_group()
    factories.make_tariff(group, dt.date(2020, 1, 1))
    n = customers
    statements = {
        "customers": f"""
            INSERT INTO customers_customer (id, code, kind, name, nip, pesel, street, postal_code, city, email,
                phone, language, bank_account, created_at)
            SELECT i, lpad((i - 1)::text, 6, '0'), 'person', 'Odbiorca Testowy ' || i, '', '',
                'ul. Polna ' || (i % 400 + 1), '26-065', 'Miasto ' || (i % 50), '', '',
                CASE WHEN i % 10 = 3 THEN 'en' ELSE 'pl' END,
                '10' || '10205297' || lpad(i::text, 16, '0'), '2024-12-01T08:00:00Z'
            FROM generate_series(1, {n}) AS i""",
        "service points": f"""
            INSERT INTO metering_servicepoint (id, customer_id, tariff_group_id, street, postal_code, city,
                has_water, has_sewage, residents, billed_until, route_order, reader_notes)
            SELECT i, i, {group.pk}, 'ul. Polna ' || (i % 400 + 1), '26-065', 'Miasto ' || (i % 50),
                true, i % 7 <> 0, 1 + i % 4, '{OPENING}', 0, ''
            FROM generate_series(1, {n}) AS i""",
        "meters": f"""
            INSERT INTO metering_meter (id, service_point_id, serial_number, role, digits, installed_on,
                installation_reading)
            SELECT i, i, 'BM-' || i, 'main', 5, '{OPENING}', 0 FROM generate_series(1, {n}) AS i""",
        "readings": f"""
            INSERT INTO readings_reading (id, meter_id, date, value, source, status, reason_code,
                reason_params, note, created_at, photo, billed)
            SELECT 3 * (i - 1) + k, i, (ARRAY['{READ_DAYS[0]}', '{READ_DAYS[1]}', '{READ_DAYS[2]}']::date[])[k],
                {_value("k")}, 'reader', 'accepted', '', '{{}}', '',
                (ARRAY['{READ_DAYS[0]}', '{READ_DAYS[1]}', '{READ_DAYS[2]}']::date[])[k] + time '12:00', '',
                true
            FROM generate_series(1, {n}) AS i, generate_series(1, 3) AS k""",
        "invoices": f"""
            WITH p AS (
                SELECT i, k,
                    (ARRAY['{OPENING}', '{READ_DAYS[0]}', '{READ_DAYS[1]}']::date[])[k] + 1 AS start,
                    (ARRAY['{READ_DAYS[0]}', '{READ_DAYS[1]}', '{READ_DAYS[2]}']::date[])[k] AS day,
                    round(({STEP_M3} + i % 9) * (6.24 + CASE WHEN i % 7 <> 0 THEN 8.82 ELSE 0 END)
                        + 4 * 17.20, 2) AS net
                FROM generate_series(1, {n}) AS i, generate_series(1, 3) AS k)
            INSERT INTO billing_invoice (id, kind, year, sequence, number, correction_reason, issue_date,
                period_start, period_end, due_date, language, seller, buyer, point, customer_code,
                bank_account, total_net, total_vat, total_gross, balance_before, channel, issued_at,
                customer_id, service_point_id)
            SELECT 3 * (i - 1) + k, 'invoice', 2025, 3 * (i - 1) + k, 'F/' || (3 * (i - 1) + k) || '/2025', '',
                day, start, day, day + 14, 'pl', '{SELLER}'::jsonb,
                jsonb_build_object('code', lpad((i - 1)::text, 6, '0'), 'kind', 'person',
                    'name', 'Odbiorca Testowy ' || i, 'street', 'ul. Polna ' || (i % 400 + 1),
                    'postal_code', '26-065', 'city', 'Miasto ' || (i % 50), 'nip', ''),
                jsonb_build_object('id', i, 'street', 'ul. Polna ' || (i % 400 + 1), 'postal_code', '26-065',
                    'city', 'Miasto ' || (i % 50), 'tariff_group', 'G1', 'tariff_group_name', 'Gospodarstwa'),
                lpad((i - 1)::text, 6, '0'), '10' || '10205297' || lpad(i::text, 16, '0'),
                net, round(net * 0.08, 2), net + round(net * 0.08, 2),
                CASE WHEN k = 3 THEN net + round(net * 0.08, 2) ELSE 0 END, 'reader', day + time '12:00', i, i
            FROM p""",
        "invoice lines": f"""
            INSERT INTO billing_invoiceline (id, invoice_id, side, position, kind, description, unit, quantity,
                unit_net_price, net, vat_rate, period_start, period_end)
            SELECT 4 * (inv.id - 1) + l, inv.id, '', l,
                (ARRAY['water', 'sewage', 'subscription', 'sewage_subscription'])[l],
                (ARRAY['Dostawa wody', 'Odprowadzanie ścieków', 'Opłata abonamentowa',
                    'Opłata abonamentowa (ścieki)'])[l] || ' ' || to_char(inv.period_start, 'DD.MM.YYYY')
                    || '–' || to_char(inv.period_end, 'DD.MM.YYYY'),
                CASE WHEN l <= 2 THEN 'm³' ELSE 'mies.' END,
                CASE WHEN l <= 2 THEN {STEP_M3} + inv.customer_id % 9 ELSE 4 END,
                (ARRAY[6.24, 8.82, 8.60, 8.60])[l],
                CASE WHEN l = 1 THEN round(({STEP_M3} + inv.customer_id % 9) * 6.24, 2)
                     WHEN l = 2 THEN round(({STEP_M3} + inv.customer_id % 9) * 8.82, 2)
                     ELSE 34.40 END,
                0.08, inv.period_start, inv.period_end
            FROM billing_invoice AS inv, generate_series(1, 4) AS l""",
        "invoice meter rows": f"""
            INSERT INTO billing_invoicemeterreading (id, invoice_id, meter_id, side, serial_number, role,
                previous_date, previous_value, new_date, new_value, consumption, new_reading_id)
            SELECT inv.id, inv.id, inv.customer_id, '', 'BM-' || inv.customer_id, 'main',
                inv.period_start - 1, {_value("(inv.id - 1) % 3", "inv.customer_id")},
                inv.period_end, {_value("(inv.id - 1) % 3 + 1", "inv.customer_id")},
                {STEP_M3} + inv.customer_id % 9, inv.id
            FROM billing_invoice AS inv""",
        "payments": """
            INSERT INTO payments_payment (id, customer_id, invoice_id, amount, received_on, method, title,
                counterparty_name, counterparty_account, target_account, bank_reference, created_at)
            SELECT inv.id, inv.customer_id, inv.id, inv.total_gross, inv.issue_date + 10, 'transfer',
                'Faktura ' || inv.number, 'Odbiorca Testowy ' || inv.customer_id, '', inv.bank_account,
                'BENCH-' || inv.id, inv.issued_at + interval '10 days'
            FROM billing_invoice AS inv WHERE (inv.id - 1) % 3 < 2""",
        "ledger entries": f"""
            INSERT INTO payments_ledgerentry (id, customer_id, kind, amount, booked_on, due_date, note,
                created_at, invoice_id, payment_id)
            SELECT inv.id, inv.customer_id, 'invoice', inv.total_gross, inv.issue_date, inv.due_date, '',
                inv.issued_at, inv.id, NULL FROM billing_invoice AS inv
            UNION ALL
            SELECT {3 * n} + pay.id, pay.customer_id, 'payment', -pay.amount, pay.received_on, NULL, '',
                pay.created_at, NULL, pay.id FROM payments_payment AS pay""",
    }
    with connection.cursor() as cursor:
        for what, sql in statements.items():
            started = time.monotonic()
            cursor.execute(sql)
            log(f"  {what}: {cursor.rowcount:,} rows in {time.monotonic() - started:.1f} s")
        cursor.execute(
            "INSERT INTO billing_invoicecounter (series, year, last_number) VALUES ('invoice', 2025, %s)",
            [3 * n],
        )
        _reset_sequences(cursor)
        cursor.execute("ANALYZE")


def new_readings(*, every: int = 1, day: dt.date = NEXT_READING, log=print) -> int:
    """An accepted reading on `day` for every `every`-th point (the meter reader's next round): the meter's
    latest reading plus its usual consumption."""
    with connection.cursor() as cursor:
        started = time.monotonic()
        cursor.execute(
            f"""
            INSERT INTO readings_reading (meter_id, date, value, source, status, reason_code, reason_params,
                note, created_at, photo, billed)
            SELECT m.id, %s,
                (SELECT r.value FROM readings_reading r WHERE r.meter_id = m.id AND r.status = 'accepted'
                 ORDER BY r.date DESC LIMIT 1) + {STEP_M3} + m.id %% 9,
                'reader', 'accepted', '', '{{}}', '', %s, '', false
            FROM metering_meter AS m WHERE m.id %% %s = 0""",
            [day, dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC), every],
        )
        count = cursor.rowcount
        cursor.execute("ANALYZE readings_reading")
    log(f"  new readings on {day}: {count:,} in {time.monotonic() - started:.1f} s")
    return count


def _reset_sequences(cursor) -> None:
    from django.apps import apps
    from django.core.management.color import no_style

    models = [
        apps.get_model(label)
        for label in (
            "customers.Customer",
            "metering.ServicePoint",
            "metering.Meter",
            "readings.Reading",
            "billing.Invoice",
            "billing.InvoiceLine",
            "billing.InvoiceMeterReading",
            "payments.Payment",
            "payments.LedgerEntry",
        )
    ]
    for sql in connection.ops.sequence_reset_sql(no_style(), models):
        cursor.execute(sql)


def first_readings(customers: int, *, day: dt.date = NEXT_READING) -> None:
    """Any database (SQLite too): `customers` customers with a point and a meter read once, on `day`."""
    from ebok.customers.models import Customer
    from ebok.metering.models import Meter, ServicePoint
    from ebok.readings.models import Reading
    from tests import factories

    factories.make_company()
    group = factories.make_tariff_group()
    factories.make_tariff(group, dt.date(2020, 1, 1))
    at = dt.datetime.combine(OPENING, dt.time(8), tzinfo=dt.UTC)
    Customer.objects.bulk_create(
        Customer(
            id=i,
            code=f"{i - 1:06d}",
            name=f"Odbiorca Testowy {i}",
            street=f"ul. Polna {i % 400 + 1}",
            postal_code="26-065",
            city=f"Miasto {i % 50}",
            bank_account=f"1010205297{i:016d}",
            created_at=at,
        )
        for i in range(1, customers + 1)
    )
    ServicePoint.objects.bulk_create(
        ServicePoint(
            id=i,
            customer_id=i,
            tariff_group=group,
            street=f"ul. Polna {i % 400 + 1}",
            postal_code="26-065",
            city=f"Miasto {i % 50}",
            has_sewage=i % 7 != 0,
            billed_until=OPENING,
        )
        for i in range(1, customers + 1)
    )
    Meter.objects.bulk_create(
        Meter(id=i, service_point_id=i, serial_number=f"BM-{i}", installed_on=OPENING, installation_reading=0)
        for i in range(1, customers + 1)
    )
    Reading.objects.bulk_create(
        Reading(
            meter_id=i,
            date=day,
            value=STEP_M3 + i % 9,
            source="reader",
            status="accepted",
            created_at=dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC),
        )
        for i in range(1, customers + 1)
    )
