"""`ebok bill --date YYYY-MM-DD`: invoice every accepted reading not yet invoiced up to that date.

Points are invoiced a batch at a time (`--chunk`, default 1000) by `ebok.billing.run.invoices_issue_batch`:
one transaction and a fixed number of statements per batch, the same invoices as `invoice_issue` would give
point by point. Should a batch fail with an unexpected error, its points are invoiced one by one so the
error is pinned to its point and the others go through.

Safe to kill and run again: a batch is committed whole or not at all, and invoicing is idempotent, so a
rerun picks up exactly where the killed run left off. Safe to run in several processes at once: points
whose rows another process has locked (it is invoicing them right now) are skipped rather than waited for,
and looked at again once the pass is over — by then that process has usually invoiced them.

The summary counts every candidate point once: issued (by this run); already issued (the invoice existed
when this run got to the point); taken by another process (it held the point, and had issued the invoice or
was still at it when this run looked again); skipped, per BillingError code (nothing written; the reason
is for staff to resolve); failed (an unexpected error: reported, the run goes on, and exits non-zero).
"""

from __future__ import annotations

import datetime as dt
import re
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

from ebok.billing.messages import BillingError
from ebok.billing.models import Invoice, InvoiceKind
from ebok.billing.run import invoices_issue_batch
from ebok.billing.selectors import points_to_bill
from ebok.billing.services import invoice_issue
from ebok.common.actor import CLI
from ebok.company.selectors import company_or_none
from ebok.metering.models import ServicePoint

DEFAULT_CHUNK = 1000
DATE_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2}")

ISSUED = "issued"
ALREADY_ISSUED = "already issued"
TAKEN = "taken by another process"
SKIPPED = "skipped"
FAILED = "failed"


@dataclass(slots=True)
class Tally:
    outcomes: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)  # BillingError code → points
    failed: Counter = field(default_factory=Counter)  # exception class → points


def parse_date(value: str) -> dt.date:
    if not DATE_FORMAT.fullmatch(value or ""):
        raise CommandError(f"--date must be a date in the form YYYY-MM-DD (e.g. 2025-06-30), not {value!r}.")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--date {value!r} is not a valid date: {error}.") from None


class Command(BaseCommand):
    help = (
        "Issue invoices for every accepted reading not yet invoiced up to --date. "
        "Safe to rerun after an interruption and safe to run in several processes at once."
    )
    requires_migrations_checks = True

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", required=True, help="bill readings dated up to this day (YYYY-MM-DD)")
        parser.add_argument(
            "--chunk",
            default=str(DEFAULT_CHUNK),
            help=f"service points fetched per query (default {DEFAULT_CHUNK})",
        )

    def handle(self, *args, **options) -> None:
        up_to = parse_date(options["date"])
        chunk = self._parse_chunk(options["chunk"])
        if company_or_none() is None:
            raise CommandError(
                "The utility is not set up yet (no company data): run `ebok demo` or use the admin."
            )
        self.verbosity = options["verbosity"]
        started = time.monotonic()
        tally = Tally()
        # Asked once: the search costs the same for a village and a city, once per run rather than per batch.
        # Points another process invoices meanwhile are found already issued when this run gets to them.
        candidates = list(points_to_bill(up_to).values_list("pk", "bill_to"))
        total = len(candidates)
        self.stdout.write(f"Billing readings up to {up_to.isoformat()}: {total} service points to invoice.")
        bar = tqdm(
            total=total, unit="point", file=self.stderr._out, disable=self.verbosity == 0, dynamic_ncols=True
        )
        interrupted = False
        try:
            taken: list[tuple[int, dt.date]] = []
            for i in range(0, total, chunk):
                taken += self._bill_batch(candidates[i : i + chunk], tally, bar)
            # Points another process held: by now it has usually invoiced them (counted as taken by it); if
            # it died half-way, its transaction was rolled back and they are invoiced here.
            for i in range(0, len(taken), chunk):
                self._bill_batch(taken[i : i + chunk], tally, bar, recheck=True)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            bar.close()
        self._summary(tally, time.monotonic() - started, interrupted=interrupted)
        if interrupted:
            raise CommandError(
                "Interrupted; nothing half-done was kept. Run the same command again to finish."
            )
        if tally.failed:
            raise CommandError(
                f"{sum(tally.failed.values())} service points failed with an unexpected error "
                "(see above); the others were billed. Fix the cause and run the command again."
            )

    def _parse_chunk(self, value: str) -> int:
        try:
            chunk = int(value)
        except (TypeError, ValueError):
            chunk = 0
        if chunk < 1:
            raise CommandError(f"--chunk must be a whole number of at least 1, not {value!r}.")
        return chunk

    def _bill_batch(
        self, rows: list[tuple[int, dt.date]], tally: Tally, bar: tqdm, *, recheck: bool = False
    ) -> list[tuple[int, dt.date]]:
        """Invoice a batch; returns the points another process held (on a recheck they are counted instead)."""
        try:
            result = invoices_issue_batch(actor=CLI, candidates=rows)
        except KeyboardInterrupt:
            raise
        except Exception as error:  # pin the error to its point: this batch, one point at a time
            if self.verbosity >= 2:
                bar.write(f"batch from point {rows[0][0]}: {type(error).__name__}: {error}; one by one")
            held = []
            for row in rows:
                if self._bill(*row, tally, bar, recheck=recheck) == TAKEN and not recheck:
                    held.append(row)
            return held
        tally.outcomes[ISSUED] += len(result.issued)
        # On a recheck, an invoice that exists now was issued by the process that held the point.
        tally.outcomes[TAKEN if recheck else ALREADY_ISSUED] += len(result.already_issued)
        tally.outcomes[SKIPPED] += len(result.skipped)
        for pk, error in result.skipped.items():
            tally.skipped[error.code] += 1
            if self.verbosity >= 2:
                bar.write(f"point {pk}: skipped ({error.code}): {error.message}", file=self.stderr._out)
        taken_ids = set(result.taken)
        held = [row for row in rows if row[0] in taken_ids]
        if recheck:  # still held: the other process is at it right now
            tally.outcomes[TAKEN] += len(held)
            held = []
        bar.update(len(rows) - len(held))
        bar.set_postfix({"issued": tally.outcomes[ISSUED], "skipped": tally.outcomes[SKIPPED]}, refresh=False)
        return held

    def _bill(self, pk: int, bill_to: dt.date, tally: Tally, bar: tqdm, *, recheck: bool) -> str:
        try:
            with transaction.atomic():
                # Lock the point without waiting: a row that is locked is being invoiced by another process.
                # (On SQLite this is a no-op; its IMMEDIATE transactions already let one writer in at a time.)
                locked = list(
                    ServicePoint.objects.select_for_update(skip_locked=True).filter(pk=pk).values_list("pk")
                )
                if not locked:
                    outcome = TAKEN
                elif Invoice.objects.filter(
                    service_point_id=pk, kind=InvoiceKind.INVOICE, period_end=bill_to
                ).exists():
                    outcome = ALREADY_ISSUED  # invoice_issue would return it unchanged
                else:
                    invoice_issue(actor=CLI, service_point=ServicePoint(pk=pk), up_to=bill_to)
                    outcome = ISSUED
        except BillingError as error:
            outcome = SKIPPED
            tally.skipped[error.code] += 1
            if self.verbosity >= 2:
                bar.write(f"point {pk}: skipped ({error.code}): {error.message}", file=self.stderr._out)
        except Exception as error:  # never stop the run for one point; report it and exit non-zero at the end
            outcome = FAILED
            tally.failed[type(error).__name__] += 1
            bar.write(f"point {pk}: FAILED: {type(error).__name__}: {error}", file=self.stderr._out)
            if self.verbosity >= 2:
                bar.write(traceback.format_exc(), file=self.stderr._out)
        if outcome == TAKEN and not recheck:
            return outcome  # counted when it is looked at again after the pass
        counted = TAKEN if recheck and outcome == ALREADY_ISSUED else outcome  # the other process issued it
        tally.outcomes[counted] += 1
        bar.update(1)
        if bar.n % 50 == 0:
            bar.set_postfix(
                {"issued": tally.outcomes[ISSUED], "skipped": tally.outcomes[SKIPPED]}, refresh=False
            )
        return outcome

    def _summary(self, tally: Tally, elapsed: float, *, interrupted: bool) -> None:
        out = tally.outcomes
        issued = out[ISSUED]
        rate = f" ({issued / elapsed:.1f} invoices/s)" if issued and elapsed > 0 else ""
        lines = [
            "Interrupted." if interrupted else "Done.",
            f"Issued: {issued}",
            f"Already issued: {out[ALREADY_ISSUED]}",
            f"Taken by another process: {out[TAKEN]}",
            f"Skipped: {out[SKIPPED]}",
        ]
        lines += [f"  {code}: {count}" for code, count in sorted(tally.skipped.items())]
        if tally.failed:
            lines.append(f"Failed: {out[FAILED]}")
            lines += [f"  {name}: {count}" for name, count in sorted(tally.failed.items())]
        lines.append(f"Elapsed: {elapsed:.1f} s{rate}")
        self.stdout.write("\n".join(lines))
