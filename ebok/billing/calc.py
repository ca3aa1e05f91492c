"""Pure invoice arithmetic: consumption, period splits, months, lines and VAT (billing-rules §3–6).

No Django here: the invoice service loads readings and tariff versions, calls these functions and stores the
result. All money and quantities are `Decimal`; fractions of months are computed exactly with `Fraction`.
"""

from __future__ import annotations

import calendar
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Protocol

from ebok.common.money import THOUSANDTH, round_money, round_quantity, split_largest_remainder

KIND_WATER = "water"
KIND_SEWAGE = "sewage"
KIND_SUBSCRIPTION = "subscription"
KIND_SEWAGE_SUBSCRIPTION = "sewage_subscription"
UNIT_M3 = "m3"
UNIT_MONTH = "month"

UNIT_PRICE_QUANTUM = Decimal("0.0001")  # the tariff's price columns hold 4 decimal places
ZERO = Decimal("0")


class ReadingError(ValueError):
    """A reading that cannot be invoiced; `code` is stable for translations and API clients."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


class LowerReadingError(ReadingError):
    """A reading below the previous one that is not a rollover (§3, §9): refused."""

    def __init__(self, previous: Decimal, new: Decimal) -> None:
        super().__init__(
            f"reading {new} is lower than the previous reading {previous} and is not a meter rollover",
            code="lower_than_previous",
        )
        self.previous = previous
        self.new = new


# --- quantities (§3) -------------------------------------------------------------------------------------


def meter_consumption(
    previous: Decimal,
    new: Decimal,
    *,
    digits: int = 5,
    rollover_high: Decimal = Decimal("0.9"),
    rollover_low: Decimal = Decimal("0.1"),
) -> Decimal:
    """Consumption between two readings of one meter.

    A lower reading counts as a rollover only if `previous >= rollover_high * 10**digits` and
    `new < rollover_low * 10**digits`; then consumption is `new + 10**digits - previous`. Any other lower
    reading raises LowerReadingError. A reading outside the register (negative, or >= 10**digits) raises
    ReadingError(code="out_of_range"), because it cannot have been read off that meter.

    For a meter replacement call this twice, (previous, removal) on the old meter and (installation, new) on
    the new one, and add the results.
    """
    register = Decimal(10) ** digits
    for reading in (previous, new):
        if reading < 0 or reading >= register:
            raise ReadingError(
                f"reading {reading} does not fit a meter with {digits} digits", code="out_of_range"
            )
    if new >= previous:
        return new - previous
    if previous >= rollover_high * register and new < rollover_low * register:
        return new + register - previous
    raise LowerReadingError(previous, new)


def sewage_quantity(water: Decimal, additional: Decimal) -> Decimal:
    """Sewage = water minus the additional (garden) meters' consumption (§3, art. 27 ust. 6).

    More on the additional meters than on the main ones is a reading to review, never a negative line.
    """
    sewage = water - additional
    if sewage < 0:
        raise ReadingError(
            f"additional meters ({additional} m3) exceed the main meters ({water} m3)",
            code="additional_exceeds_main",
        )
    return sewage


def flat_rate_quantity(*, norm_m3_per_person_month: Decimal, residents: int, months: Decimal) -> Decimal:
    """Flat-rate volume for a point with no meter: norm × residents × months, half-up to 0.001 m³ (§3).

    `months` is the subscription-style month count of the period (§5); the same volume is billed as sewage.
    """
    if residents < 0:
        raise ValueError(f"residents must not be negative, got {residents}")
    return round_quantity(norm_m3_per_person_month * residents * months)


# --- periods (§2, §4, §5) --------------------------------------------------------------------------------


def period_days(start: date, end: date) -> int:
    """Number of days from `start` to `end`, both inclusive."""
    if end < start:
        raise ValueError(f"period ends ({end}) before it starts ({start})")
    return (end - start).days + 1


def split_period(start: date, end: date, change_dates: Iterable[date]) -> list[tuple[date, date]]:
    """Split [start, end] at each change date D with start < D <= end into [.., D - 1] and [D, ..].

    A change date D means the new tariff applies from D on. Dates on or before `start` or after `end` do not
    split the period; duplicates are ignored.
    """
    period_days(start, end)  # validates the order
    cuts = sorted({d for d in change_dates if start < d <= end})
    segments = []
    segment_start = start
    for cut in cuts:
        segments.append((segment_start, cut - timedelta(days=1)))
        segment_start = cut
    segments.append((segment_start, end))
    return segments


def _round_fraction_half_up(value: Fraction, quantum: Decimal) -> Decimal:
    """Round an exact non-negative Fraction half-up to `quantum` in integers, so nothing is rounded twice."""
    units = value / Fraction(quantum)
    return Decimal((2 * units.numerator + units.denominator) // (2 * units.denominator)) * quantum


def _months_exact(start: date, end: date) -> Fraction:
    total = Fraction(0)
    month_start = start
    while month_start <= end:
        days_in_month = calendar.monthrange(month_start.year, month_start.month)[1]
        month_end = min(end, month_start.replace(day=days_in_month))
        total += Fraction(period_days(month_start, month_end), days_in_month)
        month_start = month_end + timedelta(days=1)
    return total


@functools.lru_cache(maxsize=4096)  # a billing run asks for the same few periods again and again
def subscription_months(start: date, end: date, places: int = 3) -> Decimal:
    """Months of [start, end] for the subscription fee (§5), half-up to `places` decimals (choice: 3).

    Σ over the calendar months touched of (days of the period in that month / days in that month), summed
    exactly and rounded once, so 15 Jan–14 Feb 2027 = 17/31 + 14/28 = 1.048387… -> 1.048.
    """
    period_days(start, end)  # validates the order
    return _round_fraction_half_up(_months_exact(start, end), Decimal(1).scaleb(-places))


def split_quantity_by_days(total: Decimal, segments: Sequence[tuple[date, date]]) -> list[Decimal]:
    """Split a volume over the segments in proportion to their days, largest remainder to 0.001 m³ (§4)."""
    if len(segments) == 1 and total % THOUSANDTH == 0:  # the usual case: one tariff, nothing to split
        period_days(*segments[0])
        return [total.quantize(THOUSANDTH)]
    return split_largest_remainder(total, [period_days(s, e) for s, e in segments], THOUSANDTH)


# --- tariffs and lines (§4–6) ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def monthly_fee(fee: Decimal, fee_period_months: int) -> Decimal:
    """A fee per `fee_period_months` months converted to a monthly unit price (§5).

    Kept exact when the quotient has at most 4 decimal places (17.20/1, 25.01/2 = 12.505); otherwise, e.g.
    10.00 per quarter = 3.3333…, rounded half-up to 0.0001, the precision of the tariff price columns.
    The fee is never rounded to grosze before multiplying by the months: only the line net is.
    """
    if fee_period_months < 1:
        raise ValueError(f"fee period must be at least one month, got {fee_period_months}")
    exact = Fraction(fee) / fee_period_months
    if (exact / Fraction(UNIT_PRICE_QUANTUM)).denominator == 1:
        return fee / fee_period_months  # exact, and Decimal keeps the fee's exponent (17.20 stays 17.20)
    if exact < 0:
        return -_round_fraction_half_up(-exact, UNIT_PRICE_QUANTUM)
    return _round_fraction_half_up(exact, UNIT_PRICE_QUANTUM)


@dataclass(frozen=True, slots=True)
class TariffPrices:
    """One tariff version's net prices, valid from `valid_from` until the next version starts."""

    valid_from: date
    water_price: Decimal
    sewage_price: Decimal
    subscription_fee: Decimal
    sewage_subscription_fee: Decimal = ZERO
    fee_period_months: int = 1  # the fees above are per this many months (1, 2 or 3)
    vat_rate: Decimal = Decimal("0.08")

    def __post_init__(self) -> None:
        if self.fee_period_months < 1:
            raise ValueError(f"fee_period_months must be at least 1, got {self.fee_period_months}")


@dataclass(frozen=True, slots=True)
class LineDraft:
    """An invoice line before it is stored: quantity × unit net price = net (rounded to grosze)."""

    kind: str
    quantity: Decimal
    unit: str
    unit_net_price: Decimal
    net: Decimal
    vat_rate: Decimal
    period_start: date
    period_end: date


def _line(
    kind: str, quantity: Decimal, unit: str, price: Decimal, tariff: TariffPrices, segment: tuple[date, date]
) -> LineDraft:
    return LineDraft(
        kind=kind,
        quantity=quantity,
        unit=unit,
        unit_net_price=price,
        net=round_money(quantity * price),  # §6: line net = round(quantity × net unit price, 2)
        vat_rate=tariff.vat_rate,
        period_start=segment[0],
        period_end=segment[1],
    )


def _tariffs_for_period(start: date, end: date, tariffs: Sequence[TariffPrices]) -> list[TariffPrices]:
    """The version in force on `start` followed by the versions that start inside the period."""
    ordered = sorted(tariffs, key=lambda t: t.valid_from)
    starts = [t.valid_from for t in ordered]
    if len(set(starts)) != len(starts):
        raise ValueError("two tariff versions start on the same day")
    in_force = [t for t in ordered if t.valid_from <= start]
    if not in_force:
        raise ValueError(f"no tariff in force on {start}")
    return [in_force[-1]] + [t for t in ordered if start < t.valid_from <= end]


def compute_lines(
    *,
    period_start: date,
    period_end: date,
    water: Decimal,
    sewage: Decimal | None,
    tariffs: Sequence[TariffPrices],
    months_places: int = 3,
) -> list[LineDraft]:
    """Invoice lines for one period (§4–6); `months_places`: rounding of the subscription months.

    `tariffs` are the versions of the point's tariff group; the one in force on `period_start` and those
    starting inside the period are used (others are ignored). The period is split at their `valid_from`
    dates; water and sewage are split over the segments by days (largest remainder to 0.001 m³), and the
    subscription months are computed within each segment. Lines come segment by segment, in the order
    water, sewage, subscription, sewage subscription. Sewage lines are omitted when `sewage` is None (no
    sewage service) and a subscription line when its fee is zero; a zero water volume still gets its line.

    `water` and `sewage` must be multiples of 0.001 m³ (readings have at most 3 decimals).
    """
    if water < 0 or (sewage is not None and sewage < 0):
        raise ValueError(f"negative quantity: water {water}, sewage {sewage}")
    used = _tariffs_for_period(period_start, period_end, tariffs)
    segments = split_period(period_start, period_end, [t.valid_from for t in used])
    water_parts = split_quantity_by_days(water, segments)
    sewage_parts = split_quantity_by_days(sewage, segments) if sewage is not None else None

    lines: list[LineDraft] = []
    for i, (segment, tariff) in enumerate(zip(segments, used, strict=True)):
        lines.append(_line(KIND_WATER, water_parts[i], UNIT_M3, tariff.water_price, tariff, segment))
        if sewage_parts is not None:
            lines.append(_line(KIND_SEWAGE, sewage_parts[i], UNIT_M3, tariff.sewage_price, tariff, segment))
        months = subscription_months(*segment, places=months_places)
        for kind, fee in (
            (KIND_SUBSCRIPTION, tariff.subscription_fee),
            (KIND_SEWAGE_SUBSCRIPTION, tariff.sewage_subscription_fee),
        ):
            # A sewage subscription is only owed where sewage is collected.
            if fee == 0 or (kind == KIND_SEWAGE_SUBSCRIPTION and sewage is None):
                continue
            unit_price = monthly_fee(fee, tariff.fee_period_months)
            lines.append(_line(kind, months, UNIT_MONTH, unit_price, tariff, segment))
    return lines


# --- VAT (§6) --------------------------------------------------------------------------------------------


class Taxable(Protocol):
    """Anything with a net amount and a VAT rate: a LineDraft or a stored invoice line."""

    @property
    def net(self) -> Decimal: ...

    @property
    def vat_rate(self) -> Decimal: ...


@dataclass(frozen=True, slots=True)
class VatRow:
    rate: Decimal
    net: Decimal
    vat: Decimal


@dataclass(frozen=True, slots=True)
class Totals:
    net: Decimal
    vat: Decimal
    gross: Decimal
    rows: tuple[VatRow, ...]  # one per VAT rate, highest rate first


def vat_totals(lines: Iterable[Taxable]) -> Totals:
    """Net, VAT and gross totals; VAT per rate on the sum of that rate's nets, half-up (art. 106e, §6).

    Rounding the sum rather than each line is what the VAT act requires, and the two can differ by grosze.
    """
    net_by_rate: dict[Decimal, Decimal] = {}
    for line in lines:
        net_by_rate[line.vat_rate] = net_by_rate.get(line.vat_rate, Decimal("0.00")) + line.net
    rows = tuple(
        VatRow(rate=rate, net=net, vat=round_money(net * rate))
        for rate, net in sorted(net_by_rate.items(), key=lambda item: item[0], reverse=True)
    )
    net = sum((r.net for r in rows), Decimal("0.00"))
    vat = sum((r.vat for r in rows), Decimal("0.00"))
    return Totals(net=net, vat=vat, gross=net + vat, rows=rows)
