"""Service points (addresses supplied with water/sewage), their meters, and the readers' routes."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Route(models.Model):
    """An ordered list of service points that one meter reader walks in a reading window."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ServicePoint(models.Model):
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="service_points"
    )
    tariff_group = models.ForeignKey("tariffs.TariffGroup", on_delete=models.PROTECT, related_name="+")
    street = models.CharField(_("street and number"), max_length=120)
    postal_code = models.CharField(_("postal code"), max_length=6)
    city = models.CharField(_("town or village"), max_length=80)
    has_water = models.BooleanField(_("water supply"), default=True)
    has_sewage = models.BooleanField(_("sewage collection"), default=True)
    residents = models.PositiveSmallIntegerField(_("residents"), default=1)
    flat_rate_norm_m3 = models.DecimalField(
        _("flat-rate norm, m³ per person per month"), max_digits=6, decimal_places=3, null=True, blank=True
    )
    # Where billing started in this system: the first invoice's period starts the day after.
    billed_until = models.DateField(_("opening date"))
    route = models.ForeignKey(Route, on_delete=models.SET_NULL, null=True, blank=True, related_name="points")
    route_order = models.PositiveIntegerField(_("order on the route"), default=0)
    reader_notes = models.CharField(_("notes for the meter reader"), max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["route", "route_order"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(has_water=True) | Q(has_sewage=True), name="point_has_a_service"
            ),
            models.CheckConstraint(
                condition=Q(flat_rate_norm_m3__isnull=True) | Q(flat_rate_norm_m3__gte=Decimal("0")),
                name="point_norm_nonnegative",
            ),
        ]

    def __str__(self) -> str:
        return self.address

    @property
    def address(self) -> str:
        return f"{self.street}, {self.postal_code} {self.city}"


class MeterRole(models.TextChoices):
    MAIN = "main", _("main meter")
    ADDITIONAL = "additional", _("additional (garden) meter")


class Meter(models.Model):
    service_point = models.ForeignKey(ServicePoint, on_delete=models.PROTECT, related_name="meters")
    serial_number = models.CharField(_("serial number"), max_length=40, unique=True)
    role = models.CharField(_("role"), max_length=12, choices=MeterRole.choices, default=MeterRole.MAIN)
    digits = models.PositiveSmallIntegerField(_("integer digits"), default=5)
    installed_on = models.DateField(_("installed on"))
    installation_reading = models.DecimalField(_("installation reading"), max_digits=12, decimal_places=3)
    removed_on = models.DateField(_("removed on"), null=True, blank=True)
    removal_reading = models.DecimalField(
        _("removal reading"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    verification_expires_on = models.DateField(_("legal verification expires"), null=True, blank=True)

    class Meta:
        ordering = ["service_point", "role", "installed_on"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=MeterRole.values), name="meter_role_valid"),
            models.CheckConstraint(condition=Q(digits__gte=3, digits__lte=9), name="meter_digits_range"),
            models.CheckConstraint(
                condition=Q(installation_reading__gte=0), name="meter_installation_nonnegative"
            ),
            models.CheckConstraint(
                condition=Q(removed_on__isnull=True, removal_reading__isnull=True)
                | Q(removed_on__isnull=False, removal_reading__isnull=False, removal_reading__gte=0),
                name="meter_removal_complete",
            ),
            models.CheckConstraint(
                condition=Q(removed_on__isnull=True) | Q(removed_on__gte=F("installed_on")),
                name="meter_removed_after_installed",
            ),
        ]

    def __str__(self) -> str:
        return self.serial_number

    @property
    def is_active(self) -> bool:
        return self.removed_on is None


class RouteAssignment(models.Model):
    """Which meter reader walks a route in one reading window of a year."""

    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="assignments")
    reader = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="route_assignments")
    year = models.PositiveSmallIntegerField()
    window = models.PositiveSmallIntegerField()  # ReadingWindow.ordinal
    assigned_at = models.DateTimeField()
    assigned_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["year", "window", "route"]
        constraints = [
            models.UniqueConstraint(fields=["route", "year", "window"], name="route_assignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.route} {self.year}/{self.window} → {self.reader_id}"
