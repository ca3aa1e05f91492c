"""Forms of the staff's customer pages: the search box, deciding a change request, searching the audit trail."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ebok.portal.forms import AccessibleForm

# What a date picker sends, and how Polish staff type a date, whatever the page's language.
DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]

CHANNELS = [
    ("", _("any")),
    ("portal", _("EBOK portal")),
    ("website", _("website form")),
    ("backoffice", _("back-office")),
    ("collector", _("meter reader's device")),
    ("api", _("API")),
    ("cli", _("command line")),
    ("system", _("system")),
]


class CustomerSearchForm(AccessibleForm, forms.Form):
    q = forms.CharField(
        label=_("Find a customer"),
        required=False,
        max_length=100,
        help_text=_("Customer code, name, address, meter number, NIP or bank account number."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class ChangeRequestDecisionForm(AccessibleForm, forms.Form):
    """Approve or reject one change request (the buttons send `decision`); a rejection needs a note."""

    decision = forms.ChoiceField(choices=[("approve", _("approve")), ("reject", _("reject"))])
    note = forms.CharField(
        label=_("Note for the customer"),
        required=False,
        max_length=2000,
        help_text=_("The customer sees it in EBOK. Required when you reject the request."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", _("Write why the request is rejected; the customer will read it."))
        return data


class AuditSearchForm(AccessibleForm, forms.Form):
    """Filters of the audit trail; every one is optional. (Kept here until the back-office has forms/audit.py.)"""

    customer = forms.CharField(label=_("Customer code"), required=False, max_length=20)
    object = forms.CharField(
        label=_("Object"),
        required=False,
        max_length=90,
        help_text=_("Type and number, e.g. billing.invoice:12, or only the type, e.g. payments.payment."),
    )
    action = forms.CharField(
        label=_("Action"), required=False, max_length=60, help_text=_("Its beginning, e.g. payment.")
    )
    user = forms.CharField(label=_("User name"), required=False, max_length=150)
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=CHANNELS)
    date_from = forms.DateField(
        label=_("From (day)"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=_("To (day, included)"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_customer(self) -> str:
        return "".join(self.cleaned_data["customer"].split())

    def clean_object(self) -> tuple[str, str]:
        raw = "".join(self.cleaned_data["object"].split())
        if not raw:
            return ("", "")
        object_type, _sep, object_id = raw.partition(":")
        app_label, dot, model = object_type.partition(".")
        if not (app_label and dot and model) or (_sep and not object_id):
            raise forms.ValidationError(_("Write the object as type:number, e.g. billing.invoice:12."))
        return (object_type.lower(), object_id)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("This date is before the first one."))
        return data

    def filters(self) -> dict:
        """The keyword arguments of ebok.audit.selectors.audit_search (valid forms only)."""
        data = self.cleaned_data
        object_type, object_id = data["object"]
        return {
            "customer_code": data["customer"],
            "object_type": object_type,
            "object_id": object_id,
            "action": data["action"].strip(),
            "username": data["user"].strip(),
            "channel": data["channel"],
            "date_from": data["date_from"],
            "date_to": data["date_to"],
        }
