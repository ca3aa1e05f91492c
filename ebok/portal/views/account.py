"""Registration, e-mail confirmation, login (with the two-step code), the account's status, two-step login
settings, and password reset and change.

The login views here also serve the back-office (/staff/) and the reader app (/reader/): each door is a
`LoginArea` with its own templates and start page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views import View
from django.views.i18n import set_language as django_set_language

from ebok.accounts import twofactor
from ebok.accounts.auth_events import auth_event
from ebok.accounts.models import Registration, User
from ebok.accounts.services import email_confirmation_token, registration_confirm_email, registration_create
from ebok.accounts.sessions import login_complete, login_pending, pending_next, pending_user
from ebok.accounts.throttle import Throttled, throttle_check, throttle_hit
from ebok.common.actor import Actor
from ebok.notifications.outbox import send_email
from ebok.portal.access import attach_customers, client_ip, portal_actor
from ebok.portal.forms import (
    PortalLoginForm,
    RegistrationForm,
    SecondFactorForm,
    TwoFactorOffForm,
    throttled_message,
)


def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("portal:account")
    form = RegistrationForm(request.POST or None, ip=client_ip(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        registration_create(
            actor=portal_actor(request),
            email=data["email"],
            password=data["password1"],
            customer_code=data["customer_code"],
            invoice_number=data["invoice_number"],
            customer=form.customer,
            language=get_language() or "pl",
        )
        return redirect("portal:register_sent")
    return render(request, "portal/account/register.html", {"form": form, "nav": "register"})


def register_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/account/register_sent.html", {"nav": "register"})


def confirm_email(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """A valid link confirms the address and shows the account's status. Any other link (wrong, expired, or
    already used: the token stops working once the address is confirmed) gets one neutral page that says
    nothing about the account, so stepping through user ids reveals nothing."""
    try:
        user = User.objects.select_related("registration").get(pk=force_str(urlsafe_base64_decode(uidb64)))
        user.registration  # noqa: B018 - a user without a registration has nothing to confirm
    except (ValueError, TypeError, OverflowError, User.DoesNotExist, Registration.DoesNotExist):
        user = None
    if user is None or not email_confirmation_token.check_token(user, token):
        return render(request, "portal/account/confirm_failed.html", status=400)
    registration = registration_confirm_email(actor=portal_actor(request), user=user)
    return render(request, "portal/account/confirmed.html", {"registration": registration})


@dataclass(frozen=True)
class LoginArea:
    """One door in: its URL namespace (with the names login, login_code and login_setup), the page to go to
    after logging in, and the folder of its login_code.html and login_setup.html templates."""

    namespace: str
    home: str
    templates: str
    channel: str

    def url(self, name: str) -> str:
        return reverse(f"{self.namespace}:{name}")


PORTAL = LoginArea("portal", settings.LOGIN_REDIRECT_URL, "portal/account", "portal")
STAFF = LoginArea("backoffice", "backoffice:home", "backoffice", "backoffice")
READER = LoginArea("collector", "collector:app", "collector", "collector")


class TwoFactorLoginView(auth_views.LoginView):
    """The password step. Someone who needs a code (staff; customers who turned it on) is not logged in yet:
    they go on to the code page, or, staff without a device, to setting one up."""

    authentication_form = PortalLoginForm
    area: LoginArea = PORTAL

    def form_valid(self, form):
        user = form.get_user()
        if not twofactor.second_factor_required(user):
            response = super().form_valid(form)
            if self.area is PORTAL:
                remember_language(user, get_language())
            return response
        login_pending(self.request, user, next_url=self.get_success_url())
        step = "login_code" if twofactor.device_for(user) is not None else "login_setup"
        return redirect(self.area.url(step))


class PortalLoginView(TwoFactorLoginView):
    template_name = "portal/account/login.html"
    redirect_authenticated_user = True
    extra_context = {"nav": "login"}


class _SecondStep(View):
    """Shared by the code page and the set-up page: who is logging in, and where they go afterwards.

    The person is either pending (right password in this session, see ebok.accounts.sessions) or logged in
    without the second factor (e.g. a staff member whose device an administrator has just reset)."""

    area: LoginArea = PORTAL

    def dispatch(self, request, *args, **kwargs):
        self.pending = pending_user(request)
        if self.pending is not None:
            self.person = self.pending
        elif request.user.is_authenticated:
            self.person = User.objects.get(pk=request.user.pk)
        else:
            messages.info(request, _("Please log in again."))
            return redirect(self.area.url("login"))
        return self.elsewhere() or super().dispatch(request, *args, **kwargs)

    def elsewhere(self) -> HttpResponse | None:
        """Where the person belongs instead of this step (before anything is checked or shown), or None."""
        return None

    def next_url(self) -> str:
        wanted = pending_next(self.request) or self.request.POST.get("next") or self.request.GET.get("next")
        if wanted and url_has_allowed_host_and_scheme(
            wanted, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            return wanted
        return resolve_url(self.area.home)

    def actor(self) -> Actor:
        return Actor(user=self.person, channel=self.area.channel, ip=client_ip(self.request) or None)

    def other_step(self, name: str) -> HttpResponse:
        query = self.request.GET.urlencode()
        return redirect(self.area.url(name) + (f"?{query}" if query else ""))

    def finish(self, device) -> HttpResponse:
        target = self.next_url()
        login_complete(self.request, self.person, device)
        if self.area is PORTAL:
            remember_language(self.person, get_language())
        return redirect(target)


class LoginCodeView(_SecondStep):
    """The code step of the login (and of a logged-in session that has not given it yet)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(SecondFactorForm(check=self.check))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SecondFactorForm(request.POST, check=self.check)
        if form.is_valid():
            return self.finish(form.result)
        return self.page(form)

    def elsewhere(self) -> HttpResponse | None:
        if twofactor.device_for(self.person) is None:
            return self.other_step("login_setup")
        if self.pending is None and twofactor.is_verified(self.request.user):
            return redirect(self.next_url())
        return None

    def check(self, code: str):
        return twofactor.code_verify(actor=self.actor(), user=self.person, code=code)

    def page(self, form) -> HttpResponse:
        return render(
            self.request,
            f"{self.area.templates}/login_code.html",
            {"form": form, "next": self.next_url(), "nav": "login"},
        )


class LoginSetupView(_SecondStep):
    """Setting up the authenticator app: a QR code and the secret as text, confirmed by the first code.

    Staff without a device come here after the password; customers come from their account page."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(SecondFactorForm(check=self.check))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SecondFactorForm(request.POST, check=self.check)
        if form.is_valid():
            messages.success(
                request, _("Two-step login is on. From now on, log in with a code from the app.")
            )
            return self.finish(form.result)
        return self.page(form)

    def check(self, code: str):
        return twofactor.totp_enable(actor=self.actor(), user=self.person, code=code)

    def elsewhere(self) -> HttpResponse | None:
        if twofactor.device_for(self.person) is not None:
            # Already set up: a pending login goes on to the code; a logged-in customer sees the settings.
            if self.pending is not None or not twofactor.is_verified(self.request.user):
                return self.other_step("login_code")
            return redirect("portal:twofactor" if self.area is PORTAL else self.area.home)
        if self.pending is None and self.person.is_staff:
            # A device for staff is set up right after the password, never from a session alone (e.g. one left
            # open on a computer after an administrator reset the device).
            return redirect_to_login(self.next_url(), self.area.url("login"))
        return None

    def page(self, form) -> HttpResponse:
        device = twofactor.setup_device(self.person)
        return render(
            self.request,
            f"{self.area.templates}/login_setup.html",
            {
                "form": form,
                "next": self.next_url(),
                "nav": "login" if self.pending else "account",
                "qr": twofactor.qr_svg(device, title=_("QR code to scan with the authenticator app")),
                "secret": twofactor.secret_text(device),
                "required": self.person.is_staff,
            },
        )


@login_required
def twofactor_settings(request: HttpRequest) -> HttpResponse:
    """The account's two-step login: on or off; turning it off needs the password (staff can't)."""
    device = twofactor.device_for(request.user)
    form = TwoFactorOffForm(request.POST or None, user=request.user, ip=client_ip(request))
    if request.method == "POST" and device is not None and not request.user.is_staff and form.is_valid():
        twofactor.totp_disable(actor=portal_actor(request), user=request.user)
        messages.success(request, _("Two-step login is off. You log in with your password only."))
        return redirect("portal:account")
    return render(
        request,
        "portal/account/twofactor.html",
        {"device": device, "form": form, "nav": "account", "required": request.user.is_staff},
    )


def remember_language(user: User, language: str | None) -> None:
    """Messages to the person (e-mails) use the language they last used the portal in."""
    if language in dict(settings.LANGUAGES) and user.language != language:
        user.language = language
        user.save(update_fields=["language"])


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, which also remembers the choice of a logged-in person."""
    response = django_set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        remember_language(request.user, request.POST.get("language"))
    return response


@login_required
def account_status(request: HttpRequest) -> HttpResponse:
    """The person's account: registration status while waiting, links to settings once active."""
    registration = Registration.objects.filter(user=request.user).first()
    attach_customers(request)
    return render(
        request,
        "portal/account/status.html",
        {
            "registration": registration,
            "nav": "account",
            "two_factor": twofactor.device_for(request.user) is not None,
        },
    )


class QueuedPasswordResetForm(PasswordResetForm):
    """Sends the link through the outbox, in the person's language; the link uses EBOK_SITE_URL, never the
    request's Host header (which an attacker could set)."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        user = context["user"]
        send_email(
            to=to_email,
            name="password_reset",
            context={"uid": context["uid"], "token": context["token"]},
            language=user.language,
            sensitive=True,
        )
        auth_event(self.request, action="auth.password_reset_requested", target=user)

    def save(self, *args, request=None, **kwargs):
        self.request = request
        return super().save(*args, request=request, **kwargs)


class PortalPasswordResetView(auth_views.PasswordResetView):
    """Always answers "if the address has an account, we sent a link" (no account enumeration). Limited
    per IP and per typed address (known or not, so the limit says nothing about the address either)."""

    template_name = "portal/account/password_reset.html"
    form_class = QueuedPasswordResetForm
    success_url = reverse_lazy("portal:password_reset_done")

    def form_valid(self, form):
        ip = client_ip(self.request)
        email = form.cleaned_data["email"].strip().lower()
        try:
            throttle_check("password_reset_ip", ip)
            throttle_check("password_reset_account", email)
        except Throttled as error:
            form.add_error(None, throttled_message(error))
            return self.form_invalid(form)
        throttle_hit("password_reset_ip", ip)
        throttle_hit("password_reset_account", email)
        return super().form_valid(form)


class PortalPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The link's form for a new password (Django's view; the new password logs out every session)."""

    template_name = "portal/account/password_reset_confirm.html"
    success_url = reverse_lazy("portal:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        auth_event(self.request, action="auth.password_reset", target=self.user)
        return response


class PortalPasswordChangeView(auth_views.PasswordChangeView):
    """Django's view: the new password changes the session hash, so every other session of the person is
    logged out, while this one is kept (update_session_auth_hash)."""

    template_name = "portal/account/password_change.html"
    success_url = reverse_lazy("portal:account")
    extra_context = {"nav": "account", "title": gettext_lazy("Change password")}

    def form_valid(self, form):
        response = super().form_valid(form)
        auth_event(self.request, action="auth.password_changed", user=self.request.user)
        messages.success(
            self.request,
            _(
                "Your password has been changed. Wherever else you were logged in (another computer or "
                "phone), you have been logged out."
            ),
        )
        return response
