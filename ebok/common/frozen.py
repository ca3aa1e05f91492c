"""Rows that are written once and never changed: issued invoices, ledger entries, the audit trail."""

from __future__ import annotations

from django.db import models


class ImmutableError(Exception):
    """A frozen row (an issued document, a ledger entry, an audit entry) was about to be changed or deleted."""


class FrozenQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableError(f"{self.model.__name__} rows are never edited")

    def delete(self):
        raise ImmutableError(f"{self.model.__name__} rows are never deleted")

    def bulk_create(self, objs, *args, **kwargs):
        if kwargs.get("update_conflicts"):
            raise ImmutableError(f"{self.model.__name__} rows are never overwritten")
        return super().bulk_create(objs, *args, **kwargs)


class FrozenModel(models.Model):
    """Saving an existing row or deleting one raises ImmutableError; the database keeps them forever."""

    objects = FrozenQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableError(f"{type(self).__name__} is frozen once written")
        # Always an INSERT: a fresh instance carrying an existing primary key must not become an UPDATE.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError(f"{type(self).__name__} is never deleted")
