"""Form for a new tariff version of a group (net prices, the subscription fee, VAT) with its first day."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ebok.backoffice.forms.readings import mark_invalid_fields
from ebok.common.parsing import parse_decimal
from ebok.portal.forms import AccessibleForm
from ebok.tariffs.models import TariffGroup


class AmountField(forms.Field):
    """A non-negative decimal typed the Polish way or the English way ("6,24" or "6.24")."""

    def __init__(self, *, places: int, maximum: Decimal, **kwargs):
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "maxlength": 20})
        )
        super().__init__(**kwargs)
        self.places, self.maximum = places, maximum

    def to_python(self, value):
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        try:
            amount = parse_decimal(text)
        except ValueError:
            raise forms.ValidationError(_("Enter a number, for example 6.24 or 6,24.")) from None
        if amount < 0:
            raise forms.ValidationError(_("Enter a number that is not negative."))
        if amount != amount.quantize(Decimal(1).scaleb(-self.places)):
            raise forms.ValidationError(
                _("Enter at most %(places)s digits after the decimal point.") % {"places": self.places}
            )
        if amount > self.maximum:
            raise forms.ValidationError(_("Enter at most %(max)s.") % {"max": self.maximum})
        return amount


class TariffForm(AccessibleForm, forms.Form):
    group = forms.ModelChoiceField(
        label=gettext_lazy("Tariff group"), queryset=TariffGroup.objects.order_by("code"), empty_label=None
    )
    valid_from = forms.DateField(
        label=gettext_lazy("Valid from"),
        help_text=gettext_lazy("The first day of the new prices; the previous version ends the day before."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    water_price = AmountField(
        label=gettext_lazy("Water, net price per m³ (zł)"), places=4, maximum=Decimal("999999")
    )
    sewage_price = AmountField(
        label=gettext_lazy("Sewage, net price per m³ (zł)"), places=4, maximum=Decimal("999999")
    )
    subscription_fee = AmountField(
        label=gettext_lazy("Subscription fee, net (zł)"), places=2, maximum=Decimal("99999999")
    )
    sewage_subscription_fee = AmountField(
        label=gettext_lazy("Sewage subscription fee, net (zł)"),
        places=2,
        maximum=Decimal("99999999"),
        required=False,
        help_text=gettext_lazy("Leave empty if sewage has no fee of its own."),
    )
    fee_period_months = forms.TypedChoiceField(
        label=gettext_lazy("The fees are per"),
        coerce=int,
        choices=[
            (1, gettext_lazy("month")),
            (2, gettext_lazy("2 months")),
            (3, gettext_lazy("quarter (3 months)")),
        ],
        initial=1,
    )
    vat_percent = AmountField(
        label=gettext_lazy("VAT rate, %"),
        places=2,
        maximum=Decimal("99.99"),
        initial="8",
        help_text=gettext_lazy("8 for water supply and sewage collection (the reduced rate)."),
    )
    approval_note = forms.CharField(
        label=gettext_lazy("Approval"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Optional, e.g. the decision of Wody Polskie that approved the tariff."),
    )

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "group": data["group"],
            "valid_from": data["valid_from"],
            "water_price": data["water_price"],
            "sewage_price": data["sewage_price"],
            "subscription_fee": data["subscription_fee"],
            "sewage_subscription_fee": data["sewage_subscription_fee"] or Decimal("0"),
            "fee_period_months": data["fee_period_months"],
            "vat_rate": data["vat_percent"] / 100,
            "approval_note": data["approval_note"],
        }

    def add_service_errors(self, error) -> None:
        """Show tariff_create's ValidationError on its fields (vat_rate on the percentage)."""
        if hasattr(error, "error_dict"):
            for field, errors in error.message_dict.items():
                name = "vat_percent" if field == "vat_rate" else field
                for message in errors:
                    self.add_error(name if name in self.fields else None, message)
        else:
            for message in error.messages:
                self.add_error(None, message)
        mark_invalid_fields(self)
