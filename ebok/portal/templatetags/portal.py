"""Small formatting filters for the portal's templates."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()


@register.filter
def percent(rate: Decimal | None) -> str:
    """A VAT rate stored as a fraction (0.08) shown as a percentage (8%)."""
    if rate is None:
        return ""
    return f"{floatformat(rate * 100, -2)}%"
