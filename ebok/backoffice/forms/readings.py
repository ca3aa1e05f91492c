"""Forms for readings reported by phone, e-mail or at the office, and for decisions on held readings."""

from __future__ import annotations

import uuid

from django import forms
from django.template.defaultfilters import floatformat
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ebok.common import clock
from ebok.metering.models import Meter, MeterRole
from ebok.portal.forms import AccessibleForm
from ebok.readings.models import Source
from ebok.readings.services import ReadingInputError, parse_reading_value, previous_reading

STAFF_SOURCES = [(s.value, capfirst(s.label)) for s in (Source.PHONE, Source.EMAIL, Source.OFFICE)]


def mark_invalid_fields(form: forms.Form) -> None:
    """What AccessibleForm does after validation, again for errors added later (e.g. from a service)."""
    for name in form.errors:
        if name in form.fields:
            field = form[name]
            described = [f"{field.auto_id}_error"] + (
                [f"{field.auto_id}_helptext"] if field.help_text else []
            )
            form.fields[name].widget.attrs.update(
                {"aria-invalid": "true", "aria-describedby": " ".join(described)}
            )


def new_key() -> str:
    """A fresh idempotency key for one rendering of the form: sending that form twice stores one reading."""
    return uuid.uuid4().hex


class PointSearchForm(AccessibleForm, forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Customer code or meter number"),
        max_length=40,
        help_text=gettext_lazy(
            "The 6-digit customer code from the invoice, or the serial number on the meter."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class StaffReadingForm(AccessibleForm, forms.Form):
    """All meters in use at one address, read on one day, with where the reading came from."""

    date = forms.DateField(
        label=gettext_lazy("Reading date"),
        help_text=gettext_lazy("The day the customer read the meters; today unless they say otherwise."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    source = forms.ChoiceField(
        label=gettext_lazy("Reported by"), choices=STAFF_SOURCES, initial=Source.PHONE.value
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Optional. Stored with the reading; the customer sees it in EBOK."),
    )
    issue_now = forms.BooleanField(
        label=gettext_lazy("Issue the invoice now (when every reading is accepted)"),
        required=False,
        initial=True,
    )
    key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, meters: list[Meter], **kwargs):
        super().__init__(*args, **kwargs)
        self.meters = meters
        if not self.is_bound:
            self.initial.setdefault("date", clock.today())
            self.initial.setdefault("key", new_key())
        for meter in meters:
            previous = previous_reading(meter)
            label = _("Meter %(serial)s, m³") % {"serial": meter.serial_number}
            if meter.role == MeterRole.ADDITIONAL:
                label = _("Meter %(serial)s (garden), m³") % {"serial": meter.serial_number}
            self.fields[f"meter_{meter.pk}"] = forms.CharField(
                label=label,
                max_length=20,
                help_text=_("Previous reading: %(value)s m³ on %(date)s.")
                % {"value": floatformat(previous.value, -3), "date": previous.date.strftime("%d.%m.%Y")},
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            )

    def meter_fields(self):
        return [self[f"meter_{m.pk}"] for m in self.meters]

    def other_fields(self):
        return [self[name] for name in ("date", "source", "note", "issue_now")]

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > clock.today():
            raise forms.ValidationError(_("The reading date cannot be in the future."))
        return date

    def clean_key(self):
        key = self.cleaned_data.get("key") or ""
        try:
            return uuid.UUID(key).hex
        except ValueError:
            return new_key()

    def clean(self):
        data = super().clean()
        for meter in self.meters:
            name = f"meter_{meter.pk}"
            raw = data.get(name)
            if raw:
                try:
                    parse_reading_value(raw, digits=meter.digits)
                except ReadingInputError as error:
                    self.add_error(name, str(error))
        return data

    def refuse(self, meter_id: int, message: str) -> None:
        """Show why the service refused a meter's reading, on its field (after validation)."""
        name = f"meter_{meter_id}"
        self.add_error(name, message)
        mark_invalid_fields(self)

    def values(self) -> dict[int, str]:
        return {m.pk: self.cleaned_data[f"meter_{m.pk}"] for m in self.meters}


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "accept"), ("reject", "reject")])
    reason = forms.CharField(required=False, max_length=500)

    @property
    def accept(self) -> bool:
        return self.cleaned_data["decision"] == "accept"
