"""Tests for ebok.billing.calc; every expected figure was computed by hand (shown in the comments)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ebok.billing.calc import (
    LineDraft,
    LowerReadingError,
    ReadingError,
    TariffPrices,
    VatRow,
    compute_lines,
    flat_rate_quantity,
    meter_consumption,
    monthly_fee,
    period_days,
    sewage_quantity,
    split_period,
    split_quantity_by_days,
    subscription_months,
    vat_totals,
)
from ebok.common.money import round_money

D = Decimal

# The public tariff of billing-rules §10.
TARIFF_2027 = TariffPrices(
    valid_from=date(2027, 1, 1),
    water_price=D("6.24"),
    sewage_price=D("8.82"),
    subscription_fee=D("17.20"),
)


def summary(lines: list[LineDraft]) -> list[tuple[str, str, str, str, date, date]]:
    return [
        (
            line.kind,
            str(line.quantity),
            str(line.unit_net_price),
            str(line.net),
            line.period_start,
            line.period_end,
        )
        for line in lines
    ]


# --- §10 worked example ----------------------------------------------------------------------------------


def test_worked_example_of_the_rules_document() -> None:
    # Main meter 1200 -> 1210 = 10 m³; garden meter 50 -> 52 = 2 m³; sewage 10 - 2 = 8 m³.
    water = meter_consumption(D("1200"), D("1210"))
    sewage = sewage_quantity(water, meter_consumption(D("50"), D("52")))
    lines = compute_lines(
        period_start=date(2027, 3, 1),
        period_end=date(2027, 3, 31),
        water=water,
        sewage=sewage,
        tariffs=[TARIFF_2027],
    )
    march = (date(2027, 3, 1), date(2027, 3, 31))
    # 10.000 × 6.24 = 62.40; 8.000 × 8.82 = 70.56; 1.000 month × 17.20 = 17.20
    assert summary(lines) == [
        ("water", "10.000", "6.24", "62.40", *march),
        ("sewage", "8.000", "8.82", "70.56", *march),
        ("subscription", "1.000", "17.20", "17.20", *march),
    ]
    assert [(line.unit, line.vat_rate) for line in lines] == [
        ("m3", D("0.08")),
        ("m3", D("0.08")),
        ("month", D("0.08")),
    ]
    totals = vat_totals(lines)
    # net 62.40 + 70.56 + 17.20 = 150.16; VAT 150.16 × 8% = 12.0128 -> 12.01; gross 162.17
    assert (totals.net, totals.vat, totals.gross) == (D("150.16"), D("12.01"), D("162.17"))
    assert totals.rows == (VatRow(rate=D("0.08"), net=D("150.16"), vat=D("12.01")),)


# --- tariff change inside the period (§4, §5) ------------------------------------------------------------


def test_tariff_change_inside_the_period_with_an_additional_meter() -> None:
    new_tariff = TariffPrices(
        valid_from=date(2027, 7, 16),
        water_price=D("6.55"),
        sewage_price=D("9.30"),
        subscription_fee=D("18.00"),
        sewage_subscription_fee=D("4.50"),
    )
    # Period 1 Jun – 31 Aug 2027 = 92 days; change on 16 Jul:
    #   segment 1: 1 Jun – 15 Jul = 30 + 15 = 45 days; segment 2: 16 Jul – 31 Aug = 16 + 31 = 47 days.
    # Main meter 1200 -> 1250 = 50 m³; garden meter 50 -> 60 = 10 m³; sewage = 40 m³.
    water = meter_consumption(D("1200"), D("1250"))
    sewage = sewage_quantity(water, meter_consumption(D("50"), D("60")))
    # Water, in thousandths: 50 000 × 45/92 = 24 456.52, 50 000 × 47/92 = 25 543.48; floors sum to 49 999,
    #   the leftover goes to the larger remainder (.52, segment 1): 24.457 + 25.543.
    # Sewage: 40 000 × 45/92 = 19 565.22, 40 000 × 47/92 = 20 434.78; leftover to segment 2: 19.565 + 20.435.
    # Months: segment 1 = 30/30 + 15/31 = 1.48387 -> 1.484; segment 2 = 16/31 + 31/31 = 1.51613 -> 1.516.
    # Nets:
    #   24.457 × 6.24 = 152.61168 -> 152.61     25.543 × 6.55 = 167.30665 -> 167.31
    #   19.565 × 8.82 = 172.5633  -> 172.56     20.435 × 9.30 = 190.0455  -> 190.05
    #   1.484 × 17.20 = 25.5248   -> 25.52      1.516 × 18.00 = 27.288    -> 27.29
    #   (old tariff has no sewage subscription)  1.516 × 4.50 = 6.822     -> 6.82
    lines = compute_lines(
        period_start=date(2027, 6, 1),
        period_end=date(2027, 8, 31),
        water=water,
        sewage=sewage,
        tariffs=[new_tariff, TARIFF_2027],  # order does not matter
    )
    first = (date(2027, 6, 1), date(2027, 7, 15))
    second = (date(2027, 7, 16), date(2027, 8, 31))
    assert summary(lines) == [
        ("water", "24.457", "6.24", "152.61", *first),
        ("sewage", "19.565", "8.82", "172.56", *first),
        ("subscription", "1.484", "17.20", "25.52", *first),
        ("water", "25.543", "6.55", "167.31", *second),
        ("sewage", "20.435", "9.30", "190.05", *second),
        ("subscription", "1.516", "18.00", "27.29", *second),
        ("sewage_subscription", "1.516", "4.50", "6.82", *second),
    ]
    totals = vat_totals(lines)
    # net = 152.61 + 172.56 + 25.52 + 167.31 + 190.05 + 27.29 + 6.82 = 742.16
    # VAT = 742.16 × 8% = 59.3728 -> 59.37; gross = 801.53
    assert (totals.net, totals.vat, totals.gross) == (D("742.16"), D("59.37"), D("801.53"))


def test_three_way_split_gives_the_tied_thousandth_to_the_earliest_segment() -> None:
    # April 2027 split on 11 and 21 April: three segments of 10 days. 10 m³ = 10 000 thousandths / 3 =
    # 3 333.33 each: floors 9 999, one left, all remainders tie -> segment 1 gets 3.334.
    segments = split_period(date(2027, 4, 1), date(2027, 4, 30), [date(2027, 4, 21), date(2027, 4, 11)])
    assert segments == [
        (date(2027, 4, 1), date(2027, 4, 10)),
        (date(2027, 4, 11), date(2027, 4, 20)),
        (date(2027, 4, 21), date(2027, 4, 30)),
    ]
    assert split_quantity_by_days(D("10.000"), segments) == [D("3.334"), D("3.333"), D("3.333")]
    # 0.002 m³: 0.67 thousandths each, floors 0, two left -> segments 1 and 2.
    assert split_quantity_by_days(D("0.002"), segments) == [D("0.001"), D("0.001"), D("0.000")]


def test_consumption_split_by_unequal_segments() -> None:
    # 1–31 Jan (31 days) and 1–28 Feb 2027 (28 days), 59 days: 7 m³ = 7 000 × 31/59 = 3 677.97 and
    # 7 000 × 28/59 = 3 322.03 thousandths -> floors 3 677 + 3 322 = 6 999, leftover to segment 1 (.97).
    segments = split_period(date(2027, 1, 1), date(2027, 2, 28), [date(2027, 2, 1)])
    assert split_quantity_by_days(D("7"), segments) == [D("3.678"), D("3.322")]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ([], [((2027, 3, 1), (2027, 3, 31))]),
        ([date(2027, 3, 1)], [((2027, 3, 1), (2027, 3, 31))]),  # a change on the first day splits nothing
        ([date(2027, 2, 1), date(2027, 4, 1)], [((2027, 3, 1), (2027, 3, 31))]),  # outside the period
        ([date(2027, 3, 31)], [((2027, 3, 1), (2027, 3, 30)), ((2027, 3, 31), (2027, 3, 31))]),  # last day
        (
            [date(2027, 3, 16), date(2027, 3, 16), date(2027, 3, 2)],  # duplicates, unsorted
            [((2027, 3, 1), (2027, 3, 1)), ((2027, 3, 2), (2027, 3, 15)), ((2027, 3, 16), (2027, 3, 31))],
        ),
    ],
)
def test_split_period_at_change_dates(changes: list[date], expected: list[tuple[tuple, tuple]]) -> None:
    assert split_period(date(2027, 3, 1), date(2027, 3, 31), changes) == [
        (date(*s), date(*e)) for s, e in expected
    ]


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (date(2027, 3, 1), date(2027, 3, 31), 31),
        (date(2027, 3, 1), date(2027, 3, 1), 1),
        (date(2028, 2, 1), date(2028, 3, 1), 30),
        (date(2027, 1, 1), date(2027, 12, 31), 365),
    ],
)
def test_period_days_counts_both_ends(start: date, end: date, days: int) -> None:
    assert period_days(start, end) == days


def test_period_ending_before_it_starts_is_rejected() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        period_days(date(2027, 3, 2), date(2027, 3, 1))


# --- choosing tariff versions ----------------------------------------------------------------------------

TARIFF_2026 = TariffPrices(
    valid_from=date(2026, 1, 1), water_price=D("6.00"), sewage_price=D("8.50"), subscription_fee=D("16.00")
)
TARIFF_2028 = TariffPrices(
    valid_from=date(2028, 1, 1), water_price=D("6.50"), sewage_price=D("9.00"), subscription_fee=D("18.00")
)


def test_only_the_version_in_force_and_later_ones_inside_the_period_are_used() -> None:
    # 1–31 Mar 2027: the 2026 version is superseded, the 2028 version starts later.
    lines = compute_lines(
        period_start=date(2027, 3, 1),
        period_end=date(2027, 3, 31),
        water=D("1"),
        sewage=None,
        tariffs=[TARIFF_2028, TARIFF_2026, TARIFF_2027],
    )
    assert [line.unit_net_price for line in lines] == [D("6.24"), D("17.20")]


def test_a_change_on_the_first_day_of_the_period_bills_one_segment_at_the_new_prices() -> None:
    # 1 Jan – 28 Feb 2027 = 31/31 + 28/28 = 2.000 months; 3 m³ × 6.24 = 18.72; 2 × 17.20 = 34.40
    lines = compute_lines(
        period_start=date(2027, 1, 1),
        period_end=date(2027, 2, 28),
        water=D("3"),
        sewage=None,
        tariffs=[TARIFF_2026, TARIFF_2027],
    )
    period = (date(2027, 1, 1), date(2027, 2, 28))
    assert summary(lines) == [
        ("water", "3.000", "6.24", "18.72", *period),
        ("subscription", "2.000", "17.20", "34.40", *period),
    ]


@pytest.mark.parametrize(
    "tariffs",
    [[TARIFF_2028], [], [TARIFF_2027, TariffPrices(date(2027, 1, 1), D("1"), D("1"), D("1"))]],
    ids=["none-in-force", "no-tariffs", "two-versions-same-day"],
)
def test_missing_or_ambiguous_tariff_is_rejected(tariffs: list[TariffPrices]) -> None:
    with pytest.raises(ValueError, match="tariff"):
        compute_lines(
            period_start=date(2027, 3, 1),
            period_end=date(2027, 3, 31),
            water=D("1"),
            sewage=None,
            tariffs=tariffs,
        )


# --- which lines appear ----------------------------------------------------------------------------------


def test_zero_consumption_keeps_the_water_line_and_skips_sewage_without_service() -> None:
    tariff = TariffPrices(
        valid_from=date(2027, 1, 1),
        water_price=D("6.24"),
        sewage_price=D("8.82"),
        subscription_fee=D("17.20"),
        sewage_subscription_fee=D("5.00"),
    )
    lines = compute_lines(
        period_start=date(2027, 3, 1),
        period_end=date(2027, 3, 31),
        water=D("0"),
        sewage=None,
        tariffs=[tariff],
    )
    march = (date(2027, 3, 1), date(2027, 3, 31))
    # No sewage service: neither the sewage volume nor the sewage subscription is billed.
    assert summary(lines) == [
        ("water", "0.000", "6.24", "0.00", *march),
        ("subscription", "1.000", "17.20", "17.20", *march),
    ]


def test_zero_fees_produce_no_subscription_lines_but_zero_sewage_is_shown() -> None:
    tariff = TariffPrices(
        valid_from=date(2027, 1, 1), water_price=D("6.24"), sewage_price=D("8.82"), subscription_fee=D("0")
    )
    lines = compute_lines(
        period_start=date(2027, 3, 1),
        period_end=date(2027, 3, 31),
        water=D("2"),
        sewage=D("0"),
        tariffs=[tariff],
    )
    assert [(line.kind, str(line.quantity), str(line.net)) for line in lines] == [
        ("water", "2.000", "12.48"),  # 2 × 6.24
        ("sewage", "0.000", "0.00"),
    ]


def test_negative_quantity_is_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        compute_lines(
            period_start=date(2027, 3, 1),
            period_end=date(2027, 3, 31),
            water=D("-1"),
            sewage=None,
            tariffs=[TARIFF_2027],
        )


# --- fees per 2 months or a quarter (§5) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fee", "period_months", "expected"),
    [
        ("17.20", 1, "17.20"),
        ("51.60", 3, "17.20"),  # exact
        ("25.01", 2, "12.505"),  # exact with 3 places: kept, not rounded to grosze
        ("10.00", 3, "3.3333"),  # 3.3333… -> 0.0001
        ("20.00", 3, "6.6667"),  # 6.6666… -> half-up 6.6667
        ("0", 3, "0"),
    ],
)
def test_monthly_fee_from_a_longer_fee_period(fee: str, period_months: int, expected: str) -> None:
    assert str(monthly_fee(D(fee), period_months)) == expected


@pytest.mark.parametrize(
    ("fee", "period_months", "start", "end", "quantity", "unit_price", "net"),
    [
        # Quarterly 10.00 for a whole quarter: 3.000 × 3.3333 = 9.9999 -> 10.00
        ("10.00", 3, date(2027, 1, 1), date(2027, 3, 31), "3.000", "3.3333", "10.00"),
        # Quarterly 10.00 for March: 1.000 × 3.3333 = 3.3333 -> 3.33
        ("10.00", 3, date(2027, 3, 1), date(2027, 3, 31), "1.000", "3.3333", "3.33"),
        # Per 2 months 25.01 for March: 1.000 × 12.505 = 12.505 -> 12.51 (the half goes up)
        ("25.01", 2, date(2027, 3, 1), date(2027, 3, 31), "1.000", "12.505", "12.51"),
        # Per 2 months 34.40 for 15 Jan – 14 Feb 2027: 1.048 × 17.20 = 18.0256 -> 18.03
        ("34.40", 2, date(2027, 1, 15), date(2027, 2, 14), "1.048", "17.20", "18.03"),
    ],
)
def test_subscription_line_for_a_longer_fee_period(
    fee: str, period_months: int, start: date, end: date, quantity: str, unit_price: str, net: str
) -> None:
    tariff = TariffPrices(
        valid_from=date(2027, 1, 1),
        water_price=D("6.24"),
        sewage_price=D("8.82"),
        subscription_fee=D(fee),
        fee_period_months=period_months,
    )
    lines = compute_lines(period_start=start, period_end=end, water=D("0"), sewage=None, tariffs=[tariff])
    subscription = lines[-1]
    assert (subscription.kind, subscription.unit) == ("subscription", "month")
    assert (str(subscription.quantity), str(subscription.unit_net_price), str(subscription.net)) == (
        quantity,
        unit_price,
        net,
    )


def test_fee_period_must_be_positive() -> None:
    with pytest.raises(ValueError, match="fee_period_months"):
        TariffPrices(date(2027, 1, 1), D("1"), D("1"), D("1"), fee_period_months=0)


# --- subscription months (§5) ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2027, 3, 1), date(2027, 3, 31), "1.000"),
        (date(2027, 1, 15), date(2027, 2, 14), "1.048"),  # 17/31 + 14/28 = 0.548387 + 0.5 = 1.048387
        (date(2028, 1, 15), date(2028, 2, 14), "1.031"),  # leap: 17/31 + 14/29 = 1.031146
        (date(2028, 2, 1), date(2028, 3, 31), "2.000"),  # leap: 29/29 + 31/31
        (date(2027, 2, 1), date(2027, 3, 31), "2.000"),  # 28/28 + 31/31
        (date(2028, 2, 15), date(2028, 3, 14), "0.969"),  # 15/29 + 14/31 = 0.517241 + 0.451613 = 0.968854
        (date(2027, 2, 15), date(2027, 3, 14), "0.952"),  # 14/28 + 14/31 = 0.5 + 0.451613 = 0.951613
        (date(2027, 2, 1), date(2027, 2, 1), "0.036"),  # 1/28 = 0.0357
        (date(2027, 12, 15), date(2028, 1, 14), "1.000"),  # across the year: 17/31 + 14/31
        (date(2027, 1, 2), date(2028, 1, 1), "12.000"),  # 30/31 + 11 whole months + 1/31
        (date(2027, 6, 1), date(2027, 7, 15), "1.484"),  # 30/30 + 15/31 = 1.483871
    ],
)
def test_subscription_months_pro_rata_per_calendar_month(start: date, end: date, expected: str) -> None:
    assert str(subscription_months(start, end)) == expected


@pytest.mark.parametrize(
    ("periods", "expected_each", "expected_total"),
    [
        # 15/31 = 0.483871 -> 0.484 and 16/31 = 0.516129 -> 0.516: one month in total.
        ([((2027, 1, 1), (2027, 1, 15)), ((2027, 1, 16), (2027, 1, 31))], ["0.484", "0.516"], "1.000"),
        # 31/31 + 14/28 = 1.5 and 14/28 + 31/31 + 30/30 = 2.5: four months.
        ([((2027, 1, 1), (2027, 2, 14)), ((2027, 2, 15), (2027, 4, 30))], ["1.500", "2.500"], "4.000"),
        # Leap February: 31/31 + 14/29 = 1.482759 -> 1.483, 15/29 + 31/31 = 1.517241 -> 1.517: three months.
        ([((2028, 1, 1), (2028, 2, 14)), ((2028, 2, 15), (2028, 3, 31))], ["1.483", "1.517"], "3.000"),
        # Where rounding each invoice cannot add up: 10/31, 10/31, 11/31 = 0.3226, 0.3226, 0.3548 ->
        # 0.323 + 0.323 + 0.355 = 1.001. Documented consequence of rounding per invoice (§5, choice).
        (
            [((2027, 1, 1), (2027, 1, 10)), ((2027, 1, 11), (2027, 1, 20)), ((2027, 1, 21), (2027, 1, 31))],
            ["0.323", "0.323", "0.355"],
            "1.001",
        ),
    ],
)
def test_consecutive_periods_add_up_to_whole_months_where_rounding_allows(
    periods: list[tuple[tuple, tuple]], expected_each: list[str], expected_total: str
) -> None:
    months = [subscription_months(date(*s), date(*e)) for s, e in periods]
    assert [str(m) for m in months] == expected_each
    assert sum(months) == D(expected_total)


# --- meters (§3) -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("previous", "new", "digits", "expected"),
    [
        ("1200", "1210", 5, "10"),
        ("1200", "1200", 5, "0"),
        ("12.345", "13.001", 5, "0.656"),  # remote-read meter with litres
        ("99990", "15", 5, "25"),  # rollover: 15 + 100 000 - 99 990
        ("90000", "9999.999", 5, "19999.999"),  # at both limits: 9 999.999 + 100 000 - 90 000
        ("999990", "10", 6, "20"),  # six-digit register: 10 + 1 000 000 - 999 990
    ],
)
def test_meter_consumption(previous: str, new: str, digits: int, expected: str) -> None:
    assert meter_consumption(D(previous), D(new), digits=digits) == D(expected)


@pytest.mark.parametrize(
    ("previous", "new"),
    [
        ("1200", "1190"),  # plainly lower
        ("89999", "5"),  # previous below 90% of the register: not a rollover
        ("95000", "10000"),  # new not below 10% of the register
        ("1200", "1199.999"),
    ],
)
def test_lower_reading_that_is_not_a_rollover_is_refused(previous: str, new: str) -> None:
    with pytest.raises(LowerReadingError) as excinfo:
        meter_consumption(D(previous), D(new))
    assert excinfo.value.code == "lower_than_previous"
    assert isinstance(excinfo.value, ReadingError)
    assert isinstance(excinfo.value, ValueError)
    assert new in str(excinfo.value)


def test_rollover_thresholds_are_settings() -> None:
    # With 95% / 5%: 94 000 -> 100 is refused, 96 000 -> 100 is 100 + 100 000 - 96 000 = 4 100.
    with pytest.raises(LowerReadingError):
        meter_consumption(D("94000"), D("100"), rollover_high=D("0.95"), rollover_low=D("0.05"))
    consumption = meter_consumption(D("96000"), D("100"), rollover_high=D("0.95"), rollover_low=D("0.05"))
    assert consumption == D("4100")


@pytest.mark.parametrize(("previous", "new"), [("-1", "5"), ("5", "100000"), ("100000", "5")])
def test_reading_outside_the_register_is_refused(previous: str, new: str) -> None:
    with pytest.raises(ReadingError) as excinfo:
        meter_consumption(D(previous), D(new))
    assert excinfo.value.code == "out_of_range"


@pytest.mark.parametrize(
    ("previous", "removal", "installation", "new", "expected"),
    [
        # (4 330 - 4 321) + (12 - 0) = 9 + 12 = 21
        ("4321", "4330", "0", "12", "21"),
        # Old meter rolled over before removal: (3 + 100 000 - 99 995) + (7.5 - 0.5) = 8 + 7 = 15
        ("99995", "3", "0.5", "7.5", "15.0"),
        # Remote meters: (13.001 - 12.345) + (2.500 - 0.010) = 0.656 + 2.490 = 3.146
        ("12.345", "13.001", "0.010", "2.500", "3.146"),
    ],
)
def test_meter_replacement_adds_the_old_and_the_new_meter(
    previous: str, removal: str, installation: str, new: str, expected: str
) -> None:
    water = meter_consumption(D(previous), D(removal)) + meter_consumption(D(installation), D(new))
    assert water == D(expected)


@pytest.mark.parametrize(
    ("water", "additional", "expected"),
    [("10", "2", "8"), ("10", "10", "0"), ("10", "0", "10"), ("5.250", "1.125", "4.125")],
)
def test_sewage_is_water_minus_additional_meters(water: str, additional: str, expected: str) -> None:
    assert sewage_quantity(D(water), D(additional)) == D(expected)


def test_additional_meters_above_the_main_meter_are_a_reading_error() -> None:
    with pytest.raises(ReadingError) as excinfo:
        sewage_quantity(D("10"), D("10.001"))
    assert excinfo.value.code == "additional_exceeds_main"


# --- flat rate (§3) --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("norm", "residents", "months", "expected"),
    [
        ("3.0", 4, "2", "24.000"),  # 3.0 × 4 × 2
        ("3.0", 4, "1.048", "12.576"),  # 15 Jan – 14 Feb 2027: 3.0 × 4 × 1.048
        ("2.3", 3, "0.516", "3.560"),  # 2.3 × 3 × 0.516 = 3.5604
        ("1.5", 1, "0.323", "0.485"),  # 0.4845: the half rounds up
        ("3.0", 0, "1.000", "0.000"),
    ],
)
def test_flat_rate_is_norm_times_residents_times_months(
    norm: str, residents: int, months: str, expected: str
) -> None:
    quantity = flat_rate_quantity(norm_m3_per_person_month=D(norm), residents=residents, months=D(months))
    assert str(quantity) == expected


def test_flat_rate_rejects_negative_residents() -> None:
    with pytest.raises(ValueError, match="residents"):
        flat_rate_quantity(norm_m3_per_person_month=D("3.0"), residents=-1, months=D("1"))


# --- VAT (§6) --------------------------------------------------------------------------------------------


def _line(net: str, rate: str = "0.08") -> LineDraft:
    return LineDraft(
        kind="water",
        quantity=D("1.000"),
        unit="m3",
        unit_net_price=D(net),
        net=D(net),
        vat_rate=D(rate),
        period_start=date(2027, 3, 1),
        period_end=date(2027, 3, 31),
    )


@pytest.mark.parametrize(
    ("nets", "per_line_vat", "expected_vat"),
    [
        # Each 10.06 × 8% = 0.8048 -> 0.80, three lines 2.40; on the sum 30.18 × 8% = 2.4144 -> 2.41.
        (["10.06", "10.06", "10.06"], "2.40", "2.41"),
        # Each 10.19 × 8% = 0.8152 -> 0.82, three lines 2.46; on the sum 30.57 × 8% = 2.4456 -> 2.45.
        (["10.19", "10.19", "10.19"], "2.46", "2.45"),
        # §10: 62.40 × 8% = 4.992 -> 4.99; 70.56 × 8% = 5.6448 -> 5.64; 17.20 × 8% = 1.376 -> 1.38;
        # 12.01 either way.
        (["62.40", "70.56", "17.20"], "12.01", "12.01"),
    ],
)
def test_vat_is_rounded_on_the_sum_per_rate_not_per_line(
    nets: list[str], per_line_vat: str, expected_vat: str
) -> None:
    lines = [_line(n) for n in nets]
    assert sum(round_money(line.net * line.vat_rate) for line in lines) == D(per_line_vat)  # the wrong way
    totals = vat_totals(lines)
    net = sum(D(n) for n in nets)
    assert (totals.net, totals.vat, totals.gross) == (net, D(expected_vat), net + D(expected_vat))


def test_vat_rows_per_rate_highest_rate_first() -> None:
    # 8%: 10.06 + 10.06 = 20.12 × 0.08 = 1.6096 -> 1.61
    # 23%: 10.05 + 0.02 = 10.07 × 0.23 = 2.3161 -> 2.32
    # "0.0800" is the same rate as "0.08" (as stored in a 4-place column).
    lines = [_line("10.06"), _line("10.05", "0.23"), _line("10.06", "0.0800"), _line("0.02", "0.23")]
    totals = vat_totals(lines)
    assert totals.rows == (
        VatRow(rate=D("0.23"), net=D("10.07"), vat=D("2.32")),
        VatRow(rate=D("0.08"), net=D("20.12"), vat=D("1.61")),
    )
    # net 30.19, VAT 3.93, gross 34.12
    assert (totals.net, totals.vat, totals.gross) == (D("30.19"), D("3.93"), D("34.12"))


def test_vat_totals_of_no_lines_are_zero() -> None:
    totals = vat_totals([])
    assert (totals.net, totals.vat, totals.gross, totals.rows) == (D("0"), D("0"), D("0"), ())
