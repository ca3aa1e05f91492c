"""Polish bank account numbers (NRB): check digits and the customers' individual (virtual) accounts."""

from __future__ import annotations

from stdnum import iban

NRB_LENGTH = 26
BBAN_LENGTH = 24


def is_valid_nrb(nrb: str) -> bool:
    """True iff `nrb` is 26 digits with valid ISO 7064 MOD 97-10 check digits (billing-rules §8)."""
    return len(nrb) == NRB_LENGTH and nrb.isdigit() and iban.is_valid("PL" + nrb)


def individual_account(prefix: str, customer_code: str) -> str:
    """The customer's virtual NRB: the utility's prefix, the code left-padded with zeros, check digits in front."""
    body_length = BBAN_LENGTH - len(prefix)
    if not prefix.isdigit() or not customer_code.isdigit() or len(customer_code) > body_length:
        raise ValueError(f"cannot build an account from prefix {prefix!r} and code {customer_code!r}")
    bban = prefix + customer_code.zfill(body_length)
    check = iban.calc_check_digits("PL00" + bban)  # stdnum ignores the placeholder digits
    return check + bban


def format_nrb(nrb: str) -> str:
    """26 digits grouped the way Polish invoices print them: 2 + 6 × 4."""
    return " ".join([nrb[:2]] + [nrb[i : i + 4] for i in range(2, NRB_LENGTH, 4)])
