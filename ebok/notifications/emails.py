"""Sending one e-mail from templates, in the recipient's language, after the current transaction commits.

Templates live in notifications/email/<name>.subject.txt and <name>.txt. (The queue with retries and a record
of each message comes with the notifications issue; until then sending failures are logged.)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from ebok.company.selectors import company_or_none

log = logging.getLogger(__name__)

Attachment = tuple[str, bytes, str]  # file name, content, MIME type


def render_email(name: str, context: dict, language: str) -> tuple[str, str]:
    """(subject, body) of the message `name` in `language`."""
    context = {"company": company_or_none(), "site_url": settings.EBOK_SITE_URL, **context}
    with translation.override(language):
        subject = render_to_string(f"notifications/email/{name}.subject.txt", context)
        body = render_to_string(f"notifications/email/{name}.txt", context)
    return " ".join(subject.split()), body


def send_email(
    *, to: str, name: str, context: dict, language: str = "pl", attachments: Iterable[Attachment] = ()
) -> None:
    """Send after commit, so that nothing is announced that was rolled back."""
    subject, body = render_email(name, context, language)
    message = EmailMessage(subject=subject, body=body, to=[to])
    for attachment in attachments:
        message.attach(*attachment)

    def deliver() -> None:
        try:
            message.send()
        except OSError:
            log.exception("sending %s to a customer failed", name)

    transaction.on_commit(deliver)
