"""The audit trail: who changed what, when, through which channel and from where."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ebok.common.frozen import FrozenModel


class AuditEntry(FrozenModel):
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=12)  # portal, backoffice, collector, api, cli, system
    action = models.CharField(max_length=60)  # e.g. "reading.submitted", "invoice.issued"
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40)
    # Plain id, not a foreign key: the trail outlives and never blocks what it describes.
    customer_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    data = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
