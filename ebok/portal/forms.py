"""Forms of the portal. They check input and say what is wrong in plain words; services do the writing."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ebok.accounts.throttle import Throttled, throttle_check, throttle_hit, throttle_reset
from ebok.customers.models import CHANGEABLE_FIELDS, Customer
from ebok.notifications.models import ConsentKind
from ebok.notifications.selectors import MEDIA

PASSWORD_HELP = _(
    "At least 8 characters. A long phrase of a few words is easy to remember and hard to guess."
)


class AccessibleForm:
    """Marks fields with errors for screen readers: aria-invalid, and the error text as their description."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                field = self[name]
                described = [f"{field.auto_id}_error"] + (
                    [f"{field.auto_id}_helptext"] if field.help_text else []
                )
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": " ".join(described)}
                )


def throttled_message(error: Throttled) -> str:
    return ngettext(
        "Too many attempts. Please wait %(minutes)d minute and try again, or call our office.",
        "Too many attempts. Please wait %(minutes)d minutes and try again, or call our office.",
        error.minutes,
    ) % {"minutes": error.minutes}


class RegistrationForm(AccessibleForm, forms.Form):
    customer_code = forms.CharField(
        label=_("Customer code"),
        max_length=20,
        help_text=_("6 digits, in the framed box labelled “Customer code” on every invoice."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    invoice_number = forms.CharField(
        label=_("Number of one of your invoices"),
        max_length=40,
        help_text=_(
            "For example FV/2025/000123: in the top right corner of the invoice, under the words “VAT invoice”."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    email = forms.EmailField(
        label=_("E-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        help_text=PASSWORD_HELP,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    verify_by_office = forms.BooleanField(
        label=_("I can't find matching numbers: let the office check my registration by phone"),
        required=False,
    )

    def __init__(self, *args, ip: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.ip = ip
        self.customer: Customer | None = None

    def clean_customer_code(self) -> str:
        code = "".join(self.cleaned_data["customer_code"].split())
        if not code.isdigit():
            raise forms.ValidationError(_("The customer code is made of digits only."))
        return code

    def clean(self):
        from ebok.accounts.services import match_customer

        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords are different."))
        if p1:
            try:
                password_validation.validate_password(p1)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        code, number = data.get("customer_code"), data.get("invoice_number")
        if self.errors or not code or not number:
            return data
        email = (data.get("email") or "").strip().lower()
        try:
            throttle_check("register_ip", self.ip)
            throttle_check("register_code", code)
            throttle_check("register_email", email)
        except Throttled as error:
            raise forms.ValidationError(throttled_message(error)) from None
        throttle_hit("register_ip", self.ip)
        throttle_hit("register_email", email)
        self.customer = match_customer(code, number)
        if self.customer is None:
            throttle_hit("register_code", code)
            if not data.get("verify_by_office"):
                raise forms.ValidationError(
                    _(
                        "This customer code and invoice number do not match an invoice of ours. Check both on "
                        "your invoice (see where they are printed), or tick the box below to let our office "
                        "check your registration."
                    )
                )
        return data


class PortalLoginForm(AccessibleForm, AuthenticationForm):
    """Log in by e-mail address; failed attempts are limited per address and per IP (with a cool-off)."""

    error_messages = {
        "invalid_login": _("The e-mail address or the password is wrong. Passwords are case-sensitive."),
        "inactive": _("This account is switched off. Please call our office."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("E-mail address")
        self.fields["username"].widget.attrs.update({"autocomplete": "email", "inputmode": "email"})
        self.fields["password"].label = _("Password")

    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip().lower()
        self.cleaned_data["username"] = username
        ip = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        try:
            throttle_check("login_account", username)
            throttle_check("login_ip", ip)
        except Throttled as error:
            raise forms.ValidationError(throttled_message(error)) from None
        try:
            data = super().clean()
        except forms.ValidationError:
            throttle_hit("login_account", username)
            throttle_hit("login_ip", ip)
            raise
        throttle_reset("login_account", username)
        return data


def password_confirmed(user, password: str, *, ip: str) -> bool:
    """Re-authentication inside a logged-in session (before a sensitive change): the password is checked
    with the same per-account and per-IP limits as the login, so a borrowed session can't guess it.
    Raises Throttled when the limits are used up."""
    account = (user.email or user.get_username()).strip().lower()
    throttle_check("login_account", account)
    throttle_check("login_ip", ip)
    if password and user.check_password(password):
        return True
    throttle_hit("login_account", account)
    throttle_hit("login_ip", ip)
    return False


class SecondFactorForm(AccessibleForm, forms.Form):
    """The 6-digit code from the authenticator app; `check(code)` returns whether it is right (and may raise
    Throttled), so the same form serves logging in and setting up."""

    code = forms.CharField(
        label=_("Code from the app"),
        max_length=20,
        help_text=_("The 6 digits your authenticator app shows for EBOK now."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def __init__(self, *args, check, **kwargs):
        super().__init__(*args, **kwargs)
        self.check = check
        self.result = None

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isdigit() and len(code) == 6):
            raise forms.ValidationError(_("Type the 6 digits that the app shows, without letters."))
        return code

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.result = self.check(data["code"])
        except Throttled as error:
            raise forms.ValidationError(throttled_message(error)) from None
        if not self.result:
            self.add_error(
                "code",
                _(
                    "This code is wrong or has already been used. Type the code the app shows now; "
                    "if it keeps failing, check that the phone's clock is set automatically."
                ),
            )
        return data


class TwoFactorOffForm(AccessibleForm, forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, ip: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.ip = ip

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        try:
            ok = password_confirmed(self.user, password, ip=self.ip)
        except Throttled as error:
            raise forms.ValidationError(throttled_message(error)) from None
        if not ok:
            raise forms.ValidationError(_("The password is wrong."))
        return password


class ChangeRequestForm(AccessibleForm, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    street = forms.CharField(label=_("Street and number"), max_length=120, required=False)
    postal_code = forms.RegexField(
        label=_("Postal code"),
        regex=r"^\d{2}-\d{3}$",
        required=False,
        error_messages={"invalid": _("Write the postal code as 00-000.")},
    )
    city = forms.CharField(label=_("Town or village"), max_length=80, required=False)
    email = forms.EmailField(label=_("E-mail address"), required=False)
    current_password = forms.CharField(
        label=_("Your password (only when changing the e-mail address)"),
        required=False,
        strip=False,
        help_text=_("Invoices and messages go to this address, so we ask for your password to change it."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    message = forms.CharField(
        label=_("What else should we know?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For example a change of owner or the number of residents."),
    )

    def __init__(self, *args, customer: Customer, user=None, ip: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.user = user
        self.ip = ip
        for field in CHANGEABLE_FIELDS:
            self.fields[field].initial = getattr(customer, field)

    def clean(self):
        data = super().clean()
        changed = {
            f: data[f] for f in CHANGEABLE_FIELDS if data.get(f) and data[f] != getattr(self.customer, f)
        }
        if not changed and not (data.get("message") or "").strip():
            raise forms.ValidationError(_("Change at least one field or write a message."))
        if "email" in changed and self.user is not None:
            self._reauthenticate(data.get("current_password") or "")
        data["changes"] = changed
        return data

    def _reauthenticate(self, password: str) -> None:
        """A new e-mail address receives the invoices and the account's messages: ask for the password, so
        that someone at a computer left logged in can't redirect them."""
        if not password:
            self.add_error("current_password", _("To change the e-mail address, type your current password."))
            return
        try:
            ok = password_confirmed(self.user, password, ip=self.ip)
        except Throttled as error:
            self.add_error("current_password", throttled_message(error))
            return
        if not ok:
            self.add_error(
                "current_password",
                _("The password is wrong. Type the password you log in with to change the e-mail address."),
            )


class ConsentsForm(AccessibleForm, forms.Form):
    """One checkbox per consent kind and medium."""

    def __init__(self, *args, current: dict[tuple[str, str], bool], **kwargs):
        super().__init__(*args, **kwargs)
        for kind, media in MEDIA.items():
            for medium in media:
                self.fields[f"{kind}__{medium}"] = forms.BooleanField(
                    label=f"{ConsentKind(kind).label} – {medium.label}",
                    required=False,
                    initial=current.get((kind, medium), False),
                )

    def wanted(self) -> dict[tuple[str, str], bool]:
        return {tuple(name.split("__")): value for name, value in self.cleaned_data.items()}


class PhotoForm(AccessibleForm, forms.Form):
    photo = forms.FileField(
        label=_("Photo of the meter"),
        help_text=_("A JPEG or PNG photo up to 10 MB on which the digits can be read."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )


class WebsiteReadingForm(AccessibleForm, forms.Form):
    customer_code = forms.CharField(
        label=_("Customer code"),
        max_length=20,
        help_text=_("6 digits, printed at the top of every invoice."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    serial_number = forms.CharField(
        label=_("Meter number"),
        max_length=40,
        help_text=_("Printed on the invoice and on the meter itself."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    value = forms.CharField(
        label=_("Reading, m³"),
        max_length=20,
        help_text=_("The black digits on the meter, for example 1234."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
