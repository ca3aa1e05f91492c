"""Human messages for reading outcomes, rendered in the active language from a code and its figures."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

MESSAGES = {
    "not_a_number": gettext_noop("Enter the reading as a number, for example 1234 or 1234.5."),
    "negative": gettext_noop("A meter reading cannot be negative."),
    "too_many_decimals": gettext_noop("Enter at most 3 digits after the decimal point (litres)."),
    "out_of_range": gettext_noop("This meter shows at most %(digits)s digits before the decimal point."),
    "future_date": gettext_noop("The reading date cannot be in the future."),
    "meter_removed": gettext_noop("Meter %(serial)s was removed on %(date)s; it takes no more readings."),
    "before_installation": gettext_noop(
        "Meter %(serial)s was installed on %(date)s, after the reading date."
    ),
    "before_previous": gettext_noop(
        "Meter %(serial)s already has a reading from %(date)s; a new reading must have a later date."
    ),
    "date_already_read": gettext_noop(
        "Meter %(serial)s already has a reading from %(date)s (%(value)s m³). Call the office to change it."
    ),
    "lower_than_previous": gettext_noop(
        "The reading %(value)s m³ is lower than the previous reading %(previous)s m³ of %(date)s. "
        "Please check the black digits on the meter."
    ),
    "implausible": gettext_noop(
        "%(consumption)s m³ in %(days)s days is much more than usual for this address (about %(expected)s m³). "
        "Our staff will check the reading before the invoice is issued; you can attach a photo of the meter."
    ),
    "additional_exceeds_main": gettext_noop(
        "The additional (garden) meter shows more water than the main meter. Our staff will check the readings."
    ),
    "zero_repeated": gettext_noop("No consumption in two consecutive periods."),
    "meter_not_at_point": gettext_noop("This meter does not belong to this address."),
    "rejected_on_review": gettext_noop("Rejected on review by our staff: %(reason)s"),
}


def reason_message(code: str, params: dict[str, Any] | None = None) -> str:
    template = MESSAGES.get(code)
    if template is None:
        return code
    return _(template) % (params or {})


# For a sender without an account (the website form): no dates, values or figures of the customer's meter.
PUBLIC_MESSAGES = {
    "date_already_read": gettext_noop(
        "This meter already has a reading from today. Call the office to change it."
    ),
    "lower_than_previous": gettext_noop(
        "The reading is lower than the previous reading of this meter. Please check the black digits on the meter."
    ),
    "implausible": gettext_noop(
        "The reading is much higher than usual for this address. Our staff will check it before the invoice "
        "is issued."
    ),
}


def public_reason_message(code: str) -> str:
    """The reason in words that reveal nothing about the customer's earlier readings."""
    if code in PUBLIC_MESSAGES:
        return _(PUBLIC_MESSAGES[code])
    return reason_message(code, {"serial": "", "digits": "", "date": "", "value": "", "previous": ""})
