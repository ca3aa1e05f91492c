"""Why an invoice could not be issued, in the active language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

MESSAGES = {
    "already_billed": gettext_noop("This address is already invoiced up to %(date)s."),
    "missing_reading": gettext_noop("Meter %(serial)s has no accepted reading from %(date)s."),
    "reading_held": gettext_noop(
        "A reading from %(date)s is waiting for review by our staff; the invoice follows it."
    ),
    "no_tariff": gettext_noop("No tariff is in force on %(date)s for tariff group %(group)s."),
    "nothing_to_correct": gettext_noop("The correction changes nothing on the invoice."),
    "correct_later_invoice_first": gettext_noop(
        "Readings can only be corrected on the latest invoice of the address (%(number)s)."
    ),
    "not_a_correctable_invoice": gettext_noop("Only an issued invoice can be corrected."),
    "reason_required": gettext_noop("Give the reason for the correction."),
    "invalid_consumption": gettext_noop("Meter %(serial)s: %(detail)s"),
}


class BillingError(Exception):
    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params
        super().__init__(code)

    @property
    def message(self) -> str:
        params = dict(self.params)
        if "reading_code" in params:  # a reading problem found while invoicing: the readings' own wording
            from ebok.readings.messages import reason_message

            params["detail"] = reason_message(params.pop("reading_code"), params)
        return _(MESSAGES[self.code]) % params

    def __str__(self) -> str:
        return self.message
