"""The outbox: every e-mail and SMS is a Message row, rendered when queued and sent by the task worker.

Queueing writes the row in the caller's transaction and hands its id to the task queue after commit, so
nothing is announced that was rolled back and nothing is lost when the worker is down: the row waits.
Sending claims the row (QUEUED → SENDING, with a lease), sends outside any transaction, then records the
outcome; a failure is retried after EBOK_MESSAGE_RETRY_DELAYS, after the last one it stays FAILED for staff.
Templates: notifications/email/<name>.subject.txt and <name>.txt (the HTML part is the same text in the
company's layout), notifications/sms/<name>.txt.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import uuid
from email.utils import formataddr

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.exceptions import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import translation

from ebok.audit.services import audit_log
from ebok.common import clock
from ebok.common.actor import Actor
from ebok.company.selectors import company_or_none
from ebok.customers.models import Customer
from ebok.notifications import sms
from ebok.notifications.models import ConsentMedium, Message, MessageStatus

log = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "ebok.notifications.unsubscribe"
# A claimed message whose sender died is put back in the queue after this long.
SENDING_LEASE = dt.timedelta(minutes=10)
# A queued message nobody picked up (its task was lost) is handed to the queue again after this long.
STRANDED_AFTER = dt.timedelta(minutes=10)


class PermanentFailure(Exception):
    """The recipient can never get this message (address refused): no retries."""


def unsubscribe_token(message: Message) -> str:
    """The message's id and its HMAC signature (short enough for an SMS)."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(message.public_id.hex)


def message_for_unsubscribe_token(token: str) -> Message | None:
    """The message a signed link came from; None if the link was changed or made up."""
    try:
        public_id = uuid.UUID(hex=signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return Message.objects.select_related("customer").filter(public_id=public_id).exclude(kind="").first()


def _render(message: Message, template: str, context: dict) -> None:
    context = {"company": company_or_none(), "site_url": settings.EBOK_SITE_URL, **context}
    if message.kind:
        context["unsubscribe_url"] = settings.EBOK_SITE_URL + reverse(
            "portal:unsubscribe", args=[unsubscribe_token(message)]
        )
    with translation.override(message.language):
        if message.medium == ConsentMedium.SMS:
            message.body = " ".join(render_to_string(f"notifications/sms/{template}.txt", context).split())
            return
        subject = render_to_string(f"notifications/email/{template}.subject.txt", context)
        message.subject = " ".join(subject.split())[:255]
        message.body = render_to_string(f"notifications/email/{template}.txt", context).strip() + "\n"
        message.body_html = render_to_string(
            "notifications/email/layout.html", {**context, "subject": message.subject, "text": message.body}
        )


def sms_template_exists(template: str) -> bool:
    try:
        get_template(f"notifications/sms/{template}.txt")
    except TemplateDoesNotExist:
        return False
    return True


def message_queue(
    *,
    to: str,
    template: str,
    context: dict,
    language: str = "pl",
    medium: str = ConsentMedium.EMAIL,
    customer: Customer | None = None,
    kind: str = "",
    invoice=None,
    sensitive: bool = False,
    dedupe_key: str | None = None,
) -> Message | None:
    """Render and store a message, and queue its sending after commit. None if `dedupe_key` was used before.

    This does not check consents: senders of notifications go through services.notify, which does.
    """
    if dedupe_key and Message.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    message = Message(
        to=to,
        template=template,
        medium=medium,
        language=language if language in ("pl", "en") else "pl",
        customer=customer,
        kind=kind,
        invoice=invoice,
        sensitive=sensitive,
        dedupe_key=dedupe_key,
        created_at=clock.now(),
    )
    _render(message, template, context)
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        if dedupe_key and Message.objects.filter(dedupe_key=dedupe_key).exists():
            return None  # another process queued the same scheduled message a moment ago
        raise
    transaction.on_commit(lambda: _enqueue(message.pk))
    return message


def _enqueue(message_id: int, run_after: dt.datetime | None = None) -> None:
    from ebok.notifications.tasks import deliver_message

    task = deliver_message
    if run_after is not None:
        if not task.get_backend().supports_defer:
            # The retry waits for messages_requeue (run by `ebok worker` and `ebok notify`) once it is due.
            Message.objects.filter(pk=message_id).update(enqueued_at=None)
            return
        task = task.using(run_after=run_after)
    Message.objects.filter(pk=message_id).update(enqueued_at=clock.now())
    task.enqueue(message_id)


def _claim(message_id: int) -> Message | None:
    now = clock.now()
    claimed = (
        Message.objects.filter(pk=message_id, status=MessageStatus.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(status=MessageStatus.SENDING, next_attempt_at=now + SENDING_LEASE)
    )
    if not claimed:
        return None
    return Message.objects.select_related("invoice").get(pk=message_id)


def _send_email(message: Message) -> None:
    company = company_or_none()
    from_email = settings.DEFAULT_FROM_EMAIL
    if company is not None and "<" not in from_email:
        from_email = formataddr((company.short_name or company.legal_name, from_email))
    headers = {}
    if message.kind:
        url = settings.EBOK_SITE_URL + reverse("portal:unsubscribe", args=[unsubscribe_token(message)])
        headers = {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    email = EmailMultiAlternatives(
        subject=message.subject, body=message.body, from_email=from_email, to=[message.to], headers=headers
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    if message.invoice_id:
        from ebok.billing.documents.pdf import render_invoice_pdf

        email.attach(
            f"{message.invoice.number.replace('/', '-')}.pdf",
            render_invoice_pdf(message.invoice),
            "application/pdf",
        )
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as error:
        raise PermanentFailure(f"recipient refused: {error.recipients}") from error
    except smtplib.SMTPResponseException as error:
        if error.smtp_code >= 500:
            raise PermanentFailure(f"{error.smtp_code} {error.smtp_error!r}") from error
        raise


def message_deliver(*, message_id: int) -> str:
    """Send one queued message (the task's body); returns the new status, or "skipped" if not ours to send."""
    message = _claim(message_id)
    if message is None:
        return "skipped"
    attempts = message.attempts + 1
    error = ""
    try:
        if message.medium == ConsentMedium.SMS:
            provider = sms.provider()
            if provider is None:
                raise PermanentFailure("SMS sending is switched off (EBOK_SMS_PROVIDER)")
            provider.send(to=message.to, text=message.body)
        else:
            _send_email(message)
    except PermanentFailure as failure:
        error, retry_in = str(failure), None
    except Exception as failure:  # noqa: BLE001 - network, server or our own error: counted, retried, then FAILED
        if not isinstance(failure, OSError | smtplib.SMTPException | sms.SmsError):
            log.exception("message %s could not be sent", message.pk)
        delays = settings.EBOK_MESSAGE_RETRY_DELAYS
        error = f"{type(failure).__name__}: {failure}"
        retry_in = dt.timedelta(seconds=delays[attempts - 1]) if attempts <= len(delays) else None
    now = clock.now()
    if not error:
        fields = {"status": MessageStatus.SENT, "sent_at": now, "next_attempt_at": None, "last_error": ""}
        if message.sensitive:
            fields["body"] = fields["body_html"] = "—"
        Message.objects.filter(pk=message.pk).update(attempts=attempts, **fields)
        return MessageStatus.SENT
    log.warning("message %s (%s) attempt %s failed: %s", message.pk, message.template, attempts, error)
    if retry_in is None:
        Message.objects.filter(pk=message.pk).update(
            status=MessageStatus.FAILED, attempts=attempts, last_error=error[:2000], next_attempt_at=None
        )
        return MessageStatus.FAILED
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.QUEUED,
        attempts=attempts,
        last_error=error[:2000],
        next_attempt_at=now + retry_in,
    )
    _enqueue(message.pk, run_after=now + retry_in)
    return MessageStatus.QUEUED


def messages_requeue() -> int:
    """Hand to the queue what would otherwise wait for ever; returns how many.

    Covers a sender that died while sending (lease over), retries on a queue that can't defer tasks, and a
    message whose task was lost. Sending twice is prevented by the claim, so a duplicate task is harmless.
    """
    now = clock.now()
    expired = Message.objects.filter(status=MessageStatus.SENDING, next_attempt_at__lt=now)
    expired.update(status=MessageStatus.QUEUED, next_attempt_at=now)
    due = Message.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - STRANDED_AFTER),
        status=MessageStatus.QUEUED,
    )
    ids = list(due.values_list("pk", flat=True)[:10_000])
    for message_id in ids:
        _enqueue(message_id)
    return len(ids)


@transaction.atomic
def message_resend(*, actor: Actor, message: Message) -> Message:
    """Staff send a FAILED message again (after fixing the address or the mail server)."""
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.status != MessageStatus.FAILED:
        raise ValueError("only a failed message can be sent again")
    message.status = MessageStatus.QUEUED
    message.next_attempt_at = None
    message.save(update_fields=["status", "next_attempt_at"])
    audit_log(
        actor=actor,
        action="message.resent",
        obj=message,
        customer_id=message.customer_id,
        data={"template": message.template, "to": message.to, "attempts": message.attempts},
    )
    transaction.on_commit(lambda: _enqueue(message.pk))
    return message


def send_email(
    *, to: str, name: str, context: dict, language: str = "pl", sensitive: bool = False
) -> Message | None:
    """An account message (confirmation, activation, password reset): needs no consent, has no unsubscribe."""
    return message_queue(to=to, template=name, context=context, language=language, sensitive=sensitive)
