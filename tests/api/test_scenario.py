"""A whole utility scenario driven through the API only, ending in the hand-checked figures."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_tariff_change_scenario_through_the_api_gives_the_hand_checked_invoice(api_as, today):
    api = api_as("administrator")
    assert api.post("/tariff-groups", {"code": "G9", "name": "Test"}).status_code == 201
    for valid_from, water, sewage, fee in [
        ("2025-01-01", "6.00", "8.00", "15.00"),
        ("2025-03-01", "6.50", "9.00", "16.00"),
    ]:
        response = api.post(
            "/tariff-groups/G9/tariffs",
            {"valid_from": valid_from, "water_price": water, "sewage_price": sewage, "subscription_fee": fee},
        )
        assert response.status_code == 201, response.json()
    customer = api.post(
        "/customers",
        {
            "code": "300001",
            "name": "Ewa Zielińska",
            "street": "ul. Leśna 4",
            "postal_code": "26-065",
            "city": "Zawada",
            "email": "ewa@example.org",
        },
    )
    assert customer.status_code == 201, customer.json()
    assert customer.json()["bank_account"].endswith("300001")
    point = api.post(
        "/service-points",
        {
            "customer_code": "300001",
            "tariff_group": "G9",
            "street": "ul. Leśna 4",
            "postal_code": "26-065",
            "city": "Zawada",
            "opening_date": "2025-01-31",
            "residents": 10,
        },
    ).json()
    main = api.post(
        "/meters",
        {
            "service_point_id": point["id"],
            "serial_number": "API-MAIN",
            "installed_on": "2025-01-31",
            "installation_reading": "0",
        },
    ).json()
    garden = api.post(
        "/meters",
        {
            "service_point_id": point["id"],
            "serial_number": "API-GARDEN",
            "role": "additional",
            "installed_on": "2025-01-31",
            "installation_reading": "0",
        },
    ).json()

    first = api.post(
        "/readings", {"meter_id": main["id"], "date": "2025-03-31", "value": "59", "source": "reader"}
    )
    assert first.status_code == 201
    assert first.json()["reading"]["status"] == "accepted"
    assert first.json()["invoice_error"]["code"] == "missing_reading"  # the garden meter is not read yet
    second = api.post(
        "/readings", {"serial_number": "API-GARDEN", "date": "2025-03-31", "value": "10", "source": "reader"}
    ).json()
    invoice = second["invoice"]

    assert [(line["kind"], line["quantity"], line["net"]) for line in invoice["lines"]] == [
        ("water", "28.000", "168.00"),
        ("sewage", "23.254", "186.03"),
        ("subscription", "1.000", "15.00"),
        ("water", "31.000", "201.50"),
        ("sewage", "25.746", "231.71"),
        ("subscription", "1.000", "16.00"),
    ]
    assert (invoice["total_net"], invoice["total_vat"], invoice["total_gross"]) == (
        "818.24",
        "65.46",
        "883.70",
    )
    assert invoice["customer_code"] == "300001"
    assert api.get(f"/invoices/{invoice['id']}").json()["number"] == invoice["number"]
    assert garden["id"] in {m["id"] for m in api.get("/meters", service_point_id=point["id"]).json()["items"]}

    payment = api.post(
        "/payments",
        {
            "customer_code": "300001",
            "amount": "800.00",
            "received_on": "2025-04-10",
            "title": f"Faktura {invoice['number']}",
        },
    )
    assert payment.status_code == 201
    assert payment.json()["invoice_number"] == invoice["number"]
    balance = api.get("/customers/300001/balance").json()
    assert balance["balance"] == "83.70"
    assert balance["open_items"][0]["open"] == "83.70"
    ledger = api.get("/customers/300001/ledger").json()
    # booked by date: the payment (10 April) before the invoice issued today (30 June)
    assert [entry["amount"] for entry in ledger["items"]] == ["-800.00", "883.70"]
