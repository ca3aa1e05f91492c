"""Forms for meters: replacing a meter, and how far ahead the verification expiry list looks."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ebok.backoffice.forms.readings import mark_invalid_fields
from ebok.common import clock
from ebok.metering.models import Meter
from ebok.portal.forms import AccessibleForm
from ebok.readings.services import ReadingInputError, parse_reading_value

MONTHS_CHOICES = [1, 3, 6, 12, 24]
DEFAULT_MONTHS = 6

# Where the service's errors about the meters' fields belong on the form.
SERVICE_FIELDS = {
    "removed_on": "on",
    "removal_reading": "removal_reading",
    "serial_number": "new_serial_number",
    "installation_reading": "installation_reading",
    "digits": "digits",
    "verification_expires_on": "verification_expires_on",
}


class MeterReplaceForm(AccessibleForm, forms.Form):
    on = forms.DateField(
        label=gettext_lazy("Replacement date"),
        help_text=gettext_lazy("The day the old meter was removed and the new one installed."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    removal_reading = forms.CharField(
        label=gettext_lazy("Removal reading of the old meter, m³"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    new_serial_number = forms.CharField(
        label=gettext_lazy("Serial number of the new meter"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    installation_reading = forms.CharField(
        label=gettext_lazy("Installation reading of the new meter, m³"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    digits = forms.IntegerField(
        label=gettext_lazy("Integer digits of the new meter"),
        min_value=3,
        max_value=9,
        help_text=gettext_lazy("How many black digits the new meter has (5 shows up to 99 999 m³)."),
    )
    verification_expires_on = forms.DateField(
        label=gettext_lazy("Legal verification of the new meter expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, meter: Meter, **kwargs):
        super().__init__(*args, **kwargs)
        self.meter = meter
        if not self.is_bound:
            self.initial.setdefault("on", clock.today())
            self.initial.setdefault("digits", meter.digits)

    def clean_on(self):
        on = self.cleaned_data["on"]
        if on > clock.today():
            raise forms.ValidationError(_("The replacement date cannot be in the future."))
        return on

    def clean_new_serial_number(self) -> str:
        return self.cleaned_data["new_serial_number"].strip()

    def _reading(self, name: str, digits: int | None) -> Decimal | None:
        raw = self.cleaned_data.get(name)
        if not raw or digits is None:
            return None
        try:
            return parse_reading_value(raw, digits=digits)
        except ReadingInputError as error:
            self.add_error(name, str(error))
            return None

    def clean(self):
        data = super().clean()
        data["removal_reading"] = self._reading("removal_reading", self.meter.digits)
        data["installation_reading"] = self._reading("installation_reading", data.get("digits"))
        return data

    def add_service_errors(self, error) -> None:
        """Show meter_replace's ValidationError on the fields it is about (the rest above the form)."""
        if hasattr(error, "error_dict"):
            for field, errors in error.message_dict.items():
                name = SERVICE_FIELDS.get(field)
                for message in errors:
                    self.add_error(name if name in self.fields else None, message)
        else:
            for message in error.messages:
                self.add_error(None, message)
        mark_invalid_fields(self)


class VerificationFilterForm(AccessibleForm, forms.Form):
    months = forms.TypedChoiceField(
        label=gettext_lazy("Expiring within"),
        coerce=int,
        choices=[],
        initial=DEFAULT_MONTHS,
        required=False,
        empty_value=DEFAULT_MONTHS,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["months"].choices = [
            (n, ngettext("%(n)s month", "%(n)s months", n) % {"n": n}) for n in MONTHS_CHOICES
        ]

    def chosen_months(self) -> int:
        if self.is_valid():
            return self.cleaned_data["months"]
        return DEFAULT_MONTHS
