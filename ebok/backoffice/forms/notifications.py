"""Forms of the staff's notification pages: the outbox filter, a new announcement, consents given at the office."""

from __future__ import annotations

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from ebok.common import clock
from ebok.notifications.models import (
    AnnouncementScope,
    ConsentChannel,
    ConsentKind,
    ConsentMedium,
    MessageStatus,
)
from ebok.notifications.selectors import MEDIA
from ebok.portal.forms import AccessibleForm

# What a date picker sends, and how Polish staff type a date, whatever the page's language.
DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]


def _date_field(label) -> forms.DateField:
    return forms.DateField(
        label=label,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Write the date as DD.MM.YYYY, e.g. 30.06.2025.")},
    )


class MessageFilterForm(AccessibleForm, forms.Form):
    """Filters of the outbox (GET); each is optional."""

    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("any")), *MessageStatus.choices]
    )
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=254,
        help_text=_("Part of the e-mail address, phone number or subject, or a customer code."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )

    def filters(self) -> dict:
        """The keyword arguments of ebok.notifications.selectors.messages_search (no filter if invalid)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {"status": data.get("status") or "", "query": (data.get("q") or "").strip()}


class AnnouncementForm(AccessibleForm, forms.Form):
    """A water outage or planned works. The town and street come from the addresses of the service points,
    so that an announcement by street reaches the customers who live there."""

    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(
        label=_("Text"),
        max_length=5000,
        help_text=_("What happens, where, from when until when, and whom to call."),
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    scope = forms.ChoiceField(label=_("Who is affected"), choices=AnnouncementScope.choices)
    city = forms.ChoiceField(
        label=_("Town or village"),
        required=False,
        help_text=_("For an announcement for a town, a village or a street."),
    )
    street = forms.ChoiceField(
        label=_("Street"),
        required=False,
        help_text=_("For an announcement for one street: a street of the town chosen above."),
    )
    starts_on = _date_field(_("From (day)"))
    ends_on = _date_field(_("Until (day, included)"))

    def __init__(self, *args, areas: dict[str, list[str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.areas = areas
        self.fields["city"].choices = [("", _("– choose –")), *((city, city) for city in areas)]
        # Grouped by town: the same street name can be in several towns.
        self.fields["street"].choices = [
            ("", _("– choose –")),
            *((city, [(street, street) for street in streets]) for city, streets in areas.items()),
        ]

    def clean_ends_on(self):
        day = self.cleaned_data["ends_on"]
        if day < clock.today():
            raise forms.ValidationError(_("This day is in the past: the announcement would already be over."))
        return day

    def clean(self):
        data = super().clean()
        scope, city, street = data.get("scope"), data.get("city") or "", data.get("street") or ""
        if scope in (AnnouncementScope.CITY, AnnouncementScope.STREET) and not city:
            if "city" not in self.errors:
                self.add_error("city", _("Choose the town or village the announcement is for."))
        elif scope == AnnouncementScope.STREET and "street" not in self.errors:
            if not street:
                self.add_error("street", _("Choose the street the announcement is for."))
            elif street not in self.areas.get(city, []):
                self.add_error(
                    "street",
                    _("There is no street %(street)s in %(city)s. Choose a street of the chosen town.")
                    % {"street": street, "city": city},
                )
        if scope == AnnouncementScope.EVERYONE:
            data["city"] = ""
        if scope != AnnouncementScope.STREET:
            data["street"] = ""
        start, end = data.get("starts_on"), data.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", _("The last day is before the first one."))
        return data

    def service_arguments(self) -> dict:
        """The fields of ebok.notifications.services.announcement_create (valid forms only)."""
        data = self.cleaned_data
        return {
            "title": data["title"].strip(),
            "body": data["body"].strip(),
            "scope": data["scope"],
            "city": data["city"],
            "street": data["street"],
            "starts_on": data["starts_on"],
            "ends_on": data["ends_on"],
        }


# The channels a clerk records: the portal, links and imports record their own events.
STAFF_CHANNELS = [
    (ConsentChannel.OFFICE.value, ConsentChannel.OFFICE.label),
    (ConsentChannel.PAPER.value, ConsentChannel.PAPER.label),
]


def consent_field_name(kind: str, medium: str) -> str:
    return f"{kind}__{medium}"


class ConsentRecordForm(AccessibleForm, forms.Form):
    """Consents a customer gave or withdrew at the office or on a signed paper form: one checkbox per consent
    kind and medium, starting from the current state, so that only what the clerk changes is recorded."""

    channel = forms.ChoiceField(
        label=_("Given or withdrawn"), choices=STAFF_CHANNELS, initial=ConsentChannel.OFFICE
    )
    document = forms.CharField(
        label=_("Where the signed form is kept"),
        required=False,
        max_length=120,
        help_text=_("Required for a paper form: e.g. the number of its scan or of the binder."),
    )

    def __init__(self, *args, current: dict[tuple[str, str], bool], **kwargs):
        super().__init__(*args, **kwargs)
        for kind, media in MEDIA.items():
            for medium in media:
                self.fields[consent_field_name(kind, medium)] = forms.BooleanField(
                    label=f"{capfirst(ConsentKind(kind).label)} – {ConsentMedium(medium).label}",
                    required=False,
                    initial=current.get((kind, medium), False),
                )

    def rows(self) -> list[dict]:
        """The checkboxes grouped by consent kind, for a fieldset per kind."""
        return [
            {
                "kind": capfirst(ConsentKind(kind).label),
                "items": [
                    (self[consent_field_name(kind, medium)], ConsentMedium(medium).label) for medium in media
                ],
            }
            for kind, media in MEDIA.items()
        ]

    def clean(self):
        data = super().clean()
        data["document"] = (data.get("document") or "").strip()
        if data.get("channel") == ConsentChannel.PAPER and not data["document"]:
            self.add_error(
                "document",
                _("Write where the signed paper form is kept, so that the consent can be proved later."),
            )
        return data

    def wanted(self) -> dict[tuple[str, str], bool]:
        return {
            (kind, medium): self.cleaned_data[consent_field_name(kind, medium)]
            for kind, media in MEDIA.items()
            for medium in media
        }

    def document_reference(self) -> str:
        return self.cleaned_data["document"] if self.cleaned_data["channel"] == ConsentChannel.PAPER else ""
