"""Tariffs: per tariff group, versions with a validity date, net prices and the VAT rate in force."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class TariffGroup(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class Tariff(models.Model):
    """One version of a group's prices, valid from a date until the next version (or valid_to)."""

    group = models.ForeignKey(TariffGroup, on_delete=models.PROTECT, related_name="tariffs")
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    water_price = models.DecimalField(_("water, net per m³"), max_digits=10, decimal_places=4)
    sewage_price = models.DecimalField(_("sewage, net per m³"), max_digits=10, decimal_places=4)
    subscription_fee = models.DecimalField(_("subscription fee, net"), max_digits=10, decimal_places=2)
    sewage_subscription_fee = models.DecimalField(
        _("sewage subscription fee, net"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    fee_period_months = models.PositiveSmallIntegerField(_("fee is per months"), default=1)
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=4, default=Decimal("0.0800"))
    approval_note = models.CharField(_("approval"), max_length=200, blank=True)

    class Meta:
        ordering = ["group", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["group", "valid_from"], name="tariff_unique_start"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="tariff_valid_range",
            ),
            models.CheckConstraint(
                condition=Q(
                    water_price__gte=0,
                    sewage_price__gte=0,
                    subscription_fee__gte=0,
                    sewage_subscription_fee__gte=0,
                ),
                name="tariff_prices_nonnegative",
            ),
            models.CheckConstraint(condition=Q(fee_period_months__in=[1, 2, 3]), name="tariff_fee_period"),
            models.CheckConstraint(
                condition=Q(vat_rate__gte=0, vat_rate__lt=1), name="tariff_vat_rate_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group.code} od {self.valid_from}"
