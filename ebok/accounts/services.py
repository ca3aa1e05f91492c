"""Portal accounts: registration with a customer code and an invoice number, e-mail confirmation, and the
staff decision (activate or reject). Each step is audited and the person is told by e-mail."""

from __future__ import annotations

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from ebok.accounts.models import CustomerAccess, Registration, RegistrationStatus, User
from ebok.audit.services import audit_log
from ebok.billing.models import Invoice
from ebok.common import clock
from ebok.common.actor import Actor
from ebok.customers.models import Customer
from ebok.notifications.outbox import send_email


class EmailConfirmationTokenGenerator(PasswordResetTokenGenerator):
    """A link that confirms the address once: it stops working when the registration moves on."""

    key_salt = "ebok.accounts.EmailConfirmationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        status = getattr(getattr(user, "registration", None), "status", "")
        return f"{user.pk}{user.email}{status}{timestamp}"


email_confirmation_token = EmailConfirmationTokenGenerator()


def _link(name: str, user: User, token: str) -> str:
    from django.conf import settings

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return settings.EBOK_SITE_URL + reverse(name, kwargs={"uidb64": uid, "token": token})


def match_customer(customer_code: str, invoice_number: str) -> Customer | None:
    """The customer whose code and one of whose invoices are both as given (spaces and case ignored)."""
    code = "".join(customer_code.split())
    number = "".join(invoice_number.split()).upper()
    invoice = (
        Invoice.objects.filter(customer__code=code, number__iexact=number).select_related("customer").first()
    )
    return invoice.customer if invoice is not None else None


@transaction.atomic
def registration_create(
    *,
    actor: Actor,
    email: str,
    password: str,
    customer_code: str,
    invoice_number: str,
    customer: Customer | None,
    language: str = "pl",
) -> Registration | None:
    """Create the account (inactive in the portal until staff activate it) and send the confirmation link.

    If the address already has an account, nothing is created and its owner is told by e-mail instead, so the
    form's answer is the same either way (no account enumeration). Returns None in that case.
    """
    email = User.objects.normalize_email(email).strip()
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        User().set_password(password)  # the same hashing work as a new account: the timing tells nothing
        send_email(
            to=existing.email, name="registration_exists", context={"user": existing}, language=language
        )
        return None
    user = User(username=email.lower(), email=email, language=language)
    user.set_password(password)
    user.save()
    registration = Registration.objects.create(
        user=user,
        customer_code=customer_code.strip(),
        invoice_number=invoice_number.strip(),
        customer=customer,
        created_at=clock.now(),
    )
    audit_log(
        actor=actor,
        action="registration.created",
        obj=registration,
        customer_id=customer.pk if customer else None,
        data={"email": email, "customer_code": customer_code, "matched": customer is not None},
    )
    send_email(
        to=email,
        name="confirm_email",
        context={"link": _link("portal:confirm_email", user, email_confirmation_token.make_token(user))},
        language=language,
        sensitive=True,
    )
    return registration


@transaction.atomic
def registration_confirm_email(*, actor: Actor, user: User) -> Registration:
    registration = Registration.objects.select_for_update().get(user=user)
    if registration.status == RegistrationStatus.EMAIL:
        registration.status = RegistrationStatus.PENDING
        registration.email_confirmed_at = clock.now()
        registration.save(update_fields=["status", "email_confirmed_at"])
        audit_log(actor=actor, action="registration.email_confirmed", obj=registration)
    return registration


@transaction.atomic
def registration_activate(
    *, actor: Actor, registration: Registration, customer: Customer | None = None
) -> None:
    """Give the person access to the matched customer (or the one staff found by checking)."""
    registration = Registration.objects.select_for_update().select_related("user").get(pk=registration.pk)
    customer = customer or registration.customer
    if customer is None:
        raise ValueError("choose the customer this registration belongs to")
    if registration.status == RegistrationStatus.ACTIVE:
        return
    registration.status = RegistrationStatus.ACTIVE
    registration.customer = customer
    registration.decided_at = clock.now()
    registration.decided_by = actor.user
    registration.save(update_fields=["status", "customer", "decided_at", "decided_by"])
    CustomerAccess.objects.get_or_create(
        user=registration.user, customer=customer, defaults={"granted_at": clock.now()}
    )
    audit_log(
        actor=actor,
        action="registration.activated",
        obj=registration,
        customer_id=customer.pk,
        data={"email": registration.user.email, "customer": customer.code},
    )
    send_email(
        to=registration.user.email,
        name="registration_activated",
        context={"customer": customer},
        language=registration.user.language,
    )


@transaction.atomic
def registration_reject(*, actor: Actor, registration: Registration, reason: str) -> None:
    reason = reason.strip()
    if not reason:
        raise ValueError("a rejection needs a reason the person can read")
    registration = Registration.objects.select_for_update().select_related("user").get(pk=registration.pk)
    if registration.status == RegistrationStatus.ACTIVE:
        raise ValueError("an active account can't be rejected")
    registration.status = RegistrationStatus.REJECTED
    registration.reject_reason = reason
    registration.decided_at = clock.now()
    registration.decided_by = actor.user
    registration.save(update_fields=["status", "reject_reason", "decided_at", "decided_by"])
    audit_log(
        actor=actor,
        action="registration.rejected",
        obj=registration,
        customer_id=registration.customer_id,
        data={"email": registration.user.email, "reason": reason},
    )
    send_email(
        to=registration.user.email,
        name="registration_rejected",
        context={"reason": reason},
        language=registration.user.language,
    )
