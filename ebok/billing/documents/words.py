"""An amount of money in Polish words, as invoices print it: "sto sześćdziesiąt dwa złote 17/100".

Polish numerals decline with the number: 1 złoty, 2–4 złote (but 12–14 złotych), 5+ złotych; the same for
thousands (tysiąc / tysiące / tysięcy), millions and billions. Written here rather than taken from a library so
that the grammar is tested next to the rule (tests/billing/test_documents_pdf.py).
"""

from __future__ import annotations

from decimal import Decimal

from ebok.common.money import grosze

_UNITS = ["", "jeden", "dwa", "trzy", "cztery", "pięć", "sześć", "siedem", "osiem", "dziewięć"]
_TEENS = [
    "dziesięć",
    "jedenaście",
    "dwanaście",
    "trzynaście",
    "czternaście",
    "piętnaście",
    "szesnaście",
    "siedemnaście",
    "osiemnaście",
    "dziewiętnaście",
]
_TENS = [
    "",
    "",
    "dwadzieścia",
    "trzydzieści",
    "czterdzieści",
    "pięćdziesiąt",
    "sześćdziesiąt",
    "siedemdziesiąt",
    "osiemdziesiąt",
    "dziewięćdziesiąt",
]
_HUNDREDS = [
    "",
    "sto",
    "dwieście",
    "trzysta",
    "czterysta",
    "pięćset",
    "sześćset",
    "siedemset",
    "osiemset",
    "dziewięćset",
]
# (one, few, many) for each power of a thousand; index 0 is the plain units group.
_SCALES = [
    None,
    ("tysiąc", "tysiące", "tysięcy"),
    ("milion", "miliony", "milionów"),
    ("miliard", "miliardy", "miliardów"),
    ("bilion", "biliony", "bilionów"),
]
ZLOTY = ("złoty", "złote", "złotych")
GROSZ = ("grosz", "grosze", "groszy")


def plural_form(n: int, forms: tuple[str, str, str]) -> str:
    """The noun form that goes with the number n: forms = (one, few, many), e.g. ("złoty", "złote", "złotych")."""
    if n == 1:
        return forms[0]
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return forms[1]
    return forms[2]


def _below_thousand(n: int) -> list[str]:
    words = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words.append(_HUNDREDS[hundreds])
    if 10 <= rest < 20:
        words.append(_TEENS[rest - 10])
    else:
        tens, units = divmod(rest, 10)
        if tens:
            words.append(_TENS[tens])
        if units:
            words.append(_UNITS[units])
    return words


def number_in_words(n: int) -> str:
    """A whole number ≥ 0 in Polish words (cardinal, masculine): 1001 → "tysiąc jeden"."""
    if n < 0:
        raise ValueError(f"number_in_words takes a non-negative number, not {n}")
    if n == 0:
        return "zero"
    groups = []
    while n:
        n, group = divmod(n, 1000)
        groups.append(group)
    if len(groups) > len(_SCALES):
        raise ValueError("number too large to write in words")
    words: list[str] = []
    for power in range(len(groups) - 1, -1, -1):
        group = groups[power]
        if not group:
            continue
        if power == 0:
            words += _below_thousand(group)
        elif group == 1:
            words.append(_SCALES[power][0])  # "tysiąc", not "jeden tysiąc"
        else:
            words += _below_thousand(group)
            words.append(plural_form(group, _SCALES[power]))
    return " ".join(words)


def amount_in_words(amount: Decimal, *, grosze_in_words: bool = False) -> str:
    """The absolute value of `amount` (PLN) in words: 162.17 → "sto sześćdziesiąt dwa złote 17/100".

    With grosze_in_words the grosze are written out too: "… złote siedemnaście groszy". The sign is left to the
    caller (a correction says "do zwrotu" next to the words rather than "minus").
    """
    zloty, gr = divmod(abs(grosze(amount)), 100)
    text = f"{number_in_words(zloty)} {plural_form(zloty, ZLOTY)}"
    if grosze_in_words:
        return f"{text} {number_in_words(gr)} {plural_form(gr, GROSZ)}"
    return f"{text} {gr:02d}/100"
