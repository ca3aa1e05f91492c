"""Idempotency-Key for creating POSTs (interfaces.md): the same key with the same body returns the first
response and creates nothing; the same key with another body is a 409 conflict.

A middleware rather than a decorator, so no API POST can forget it. The record is inserted in the same
transaction as the work it describes: a concurrent twin waits on the unique index, then replays the
committed response. Refused requests (4xx) are rolled back and leave no record, so they can be fixed and
retried under the same key.
"""

from __future__ import annotations

import hashlib
import re

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

from ebok.common import clock
from ebok.integrations.models import IdempotencyRecord
from ebok.integrations.services import api_token_user

API_PREFIX = "/api/"
MAX_KEY_LENGTH = 200
# Printable ASCII (a UUID, a hash, "import-2025-04-01/17"): what an HTTP header carries unchanged and what
# PostgreSQL can store (a NUL character in a key was a server error there).
_KEY = re.compile(r"[ -~]+")


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status)


def _caller(request: HttpRequest):
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header.startswith("Bearer "):
        return api_token_user(header[7:].strip())
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.META.get("HTTP_IDEMPOTENCY_KEY", "").strip()
        if request.method != "POST" or not key or not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        if len(key) > MAX_KEY_LENGTH:
            return _error(422, "invalid_idempotency_key", f"Idempotency-Key is longer than {MAX_KEY_LENGTH}.")
        if not _KEY.fullmatch(key):
            return _error(
                422, "invalid_idempotency_key", "Idempotency-Key must be printable ASCII characters."
            )
        user = _caller(request)
        if user is None:
            return self.get_response(request)  # the API answers 401
        digest = hashlib.sha256(request.path.encode() + b"\n" + request.body).hexdigest()
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        user=user, key=key, request_hash=digest, created_at=clock.now()
                    )
            except IntegrityError:
                record = None  # seen before: replay it below, outside this transaction
            if record is not None:
                response = self.get_response(request)
                if response.status_code >= 400:
                    transaction.set_rollback(True)
                    return response
                record.status_code = response.status_code
                record.response = {
                    "content": response.content.decode(),
                    "type": response.get("Content-Type", ""),
                }
                record.save(update_fields=["status_code", "response"])
                return response
        record = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if record is None or record.status_code is None:
            return _error(409, "request_in_progress", "A request with this Idempotency-Key is in progress.")
        if record.request_hash != digest:
            return _error(
                409, "idempotency_key_reused", "This Idempotency-Key was used with a different request."
            )
        replay = HttpResponse(
            record.response["content"], status=record.status_code, content_type=record.response["type"]
        )
        replay["Idempotent-Replayed"] = "true"
        return replay
