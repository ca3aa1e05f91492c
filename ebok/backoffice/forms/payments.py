"""Forms of the staff's payment pages: payments by hand, bank statements, assigning, debtors and reports."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from ebok.billing.models import Invoice
from ebok.common import clock
from ebok.common.parsing import parse_decimal
from ebok.customers.models import Customer
from ebok.payments.models import PaymentMethod
from ebok.payments.statements import BANK_FORMATS
from ebok.portal.forms import AccessibleForm

DATE_FORMATS = ["%d.%m.%Y", "%Y-%m-%d"]
DATE_HELP = _("For example 30.06.2025.")
MAX_AMOUNT = Decimal("99999999999.99")  # what the amount column holds
MAX_STATEMENT_BYTES = 5 * 1024 * 1024

# The bank formats of ebok.payments.statements with names a clerk recognises.
BANK_FORMAT_NAMES = {
    "mt940": _("MT940, :86: subfields separated by ~ (UTF-8)"),
    "mt940-cp852": _("MT940, :86: subfields separated by ~ (Polish DOS encoding CP852)"),
    "mt940-lt": _("MT940, :86: subfields separated by < (UTF-8)"),
    "mt940-cp852-lt": _("MT940, :86: subfields separated by < (CP852)"),
    "mt940-caret": _("MT940, :86: subfields separated by ^ (UTF-8)"),
    "csv": _("CSV: date; amount; title … (UTF-8)"),
    "csv-cp1250": _("CSV: date; amount; title … (Windows-1250, as saved by Excel)"),
}


def _date_field(label, **kwargs) -> forms.DateField:
    return forms.DateField(
        label=label,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(format="%d.%m.%Y", attrs={"autocomplete": "off"}),
        error_messages={"invalid": _("Write the date as DD.MM.YYYY, e.g. 30.06.2025.")},
        **kwargs,
    )


def _customer_code_field(**kwargs) -> forms.CharField:
    return forms.CharField(
        label=_("Customer code"),
        max_length=20,
        help_text=_("6 digits."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        **kwargs,
    )


def _customer_by_code(value: str) -> Customer:
    code = "".join(value.split())
    if not code.isdigit():
        raise forms.ValidationError(_("The customer code is made of digits only."))
    customer = Customer.objects.filter(code=code).first()
    if customer is None:
        raise forms.ValidationError(_("There is no customer with the code %(code)s.") % {"code": code})
    return customer


class PaymentFilterForm(AccessibleForm, forms.Form):
    """Filters of the list of payments (GET); each is optional."""

    date_from = _date_field(_("Received from"), required=False)
    date_to = _date_field(_("Received until"), required=False)
    status = forms.ChoiceField(
        label=_("Customer"),
        required=False,
        choices=[
            ("", _("any")),
            ("matched", _("known (matched)")),
            ("unmatched", _("not known (unmatched)")),
        ],
    )
    method = forms.ChoiceField(
        label=_("Method"), required=False, choices=[("", _("any")), *PaymentMethod.choices]
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end of the period is before its start."))
        return data

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        status = data.get("status")
        return {
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "matched": {"matched": True, "unmatched": False}.get(status or ""),
            "method": data.get("method") or None,
        }


class PaymentForm(AccessibleForm, forms.Form):
    """A payment recorded by hand (cash at the office, a transfer seen in the bank's website …)."""

    customer_code = _customer_code_field()
    amount = forms.CharField(
        label=_("Amount, zł"),
        max_length=20,
        help_text=_("For example 1 234,56."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    received_on = _date_field(_("Received on"), help_text=DATE_HELP)
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices, initial=PaymentMethod.CASH)
    title = forms.CharField(label=_("Title"), max_length=300, required=False)
    invoice_number = forms.CharField(
        label=_("Invoice paid"),
        max_length=40,
        required=False,
        help_text=_(
            "Optional, e.g. FV/2025/000123: this invoice is settled first. Without it, the oldest open "
            "invoices are."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    # Sending the form twice (a double click, a reload) records one payment.
    key = forms.CharField(widget=forms.HiddenInput, max_length=32)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "initial", {"received_on": clock.today(), "method": PaymentMethod.CASH, "key": uuid.uuid4().hex}
        )
        super().__init__(*args, **kwargs)
        self.customer: Customer | None = None
        self.invoice: Invoice | None = None

    def clean_customer_code(self) -> str:
        self.customer = _customer_by_code(self.cleaned_data["customer_code"])
        return self.customer.code

    def clean_amount(self) -> Decimal:
        try:
            amount = parse_decimal(self.cleaned_data["amount"])
        except ValueError:
            raise forms.ValidationError(_("Write the amount in złoty and grosze, e.g. 120,50.")) from None
        if amount <= 0 or amount != amount.quantize(Decimal("0.01")) or amount > MAX_AMOUNT:
            raise forms.ValidationError(_("Enter an amount greater than zero, in złoty and grosze."))
        return amount.quantize(Decimal("0.01"))

    def clean_received_on(self) -> dt.date:
        day = self.cleaned_data["received_on"]
        if day > clock.today():
            raise forms.ValidationError(_("The payment cannot be received in the future."))
        return day

    def clean_key(self) -> str:
        try:
            return uuid.UUID(self.cleaned_data["key"]).hex
        except ValueError:
            raise forms.ValidationError(_("Reload the page and fill in the form again.")) from None

    def clean(self):
        data = super().clean()
        number = "".join((data.get("invoice_number") or "").split()).upper()
        if number and self.customer is not None:
            self.invoice = Invoice.objects.filter(number=number, customer=self.customer).first()
            if self.invoice is None:
                self.add_error(
                    "invoice_number",
                    _("Customer %(code)s has no invoice %(number)s.")
                    % {"code": self.customer.code, "number": number},
                )
        return data


class StatementForm(AccessibleForm, forms.Form):
    file = forms.FileField(
        label=_("Bank statement file"),
        help_text=_("MT940 (.sta, .mt940, .txt) or CSV, up to 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".sta,.mt940,.txt,.csv,text/plain,text/csv"}),
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[(key, BANK_FORMAT_NAMES.get(key, key)) for key in BANK_FORMATS],
        help_text=_("Your bank's statements are always in the same format: ask the accountant if unsure."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_STATEMENT_BYTES:
            raise forms.ValidationError(
                _("The file is larger than 5 MB. Import the statement of each day or week separately.")
            )
        return upload


class AssignForm(AccessibleForm, forms.Form):
    customer_code = _customer_code_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer: Customer | None = None

    def clean_customer_code(self) -> str:
        self.customer = _customer_by_code(self.cleaned_data["customer_code"])
        return self.customer.code


class DebtorsForm(AccessibleForm, forms.Form):
    as_of = _date_field(_("Debt on the day"), required=False, help_text=DATE_HELP)

    def clean_as_of(self):
        day = self.cleaned_data.get("as_of")
        if day and day > clock.today():
            raise forms.ValidationError(_("Choose today or a day in the past."))
        return day


class YearForm(AccessibleForm, forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int)

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, str(year)) for year in years]
        self.fields["year"].initial = years[0]
