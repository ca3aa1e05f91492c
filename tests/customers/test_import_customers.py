"""`ebok import-customers`: all or nothing, with every rejected row reported."""

from __future__ import annotations

import io
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from ebok.customers.models import Customer
from ebok.metering.models import Meter, ServicePoint
from ebok.payments.selectors import balance_for_customer
from tests import factories

pytestmark = pytest.mark.django_db
SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "customers.csv"


@pytest.fixture
def groups(company):
    return factories.make_tariff_group("G1"), factories.make_tariff_group("G2", "Pozostali odbiorcy")


def test_sample_file_from_the_readme_imports_completely(groups):
    out = io.StringIO()
    call_command("import-customers", str(SAMPLE), stdout=out)

    assert "Imported 3 customers, 3 service points, 3 meters, 2 opening balances" in out.getvalue()
    katarzyna = Customer.objects.get(code="500001")
    assert katarzyna.bank_account.endswith("500001")
    assert {m.role for m in Meter.objects.filter(service_point__customer=katarzyna)} == {"main", "additional"}
    assert Meter.objects.get(serial_number="SEN-1001").installation_reading == D("1234.5")
    assert balance_for_customer(katarzyna) == D("120.50")
    assert balance_for_customer(Customer.objects.get(code="500002")) == D("-45.00")
    flat = ServicePoint.objects.get(customer__code="500003")
    assert (flat.meters.count(), flat.has_sewage) == (0, False)


def test_file_with_bad_rows_imports_nothing_and_reports_each_row(groups, tmp_path):
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    bad = [
        lines[0],
        lines[1],
        lines[2].replace("SEN-1002", "SEN-1001"),  # a meter serial used twice
        lines[3].replace("5261040828", "5261040829"),  # NIP with a wrong check digit
        lines[4].replace("2025-12-31", "31/12/2025"),  # not a date
        lines[4].replace("500003", "500004").replace(";G1;", ";X9;"),  # unknown tariff group
    ]
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(bad) + "\n", encoding="utf-8")
    err = io.StringIO()

    with pytest.raises(CommandError, match="4 rejected row"):
        call_command("import-customers", str(path), stderr=err)

    report = err.getvalue()
    assert "line 3: meter_serial: meter SEN-1001 already exists" in report
    assert "line 4: nip:" in report
    assert "line 5: opening_date: not a date" in report
    assert "line 6: tariff_group: no tariff group 'X9'" in report
    assert Customer.objects.count() == 0
    assert ServicePoint.objects.count() == Meter.objects.count() == 0


def test_file_with_missing_columns_is_refused(groups, tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("customer_code;name\n500001;Jan\n", encoding="utf-8")

    with pytest.raises(CommandError):
        call_command("import-customers", str(path), stderr=io.StringIO())
    assert Customer.objects.count() == 0


def test_importing_the_same_file_twice_refuses_the_second_time(groups):
    call_command("import-customers", str(SAMPLE), stdout=io.StringIO())
    err = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import-customers", str(SAMPLE), stderr=err)

    assert "customer 500001 already exists" in err.getvalue()
    assert Customer.objects.count() == 3
