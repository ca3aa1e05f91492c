"""The utility itself: its legal identity, bank details and every billing choice it can make."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Company(models.Model):
    """Exactly one row (id=1): EBOK serves one utility per installation."""

    legal_name = models.CharField(_("legal name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=60)
    nip = models.CharField(_("NIP"), max_length=10)
    regon = models.CharField(_("REGON"), max_length=14, blank=True)
    krs = models.CharField(_("KRS"), max_length=10, blank=True)
    street = models.CharField(_("street and number"), max_length=120)
    postal_code = models.CharField(_("postal code"), max_length=6)
    city = models.CharField(_("city"), max_length=80)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    office_phone = models.CharField(_("office phone"), max_length=30)
    office_hours = models.CharField(_("office hours"), max_length=200)
    bank_name = models.CharField(_("bank name"), max_length=100, blank=True)
    # Individual (virtual) account numbers are this prefix + the customer code, padded to the 24 digits of
    # an NRB's BBAN, with ISO 7064 check digits in front (billing-rules §8).
    bank_account_prefix = models.CharField(
        _("bank account prefix"),
        max_length=18,
        help_text=_("8-digit bank routing number and the utility's part"),
    )
    is_demo = models.BooleanField(_("demo data"), default=False)

    # Billing choices (billing-rules: every "(choice)" is here with its documented default).
    invoice_series_pattern = models.CharField(max_length=60, default="FV/{year}/{number:06d}")
    correction_series_pattern = models.CharField(max_length=60, default="KOR/{year}/{number:06d}")
    due_days = models.PositiveSmallIntegerField(default=14, validators=[MaxValueValidator(120)])
    meter_default_digits = models.PositiveSmallIntegerField(default=5)
    rollover_high = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("0.900"))
    rollover_low = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("0.100"))
    plausibility_factor = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("3.00"))
    plausibility_min_excess_m3 = models.DecimalField(max_digits=8, decimal_places=3, default=Decimal("5.000"))
    split_by_reading_on_change_date = models.BooleanField(default=False)
    subscription_months_places = models.PositiveSmallIntegerField(
        default=3, validators=[MaxValueValidator(3)]
    )
    allocate_to_named_invoice_first = models.BooleanField(default=True)
    default_flat_rate_norm_m3 = models.DecimalField(
        max_digits=6, decimal_places=3, default=Decimal("3.000"), validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = _("utility")
        verbose_name_plural = _("utility")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="company_single_row"),
            models.CheckConstraint(condition=Q(due_days__gte=0), name="company_due_days_nonnegative"),
            models.CheckConstraint(
                condition=Q(meter_default_digits__gte=3, meter_default_digits__lte=9),
                name="company_meter_digits_range",
            ),
        ]

    def __str__(self) -> str:
        return self.short_name

    def save(self, *args, **kwargs):
        self.id = 1
        super().save(*args, **kwargs)

    @property
    def address(self) -> str:
        return f"{self.street}, {self.postal_code} {self.city}"


class ReadingWindow(models.Model):
    """A period of the year in which the meter reader visits every point once (default: three a year)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="reading_windows")
    ordinal = models.PositiveSmallIntegerField()
    start_month = models.PositiveSmallIntegerField()
    start_day = models.PositiveSmallIntegerField(default=1)
    end_month = models.PositiveSmallIntegerField()
    end_day = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["company", "ordinal"], name="reading_window_unique_ordinal"),
            models.CheckConstraint(
                condition=Q(start_month__gte=1, start_month__lte=12, end_month__gte=1, end_month__lte=12),
                name="reading_window_months",
            ),
            models.CheckConstraint(
                condition=Q(start_day__gte=1, start_day__lte=31, end_day__gte=1, end_day__lte=31),
                name="reading_window_days",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ordinal}: {self.start_day:02d}.{self.start_month:02d}–{self.end_day:02d}.{self.end_month:02d}"
