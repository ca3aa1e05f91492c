"""Reads of the utility's own data."""

from __future__ import annotations

from ebok.company.models import Company


def company_or_none() -> Company | None:
    return Company.objects.filter(id=1).first()


def company() -> Company:
    """The utility; fails loudly if the installation was never set up (`ebok demo` or the admin)."""
    return Company.objects.get(id=1)
