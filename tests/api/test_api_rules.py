"""API rules: authentication, role permissions, customer scope, idempotency and the error format."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from ebok.billing.services import invoice_issue
from ebok.common.actor import SYSTEM
from ebok.integrations.models import ApiToken
from ebok.integrations.services import api_token_create, api_token_revoke
from ebok.payments.models import Payment
from ebok.readings.models import Source
from ebok.readings.services import reading_submit
from tests import factories
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice_of(cast, tariff, today):
    """An invoice for a customer of the cast ("customer_a_record" / "customer_b_record")."""

    def make(key):
        point = factories.make_point(cast[key], tariff.group, opening_date=dt.date(2025, 2, 28))
        meter = factories.make_meter(point, reading="0")
        reading_submit(actor=SYSTEM, meter=meter, value="5", date=dt.date(2025, 3, 31), source=Source.READER)
        return invoice_issue(actor=SYSTEM, service_point=point, up_to=dt.date(2025, 3, 31))

    return make


def test_request_without_a_valid_token_is_401_with_a_json_error(cast):
    for client in (ApiClient(None), ApiClient("ebok_not-a-token")):
        response = client.get("/invoices")
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"


def test_revoked_token_no_longer_works(cast):
    token, plain = api_token_create(actor=SYSTEM, user=cast["office_clerk"])
    assert ApiClient(plain).get("/invoices").status_code == 200

    api_token_revoke(actor=SYSTEM, token=token)

    assert ApiClient(plain).get("/invoices").status_code == 401


def test_create_api_token_command_prints_a_token_that_is_stored_only_hashed(cast):
    out = io.StringIO()
    call_command("create-api-token", "office_clerk", stdout=out)
    plain = out.getvalue().strip()

    assert plain.startswith("ebok_")
    assert not ApiToken.objects.filter(key_hash=plain).exists()
    assert ApiClient(plain).get("/customers").status_code == 200


def test_meter_reader_cannot_issue_corrections(api_as, invoice_of):
    invoice = invoice_of("customer_a_record")

    response = api_as("meter_reader").post(f"/invoices/{invoice.pk}/corrections", {"reason": "test"})

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_auditor_reads_everything_and_writes_nothing(api_as, invoice_of, cast):
    invoice = invoice_of("customer_a_record")
    auditor = api_as("auditor")

    assert auditor.get(f"/invoices/{invoice.pk}").status_code == 200
    assert auditor.get("/payments").status_code == 200
    code = cast["customer_a_record"].code
    assert (
        auditor.post(
            "/payments", {"customer_code": code, "amount": "1.00", "received_on": "2025-04-01"}
        ).status_code
        == 403
    )
    assert auditor.post(f"/invoices/{invoice.pk}/corrections", {"reason": "x"}).status_code == 403
    assert Payment.objects.count() == 0


def test_customer_token_cannot_see_another_customers_anything(api_as, invoice_of, cast):
    own = invoice_of("customer_a_record")
    other = invoice_of("customer_b_record")
    customer = api_as("customer_a")

    assert customer.get(f"/me/invoices/{own.pk}").status_code == 200
    assert customer.get(f"/me/invoices/{other.pk}").status_code == 404
    assert customer.get(f"/invoices/{other.pk}").status_code == 404
    assert customer.get(f"/customers/{cast['customer_b_record'].code}").status_code == 404
    assert customer.get(f"/me/balance/{cast['customer_b_record'].code}").status_code == 404
    assert [i["number"] for i in customer.get("/me/invoices").json()["items"]] == [own.number]
    other_meter = other.meter_readings.first().meter_id
    assert (
        customer.post(
            "/me/readings", {"meter_id": other_meter, "date": "2025-04-30", "value": "9"}
        ).status_code
        == 404
    )


def test_customer_session_reads_its_own_invoices(client, invoice_of, cast):
    own = invoice_of("customer_a_record")
    client.force_login(cast["customer_a"])

    response = client.get("/api/v1/me/invoices")

    assert response.status_code == 200
    assert [i["number"] for i in response.json()["items"]] == [own.number]


def test_same_idempotency_key_and_body_returns_the_first_response_and_creates_nothing(api_as, cast):
    api = api_as("office_clerk")
    body = {"customer_code": cast["customer_a_record"].code, "amount": "12.34", "received_on": "2025-04-01"}

    first = api.post("/payments", body, key="pay-1")
    second = api.post("/payments", body, key="pay-1")

    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1


def test_same_idempotency_key_with_another_body_is_a_conflict(api_as, cast):
    api = api_as("office_clerk")
    code = cast["customer_a_record"].code
    api.post(
        "/payments", {"customer_code": code, "amount": "12.34", "received_on": "2025-04-01"}, key="pay-2"
    )

    response = api.post(
        "/payments", {"customer_code": code, "amount": "99.99", "received_on": "2025-04-01"}, key="pay-2"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert Payment.objects.count() == 1


def test_refused_request_leaves_its_idempotency_key_free_for_the_corrected_retry(api_as, cast):
    api = api_as("office_clerk")
    code = cast["customer_a_record"].code

    assert (
        api.post(
            "/payments", {"customer_code": "999999", "amount": "1.00", "received_on": "2025-04-01"}, key="k"
        ).status_code
        == 404
    )
    assert (
        api.post(
            "/payments", {"customer_code": code, "amount": "1.00", "received_on": "2025-04-01"}, key="k"
        ).status_code
        == 201
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"customer_code": "12", "amount": "1.00", "received_on": "2025-04-01"}, "customer_code"),
        ({"amount": "abc", "received_on": "2025-04-01"}, "amount"),
        ({"amount": "-1.00", "received_on": "2025-04-01"}, "amount"),
        ({"amount": "1.00", "received_on": "yesterday"}, "received_on"),
    ],
)
def test_bad_input_is_422_with_field_errors(api_as, cast, body, field):
    response = api_as("office_clerk").post("/payments", body)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert any(key.endswith(field) for key in response.json()["fields"])


def test_malformed_json_is_a_client_error_not_a_server_error(cast):
    _token, plain = api_token_create(actor=SYSTEM, user=cast["office_clerk"])
    client = ApiClient(plain)

    response = client.client.post(
        "/api/v1/payments", "{not json", content_type="application/json", headers=client.headers
    )

    assert 400 <= response.status_code < 500


def test_reading_refused_by_the_rules_reports_the_reason(api_as, invoice_of):
    invoice = invoice_of("customer_a_record")
    meter_id = invoice.meter_readings.first().meter_id

    response = api_as("office_clerk").post(
        "/readings", {"meter_id": meter_id, "date": "2025-04-30", "value": "1"}
    )

    assert response.status_code == 201
    assert response.json()["reading"]["status"] == "refused"
    assert response.json()["reading"]["reason_code"] == "lower_than_previous"
    assert response.json()["invoice"] is None


def test_issuing_an_invoice_that_exists_returns_it_and_an_impossible_one_is_a_conflict(api_as, invoice_of):
    invoice = invoice_of("customer_a_record")
    api = api_as("office_clerk")

    again = api.post("/invoices", {"service_point_id": invoice.service_point_id, "up_to": "2025-03-31"})
    earlier = api.post("/invoices", {"service_point_id": invoice.service_point_id, "up_to": "2025-03-15"})

    assert again.json()["number"] == invoice.number
    assert earlier.status_code == 409
    assert earlier.json()["code"] == "already_billed"


def test_openapi_schema_is_served_and_documents_the_resources(client):
    schema = client.get("/api/v1/openapi.json").json()

    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/v1/customers",
        "/api/v1/readings",
        "/api/v1/invoices",
        "/api/v1/payments",
        "/api/v1/me/invoices",
    ):
        assert path in schema["paths"]


def test_invoice_pdf_and_ksef_xml_are_downloadable_by_staff_and_the_owner_only(api_as, invoice_of, settings):
    from pathlib import Path

    from ebok.common import clock

    settings.KSEF_SCHEMA_DIR = str(Path(__file__).resolve().parents[3] / "shared" / "data" / "ksef-fa3")
    with clock.frozen_at(dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC)):  # FA(3) exists from 1 September 2025
        own = invoice_of("customer_a_record")
        other = invoice_of("customer_b_record")
    clerk, customer = api_as("office_clerk"), api_as("customer_a")

    pdf = clerk.get(f"/invoices/{own.pk}/pdf")
    receipt = clerk.get(f"/invoices/{own.pk}/pdf", layout="receipt")
    xml = clerk.get(f"/invoices/{own.pk}/ksef.xml")

    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    assert pdf.content.startswith(b"%PDF") and receipt.content != pdf.content
    assert xml.status_code == 200, xml.json()
    assert b"<Faktura" in xml.content
    assert customer.get(f"/me/invoices/{own.pk}/pdf").content == pdf.content
    assert customer.get(f"/me/invoices/{other.pk}/pdf").status_code == 404
    assert customer.get(f"/invoices/{own.pk}/pdf").status_code == 404


def test_bank_statement_upload_imports_payments_once(api_as, cast):
    from django.core.files.uploadedfile import SimpleUploadedFile

    code = cast["customer_a_record"].code
    csv = f"date;amount;title\n2025-04-10;25,00;woda kod {code}\n2025-04-11;5,00;nieznany\n".encode()
    api = api_as("office_clerk")

    def upload(key):
        return api.client.post(
            "/api/v1/payments/statements",
            {"file": SimpleUploadedFile("s.csv", csv), "format": "csv"},
            headers=api.headers | ({"Idempotency-Key": key} if key else {}),
        )

    first = upload(None)
    again = upload(None)

    assert first.status_code == 201, first.json()
    assert (first.json()["imported"], first.json()["matched"], first.json()["unmatched"]) == (2, 1, 1)
    assert (again.json()["imported"], again.json()["already_imported"]) == (0, 2)
    assert Payment.objects.count() == 2
    assert (
        api_as("meter_reader")
        .client.post(
            "/api/v1/payments/statements",
            {"file": SimpleUploadedFile("s.csv", csv), "format": "csv"},
            headers=api_as("meter_reader").headers,
        )
        .status_code
        == 403
    )


def test_malformed_statement_upload_is_422_with_the_line(api_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    api = api_as("office_clerk")
    response = api.client.post(
        "/api/v1/payments/statements",
        {"file": SimpleUploadedFile("s.csv", b"date;amount;title\nx;1;y\n"), "format": "csv"},
        headers=api.headers,
    )

    assert response.status_code == 422
    assert response.json()["message"].startswith("line 2:")


@pytest.mark.parametrize("key", ["klucz-żółć", "a" * 201])
def test_unusable_idempotency_key_is_refused(api_as, cast, key):
    body = {"customer_code": cast["customer_a_record"].code, "amount": "1.00", "received_on": "2025-04-01"}

    response = api_as("office_clerk").post("/payments", body, key=key)

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_idempotency_key"
    assert Payment.objects.count() == 0


def test_a_refused_api_call_and_an_unknown_token_are_in_the_audit_trail(api_as, invoice_of, cast):
    from ebok.audit.models import AuditEntry
    from tests.api.conftest import ApiClient

    invoice = invoice_of("customer_a_record")
    api_as("meter_reader").post(f"/invoices/{invoice.pk}/corrections", {"reason": "test"})
    ApiClient("not-a-token").get("/customers")

    denied = AuditEntry.objects.get(action="access.denied")
    assert denied.actor == cast["meter_reader"] and denied.channel == "api"
    assert denied.data["permission"]
    failed = AuditEntry.objects.get(action="auth.failed")
    assert failed.actor is None and failed.data["api_token"] is True
