"""Registration, e-mail confirmation, login, the account's status, and password reset and change."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.i18n import set_language as django_set_language

from ebok.accounts.models import Registration, User
from ebok.accounts.services import email_confirmation_token, registration_confirm_email, registration_create
from ebok.accounts.throttle import Throttled, throttle_check, throttle_hit
from ebok.notifications.outbox import send_email
from ebok.portal.access import attach_customers, client_ip, portal_actor
from ebok.portal.forms import PortalLoginForm, RegistrationForm, throttled_message


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


class PortalLoginView(auth_views.LoginView):
    template_name = "portal/account/login.html"
    authentication_form = PortalLoginForm
    redirect_authenticated_user = True
    extra_context = {"nav": "login"}

    def form_valid(self, form):
        response = super().form_valid(form)
        remember_language(self.request.user, get_language())
        return response


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
    return render(request, "portal/account/status.html", {"registration": registration, "nav": "account"})


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


class PortalPasswordResetView(auth_views.PasswordResetView):
    """Always answers "if the address has an account, we sent a link" (no account enumeration)."""

    template_name = "portal/account/password_reset.html"
    form_class = QueuedPasswordResetForm
    success_url = reverse_lazy("portal:password_reset_done")

    def form_valid(self, form):
        ip = client_ip(self.request)
        try:
            throttle_check("password_reset_ip", ip)
        except Throttled as error:
            form.add_error(None, throttled_message(error))
            return self.form_invalid(form)
        throttle_hit("password_reset_ip", ip)
        return super().form_valid(form)


class PortalPasswordChangeView(auth_views.PasswordChangeView):
    template_name = "portal/account/password_change.html"
    success_url = reverse_lazy("portal:account")
    extra_context = {"nav": "account", "title": gettext_lazy("Change password")}

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response
