"""The Polish catalogue is complete: no entry is untranslated or left fuzzy (Polish is the default language).

When this fails after adding strings: run the makemessages/compilemessages commands in the README and
translate the new entries.
"""

from __future__ import annotations

import re
from pathlib import Path

import ebok

PO = Path(ebok.__file__).parent / "locale" / "pl" / "LC_MESSAGES" / "django.po"


def entries() -> list[str]:
    text = PO.read_text(encoding="utf-8")
    blocks = [b for b in re.split(r"\n\s*\n", text) if "msgid" in b and not b.lstrip().startswith("#~")]
    return blocks[1:]  # the first block is the header


def test_no_polish_entry_is_fuzzy():
    fuzzy = [b for b in entries() if re.search(r"^#,.*\bfuzzy\b", b, re.M)]
    assert fuzzy == []


def test_every_polish_entry_is_translated():
    empty = [
        b
        for b in entries()
        if re.search(r'^msgstr(\[\d\])? ""\s*$', b, re.M)
        and not re.search(r'^msgstr(\[\d\])? ""\n"', b, re.M)
    ]
    assert empty == []
