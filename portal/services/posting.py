"""Posting, voiding and reassigning documents: the ledger and the balances, in one transaction.

Every change locks the POs it touches (SELECT … FOR UPDATE, in id order, so two postings never
deadlock), reads their balances, checks the rules, writes ledger entries and moves the balance
rows by the same amounts before committing: concurrent postings lose nothing, and
`flask integrity check` can prove the balances from the ledger at any time.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.orm.util import identity_key
from sqlalchemy.orm.attributes import set_committed_value

from portal.domain import budget, formatting
from portal.domain import contracts as contract_rules
from portal.domain.budget import Balance, Entry, LineCheck, PostingCheck
from portal.models import (Debtor, Delivery, Document, DocumentLine, JobOrder, LedgerEntry, POBalance, POLine,
                           POLineBalance, PurchaseOrder, po_line_bill_codes)
from portal.services import alerts, audit, forecasts, opportunity_status, typed_numbers
from portal.services.documents import (check_lines_visible, credit_left, drawn_by_line, invoiced_quantities,
                                      may_see_document, may_void, void_blocker)
from portal.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from portal.services.funding import Resolver
from portal.services.job_visibility import may_see
from portal.services.locks import locked

ZERO = Decimal("0")


@dataclass
class PostResult:
    check: PostingCheck
    posted: bool = False
    refused: bool = False
    needs_confirmation: bool = False
    overridden: bool = False
    alerts: list[str] = field(default_factory=list)
    number: str = ""  # the document's number, read before the commit (so saying it costs no reload)
    seen: str = ""  # the check's digest with the draft's version (PostingCheck.seen), for the check page to carry
    changed: bool = False  # a confirmation given on another check: the draft or its POs changed since


@dataclass
class FollowUps:
    """What many postings in one transaction (a CSV file's documents) leave to do once, at the end, instead of
    after each document: the POs they locked, each PO's balance before the first of them, and the POs whose
    Used moved. None of it changes a later document's check (the checks read the balance rows), so a file's
    preview, which is rolled back, never does it (`finish` is the import's)."""

    pos: dict[int, PurchaseOrder] = field(default_factory=dict)
    before: dict[int, Balance] = field(default_factory=dict)
    used: set[int] = field(default_factory=set)

    def add(self, pos: dict[int, PurchaseOrder], before: dict[int, Balance], entries: list[Entry]) -> None:
        """A posting's POs and balances before it (kept only where no earlier posting of the file touched the
        PO) and the POs its entries move Used on."""
        self.pos.update(pos)
        for po_id, balance in before.items():
            self.before.setdefault(po_id, balance)
        self.used.update(e.po_id for e in entries if e.bucket == "used" and e.amount and e.po_id)


def finish(session: Session, user, follow_ups: FollowUps, *, today: date | None = None) -> list[str]:
    """After the postings that gathered `follow_ups`, once for all of them: the stored forecasts of the POs
    whose Used moved, the alerts their thresholds crossed from before the first posting to after the last
    (each threshold fires once, as for one posting), and the POs' opportunities. Returns the alerts' subjects."""
    if not follow_ups.pos:
        return []
    forecasts.refresh(session, sorted(follow_ups.used), date.today(), known=follow_ups.pos)
    session.flush()
    fired = alerts.after_change(session, follow_ups.pos, follow_ups.before, today=today or date.today())
    _follow_opportunities(session, follow_ups.pos, today, user.id)
    return fired


def lock_pos(session: Session, po_ids) -> dict[int, PurchaseOrder]:
    """Lock the POs in id order (no deadlock between two postings) and return them fresh."""
    ids = sorted({i for i in po_ids if i})
    if not ids:
        return {}
    # the PO rows only: their balances are read next (balances_of), their lines, types and forecast when asked
    rows = session.scalars(select(PurchaseOrder).where(PurchaseOrder.id.in_(ids)).order_by(PurchaseOrder.id)
                           .options(lazyload(PurchaseOrder.lines), lazyload(PurchaseOrder.eligible),
                                    lazyload(PurchaseOrder.balance), lazyload(PurchaseOrder.forecast))
                           .with_for_update(of=PurchaseOrder).execution_options(populate_existing=True)).all()
    return {p.id: p for p in rows}


def balances_of(session: Session, pos: dict[int, PurchaseOrder]) -> tuple[dict[int, Balance], dict[int, Balance]]:
    """The POs' balances and their lines' balances as stored now, keyed by PO id and line id."""
    # the stored figures as rows, not tracked objects: read under the POs' locks, current for the check
    po_rows = {b.po_id: b for b in session.execute(
        select(POBalance.po_id, POBalance.used, POBalance.commitments, POBalance.estimates)
        .where(POBalance.po_id.in_(list(pos))))}
    balances = {i: Balance.of(p.amount, po_rows.get(i)) for i, p in pos.items()}
    lines = {}
    masters = [i for i, p in pos.items() if p.is_master]  # only a master PO's lines hold budgets
    for line, b in session.execute(select(POLine, POLineBalance).outerjoin(POLineBalance, POLineBalance.po_line_id == POLine.id)
                                   .where(POLine.po_id.in_(masters)).execution_options(populate_existing=True)) if masters else ():
        lines[line.id] = Balance.of(line.budget, b, f"PO {pos[line.po_id].number} line {line.line_no} "
                                                    f"({line.secondary_po_number})")
    return balances, lines


def write_entries(session: Session, doc: Document, entries: list[Entry], event: str, actor_id: int | None,
                  bill_codes: dict[int, int], documents_of: dict[int, int] | None = None, *,
                  locked: dict[int, PurchaseOrder], refresh_forecasts: bool = True) -> None:
    """Insert ledger rows and move the PO and master-line balance rows by the same sums
    (`documents_of`: the document of each line when they are not all `doc`'s; `locked`: the POs
    `lock_pos` returned for this change; `refresh_forecasts` False: the caller stores the forecasts of
    the POs whose Used moved itself, once for many postings: `FollowUps`)."""
    entries = [e for e in entries if e.amount]
    if not entries:
        return
    session.flush()  # the ORM's pending changes first (the lines a reassignment moves), as an ORM insert would
    session.execute(_LEDGER_ROWS, {
        "at": datetime.now(timezone.utc), "event": event, "actor": actor_id,
        "documents": [(documents_of or {}).get(e.line, doc.id) for e in entries], "lines": [e.line for e in entries],
        "pos": [e.po_id for e in entries], "po_lines": [e.po_line_id for e in entries],
        "codes": [bill_codes[e.line] for e in entries], "buckets": [e.bucket for e in entries],
        "amounts": [e.amount for e in entries]})
    column = {"used": "used", "commitment": "commitments", "estimate": "estimates"}
    per_po: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    per_line: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for e in entries:
        per_po[e.po_id][column[e.bucket]] += e.amount
        if e.po_line_id:
            per_line[e.po_line_id][column[e.bucket]] += e.amount
    _add_to_balances(session, POBalance, per_po)
    _add_to_balances(session, POLineBalance, per_line)
    # the stored forecasts the PO lists filter on follow the postings that move Used
    if refresh_forecasts:
        forecasts.refresh(session, [po_id for po_id, sums in per_po.items() if "used" in sums], date.today(),
                          known=locked)


def _adding_to(table: str, key: str):
    """One UPDATE adding each row's sums to its balance row, whatever the number of rows (`table` and
    `key` are this module's constants below, never input)."""
    return text(f"""
        UPDATE {table} AS b
           SET used = b.used + s.used, commitments = b.commitments + s.commitments, estimates = b.estimates + s.estimates
          FROM unnest(CAST(:keys AS integer[]), CAST(:used AS numeric[]), CAST(:commitments AS numeric[]),
                      CAST(:estimates AS numeric[])) AS s (row_key, used, commitments, estimates)
         WHERE b.{key} = s.row_key""")


# One statement for all of a change's ledger rows and one per balance table, each a single text whatever
# the number of rows (compiled once, kept prepared by the connection): the ledger's statement triggers
# (day, document and bill code totals) then run once per posting, not once per row.
_LEDGER_ROWS = text("""
    INSERT INTO ledger_entries (at, document_id, document_line_id, po_id, po_line_id, bill_code_id, bucket, amount,
                                event, actor_id)
    SELECT CAST(:at AS timestamptz), e.document_id, e.line_id, e.po_id, e.po_line_id, e.bill_code_id, e.bucket,
           e.amount, CAST(:event AS varchar), CAST(:actor AS integer)
      FROM unnest(CAST(:documents AS integer[]), CAST(:lines AS integer[]), CAST(:pos AS integer[]),
                  CAST(:po_lines AS integer[]), CAST(:codes AS integer[]), CAST(:buckets AS varchar[]),
                  CAST(:amounts AS numeric[])) WITH ORDINALITY
           AS e (document_id, line_id, po_id, po_line_id, bill_code_id, bucket, amount, n)
     ORDER BY e.n""")
_ADD_TO = {POBalance: _adding_to("po_balances", "po_id"), POLineBalance: _adding_to("po_line_balances", "po_line_id")}


def _add_to_balances(session: Session, model, sums: dict[int, dict[str, Decimal]]) -> None:
    """Add each row's sums to its balance row (keyed by its primary key) in one UPDATE. Every
    caller holds the rows' POs locked (lock_pos, in id order), so two changes never wait on each other's
    balance rows; the rows this session holds are expired, so reading them again sees the new figures."""
    if not sums:
        return
    keys = sorted(sums)
    session.execute(_ADD_TO[model], {"keys": keys, **{c: [sums[k].get(c, ZERO) for k in keys]
                                                      for c in ("used", "commitments", "estimates")}})
    # looked up by key: walking the whole identity map made a file of 1,000 documents, posted in one
    # transaction, walk its 2,000 documents and lines 1,000 times (2.8 of its 43 s under the profiler)
    for key in keys:
        if (row := session.identity_map.get(identity_key(model, key))) is not None:
            session.expire(row)


# one statement text whatever the number of lines (compiled once, and kept prepared by the connection)
_FUND_LINES = text("""
    UPDATE document_lines AS l
       SET po_id = f.po_id, po_line_id = f.po_line_id, po_number = f.po_number,
           changed_at = :now, changed_by_id = :who, row_version = l.row_version + 1
      FROM unnest(CAST(:ids AS integer[]), CAST(:po_ids AS integer[]), CAST(:po_line_ids AS integer[]),
                  CAST(:numbers AS varchar[])) AS f (id, po_id, po_line_id, po_number)
     WHERE l.id = f.id""")


def record_funding(session: Session, funded: list[tuple[DocumentLine, int | None, int | None, str | None]]) -> None:
    """Save the PO, master line and number each line resolved to in one UPDATE whatever the number of
    lines (so the lines' spend trigger runs once, not once per line), with the history rows the audit
    listener writes for a changed record; the lines the session holds take the new values as saved."""
    changed = []
    for line, po_id, po_line_id, number in funded:
        new = {"po_id": po_id, "po_line_id": po_line_id, "po_number": number}
        if diff := {key: [getattr(line, key), value] for key, value in new.items() if getattr(line, key) != value}:
            changed.append((line, new, diff))
    if not changed:
        return
    who, now = audit.actor_id(session), datetime.now(timezone.utc)
    session.execute(_FUND_LINES, {
        "ids": [line.id for line, _, _ in changed], "po_ids": [new["po_id"] for _, new, _ in changed],
        "po_line_ids": [new["po_line_id"] for _, new, _ in changed],
        "numbers": [new["po_number"] for _, new, _ in changed], "now": now, "who": who})
    audit.insert_rows(session, [{
        "actor_id": who, "entity_type": DocumentLine.__tablename__, "entity_id": line.id, "scope_type": "documents",
        "scope_id": line.document_id, "action": "update", "summary": str(line)[:300],
        "changes": {key: [audit.to_json(old), audit.to_json(value)] for key, (old, value) in diff.items()},
        "reason": session.info.get(audit.REASON_KEY)} for line, _, diff in changed])
    for line, new, _ in changed:
        for key, value in (new | {"changed_at": now, "changed_by_id": who, "row_version": line.row_version + 1}).items():
            set_committed_value(line, key, value)


def _source_lines(session: Session, doc: Document) -> dict[int, DocumentLine]:
    """The lines `doc`'s lines come from (an order's lines an invoice releases, the invoice lines a credit
    memo takes back), read after locking their documents in id order, and read fresh: what an order line
    still commits and which PO an invoice line draws on are then as the last change to them left them.
    Without the lock two invoices made from one order, posted at once, each released the order's whole
    commitment, and a credit memo posted while its invoice line moved landed on the old PO. Every change
    locks documents before POs (this document, then its sources, then the POs), so none deadlocks another."""
    ids = sorted({l.source_line_id for l in doc.lines if l.source_line_id})
    if not ids:
        return {}
    documents = sorted(set(session.scalars(select(DocumentLine.document_id).where(DocumentLine.id.in_(ids)))))
    session.scalars(select(Document).where(Document.id.in_(documents)).order_by(Document.id)
                    .with_for_update(of=Document).execution_options(populate_existing=True)).all()
    return {l.id: l for l in session.scalars(select(DocumentLine).where(DocumentLine.id.in_(ids))
                                             .execution_options(populate_existing=True))}


def post(session: Session, user, doc_id: int, *, confirmed: bool = False, override: bool = False,
         today: date | None = None, commit: bool = True, check_only: bool = False,
         seen: str | None = None, opportunities: bool = True, resolver: Resolver | None = None,
         follow_ups: FollowUps | None = None) -> PostResult:
    """Post a draft: resolve each line's PO, show every warning first, then (after confirmation)
    write the ledger and balances. Under the block policy a refusal stands unless the user has
    po_override_budget and asks to override (audited). `check_only`: the warnings, nothing written.
    `seen`: the digest of the check the user confirmed (a check page's); a confirmation or override given
    on another check (the draft edited since, or its POs drawn on) counts for nothing, and the user is
    asked again. `opportunities`: the POs' opportunities follow (False: a contract's own order, whose contract
    brings its opportunity in line itself, after its note). Many postings in one transaction (a CSV file):
    `resolver`, one built for the debtor with every job and named PO of all their lines (its POs, assignments
    and eligible types read once, not once per document); `follow_ups`, where the forecasts, alerts and
    opportunities are gathered for `finish`, once, instead of done after each document."""
    audit.acting(session, user)
    doc = locked(session, Document, doc_id)
    if doc is None or not may_see_document(user, doc):  # before its status: that would name another branch's
        session.rollback()
        raise NotFound("No such document.")
    if doc.status != "draft":
        session.rollback()
        raise Conflict(f"{doc.number} is already {doc.status}.")
    sources = _source_lines(session, doc)  # their documents locked: before any PO (see _source_lines)
    job_ids = {l.job_id for l in doc.lines if l.job_id}
    # one query for the lines' jobs (the lines' lazy loads then find them loaded); their bill codes come joined
    jobs = {j.id: j for j in session.scalars(select(JobOrder).where(JobOrder.id.in_(job_ids)).options(
        lazyload(JobOrder.debtor), lazyload(JobOrder.branch)))} if job_ids else {}  # their columns only
    if not all(may_see(user, line.job) for line in doc.lines):  # its warnings would name those jobs
        session.rollback()
        check_lines_visible(user, doc.lines)
    doc_type, debtor = doc.document_type, session.get(Debtor, doc.debtor_id)
    if resolver is None or resolver.debtor_id != doc.debtor_id:
        resolver = Resolver(session, doc.debtor_id, job_ids=job_ids,
                            explicit_po_ids={l.po_id for l in doc.lines if l.explicit_po and l.po_id})
    funded: list[tuple[DocumentLine, int | None, int | None, str | None, bool, bool]] = []
    on_job: set[int] = set()  # the lines carrying their job's on-the-fly PO number
    for line in doc.lines:
        day = line.service_date or doc.doc_date
        if doc_type.is_credit_memo and line.source_line_id in sources:
            src = sources[line.source_line_id]  # reverses against the original invoice line's PO and line
            funded.append((line, src.po_id, src.po_line_id, src.po_number, True, True))
            continue
        f = resolver.resolve(type_id=doc_type.id, bill_code_id=line.bill_code_id, day=day, job=jobs.get(line.job_id),
                             explicit_po_id=line.po_id if line.explicit_po else None)
        if f.po_id is None and f.po_number:
            on_job.add(line.id)
        funded.append((line, f.po_id, f.po_line_id, f.po_number or doc.po_number, f.eligible, f.covered))
    releases: dict[int, Decimal] = defaultdict(Decimal)
    line_releases: dict[int, Decimal] = defaultdict(Decimal)
    release_entries: list[Entry] = []
    taken_before: dict[int, Decimal] = {}  # the order lines' quantities invoiced before this invoice
    invoiced: list[tuple[DocumentLine, DocumentLine, Decimal, Decimal]] = []  # (line, order line, taken, released)
    if doc_type.is_invoice:
        ordered = [s.id for s in sources.values() if s.document.document_type.is_order]
        drawn, taken = drawn_by_line(session, ordered), invoiced_quantities(session, ordered)
        taken_before = dict(taken)
        for line in doc.lines:
            src = sources.get(line.source_line_id)
            if src is None or not src.document.document_type.is_order or not src.po_id:
                continue
            taken[src.id] = taken.get(src.id, ZERO) + line.quantity  # this invoice's lines too, in order
            amount = budget.release(drawn.get(src.id, {}).get("commitment", ZERO), line.amount,
                                    completes=taken[src.id] >= src.quantity)
            drawn.setdefault(src.id, {})["commitment"] = drawn.get(src.id, {}).get("commitment", ZERO) - amount
            invoiced.append((line, src, taken[src.id], amount))
            if amount:
                releases[src.po_id] += amount
                if src.po_line_id:
                    line_releases[src.po_line_id] += amount
                release_entries.append(Entry(src.id, src.po_id, src.po_line_id, "commitment", -amount))
    wanted = {f[1] for f in funded if f[1]} | set(releases)
    if follow_ups is None:
        pos = lock_pos(session, wanted)
    else:  # an earlier document of the file locked (and read) these POs already, in this transaction
        held = {i: follow_ups.pos[i] for i in wanted if i in follow_ups.pos}
        pos = held | lock_pos(session, wanted - set(held))
    balances, line_balances = balances_of(session, pos)
    # the numbers typed on the fly that name one of the debtor's POs (typed before it existed): they draw on none
    named = {} if doc_type.is_credit_memo else typed_numbers.pos_named(
        session, doc.debtor_id, {f[3] for f in funded if f[1] is None and f[3]})
    checks = [LineCheck(po_id, number, po_line_id, line.amount, line.service_date or doc.doc_date,
                        pos[po_id].effective if po_id else None, pos[po_id].expiration if po_id else None,
                        eligible, covered, line.bill_code.code, named=line.explicit_po,
                        typed_po=named[number][0] if po_id is None and number in named else None,
                        typed_on_job=line.id in on_job, **_job_dates(jobs.get(line.job_id)))
              for line, po_id, po_line_id, number, eligible, covered in funded]
    check = budget.evaluate(checks, balances, line_balances, bucket=doc_type.bucket, sign=doc_type.sign,
                            policy=debtor.over_budget_policy, enforce_pos=debtor.enforce_purchase_orders,
                            tolerances={i: p.tolerance_pct for i, p in pos.items()}, releases=releases,
                            line_releases=line_releases, type_name=doc_type.name)
    if doc_type.is_credit_memo:
        _credit_floor(session, doc, sources, check)
    if doc_type.is_invoice and sources:
        _invoiced_orders(session, doc, sources, [(f[1], f[3]) for f in funded], taken_before, check)
    result = PostResult(check, number=doc.number, seen=check.seen(doc.row_version))
    if seen is not None and seen != result.seen and (confirmed or override):
        confirmed = override = False
        result.changed = True
    if check.forbidden or check.blocked and not (override and user.can("po_override_budget")):
        session.rollback()
        result.refused = True
        return result
    if check_only or check.warnings and not confirmed:
        session.rollback()
        result.needs_confirmation = True
        return result
    entries = budget.posting_entries([(l.id, po_id, po_line_id, l.amount) for l, po_id, po_line_id, *_ in funded],
                                     doc_type.bucket, doc_type.sign) + release_entries
    codes = {l.id: l.bill_code_id for l in doc.lines} | {s.id: s.bill_code_id for s in sources.values()}
    record_funding(session, [(line, po_id, po_line_id, number) for line, po_id, po_line_id, number, *_ in funded])
    write_entries(session, doc, entries, "post", user.id, codes, locked=pos, refresh_forecasts=follow_ups is None)
    doc.status, doc.posted_at, doc.posted_by_id = "posted", datetime.now(timezone.utc), user.id
    if check.blocked:
        doc.override_used = result.overridden = True
        why = ("Posted past a blocked PO budget (po_override_budget): "
               + " ".join(w.message for w in check.warnings if w.blocks))[:1000]
        audit.acting(session, user, reason=why)
        # the PO's own history shows the override too, not only the document's
        audit.insert_rows(session, [{
            "actor_id": user.id, "entity_type": "purchase_orders", "entity_id": po_id, "scope_type": None,
            "scope_id": None, "action": "override", "changes": {}, "reason": why,
            "summary": f"{doc_type.name} {doc.number} posted past the blocked budget"}
            for po_id in sorted({f[1] for f in funded if f[1]} | {i for _, ids in named.values() for i in ids})])
    session.flush()
    if follow_ups is None:
        result.alerts = alerts.after_change(session, pos, balances, today=today or date.today())
    else:
        follow_ups.add(pos, balances, entries)
    if doc_type.is_credit_memo:  # before the opportunities follow: the note says why the balance moved
        opportunity_status.note_credits(session, doc.id, pos, today or date.today(), user.id)
    if invoiced:  # as a credit's: an invoice billing other than its orders moves the contracts' opportunities
        _note_invoiced(session, doc, invoiced, {f[0].id: (f[1], f[3]) for f in funded}, pos, today, user.id)
    if opportunities and follow_ups is None:
        _follow_opportunities(session, pos, today, user.id)
    if commit:
        session.commit()
    else:
        session.flush()
    result.posted = True
    return result


def _job_dates(job: JobOrder | None) -> dict:
    """What the posting check reads of a line's job: its number and discontinued date (lines past it warn)."""
    return {"job_number": job.number, "discontinued": job.discontinued_date} if job is not None else {}


def _follow_opportunities(session: Session, pos: dict[int, PurchaseOrder], today: date | None, user_id: int) -> None:
    """The POs' opportunities (seed 000) follow what this change moved (opportunity_status.follow_postings)."""
    opportunity_status.follow_postings(session, pos, today or date.today(), user_id)


def _note_invoiced(session: Session, doc: Document,
                   invoiced: list[tuple[DocumentLine, DocumentLine, Decimal, Decimal]],
                   drawn_on: dict[int, tuple[int | None, str | None]], pos: dict[int, PurchaseOrder],
                   today: date | None, user_id: int) -> None:
    """The contracts' notes for an invoice's lines made from orders (opportunity_status.note_invoiced): each line
    with its order line, the quantity invoiced from it so far, what it released and the PO it draws on."""
    lines = [contract_rules.InvoicedLine(doc.number, src.document.number, src.line_no, *drawn_on[line.id], src.po_id,
                                         src.quantity, taken, src.rate, line.rate, line.amount, released)
             for line, src, taken, released in invoiced]
    opportunity_status.note_invoiced(session, lines, [src.id for _, src, _, _ in invoiced], pos,
                                     today or date.today(), user_id)


def _credit_floor(session: Session, doc: Document, sources: dict[int, DocumentLine], check: PostingCheck) -> None:
    """A credit memo only takes back what its invoice lines drew: every line credits a line of a posted
    invoice of the debtor, by a positive amount, and no line's credits pass its amount. Refused outright
    (no override): a credit past what was drawn would add to Used or take it below zero."""
    # the invoices are locked (_source_lines): two credit memos of one invoice post one after the other
    credited = defaultdict(Decimal)
    for n, line in enumerate(doc.lines, start=1):
        src = sources.get(line.source_line_id)
        if (src is None or src.document.status != "posted" or not src.document.document_type.is_invoice
                or src.document.debtor_id != doc.debtor_id):
            check.warnings.append(budget.Warning(
                "credit_source", f"Line {n}: a credit memo line must take back a line of a posted invoice of "
                                 "this debtor.", True, True))
        elif line.amount <= 0:
            check.warnings.append(budget.Warning(
                "credit_sign", f"Line {n}: a credit memo line takes back a positive amount.", True, True))
        elif (line.job_id, line.bill_code_id) != (src.job_id, src.bill_code_id):
            # reversed under another bill code, the PO's spend by bill code would go below zero under it
            check.warnings.append(budget.Warning(
                "credit_line", f"Line {n}: a credit memo line keeps the job and bill code of the invoice line it "
                               f"takes back (line {src.line_no}).", True, True))
        else:
            credited[src.id] += line.amount
    left = credit_left(session, credited, except_doc_id=doc.id)
    for src_id, amount in credited.items():
        if amount > left.get(src_id, ZERO):
            check.warnings.append(budget.Warning(
                "credit_floor", f"The credit of {formatting.money(amount)} is more than the {formatting.money(left.get(src_id, ZERO))} "
                                f"left on invoice line {sources[src_id].line_no}.", True, True))


def _invoiced_orders(session: Session, doc: Document, sources: dict[int, DocumentLine],
                     funded: list[tuple[int | None, str | None]], taken: dict[int, Decimal],
                     check: PostingCheck) -> None:
    """An invoice's lines made from orders: refused when the order was voided, or the line's delivery
    cancelled, since the draft was made (its commitment went back: posting would draw the work again, and
    take it off the contract's opportunity); a warning when the line draws on another PO number than the
    order's, whose commitment it releases all the same, and when the order's invoices would then take more
    than it ordered (two drafts of the whole order, both posted: the second released nothing), or bills a line at
    another rate than the order's (the difference is Used no commitment covered). `taken`: the
    order lines' quantities invoiced before this invoice (changed here)."""
    ids = [s.id for s in sources.values() if s.document.document_type.is_order]
    cancelled = set(session.scalars(select(LedgerEntry.document_line_id).where(
        LedgerEntry.document_line_id.in_(ids), LedgerEntry.event == "void").distinct())) if ids else set()
    # a delivery cancelled once its invoices were credited in full voided nothing (nothing was committed)
    cancelled |= set(session.scalars(select(Delivery.document_line_id).where(
        Delivery.document_line_id.in_(ids), Delivery.cancelled_on.is_not(None)))) if ids else set()
    for n, (line, (po_id, number)) in enumerate(zip(doc.lines, funded), start=1):
        src = sources.get(line.source_line_id)
        if src is None or not src.document.document_type.is_order:
            continue
        if src.document.status != "posted" or src.id in cancelled:
            gone = "is void" if src.document.status != "posted" else "was cancelled"
            check.warnings.append(budget.Warning(
                "source_gone", f"Line {n}: made from {src.document.number} line {src.line_no}, which {gone}: "
                               "make the invoice again, without it.", True, True))
            continue
        if src.po_id and number != src.po_number:
            check.warnings.append(budget.Warning(
                "source_po", f"Line {n}: made from {src.document.number} on PO {src.po_number}, it draws on "
                             f"{'PO ' + number if po_id else 'no PO'}; the order's commitment on PO "
                             f"{src.po_number} is released all the same."))
        if line.rate != src.rate:  # the order's commitment is released at its rate: the difference is new Used
            check.warnings.append(budget.Warning(
                "source_rate", f"Line {n}: made from {src.document.number} line {src.line_no} at "
                               f"{formatting.rate(src.rate)}, it bills {formatting.rate(line.rate)}; the PO's "
                               "Used moves by the difference (and so does a contract's opportunity)."))
        taken[src.id] = taken.get(src.id, ZERO) + line.quantity
        if taken[src.id] > src.quantity:
            check.warnings.append(budget.Warning(
                "over_ordered", f"Line {n}: {src.document.number} line {src.line_no} ordered "
                                f"{formatting.quantity(src.quantity)}; with this invoice "
                                f"{formatting.quantity(taken[src.id])} are invoiced from it (what is over the order "
                                "releases nothing)."))


def void(session: Session, user, doc_id: int, *, today: date | None = None) -> None:
    """Void an open estimate or order, taking back exactly what it still draws. Posted invoices
    are never voided: credit them with a credit memo. A user limited to branches may not void a
    document holding lines on other branches' jobs (as they may not post or edit it)."""
    audit.acting(session, user)
    doc = locked(session, Document, doc_id)
    if doc is None:
        raise NotFound("No such document.")
    if not all(may_see(user, line.job) for line in doc.lines):  # as post: the lock given back, then Forbidden
        session.rollback()
        check_lines_visible(user, doc.lines)
    if not may_void(doc):
        session.rollback()
        raise Conflict(f"Only open (posted) estimates and orders can be voided; {doc.number} is "
                       f"{doc.status if doc.status != 'posted' else 'an invoice or credit memo: credit it instead'}.")
    if blocker := void_blocker(session, doc):
        session.rollback()
        raise Conflict(blocker)
    rows = session.scalars(select(LedgerEntry).where(LedgerEntry.document_line_id.in_([l.id for l in doc.lines]))).all()
    entries = budget.reversal([Entry(r.document_line_id, r.po_id, r.po_line_id, r.bucket, r.amount) for r in rows])
    pos = lock_pos(session, [e.po_id for e in entries])
    balances, _ = balances_of(session, pos)
    write_entries(session, doc, entries, "void", user.id, {l.id: l.bill_code_id for l in doc.lines}, locked=pos)
    doc.status, doc.voided_at = "void", datetime.now(timezone.utc)
    session.flush()
    alerts.after_change(session, pos, balances, today=today or date.today())
    _follow_opportunities(session, pos, today, user.id)
    session.commit()


@dataclass
class ReassignResult:
    check: PostingCheck
    moved: int = 0
    refused: bool = False
    needs_confirmation: bool = False
    overridden: bool = False
    alerts: list[str] = field(default_factory=list)
    seen: str = ""  # the check's digest (PostingCheck.seen), for the check page to carry
    changed: bool = False  # a confirmation given on another check: the POs changed since


def reassign(session: Session, user, doc_id: int, line_ids: list[int], po_id: int, po_line_id: int | None, *,
             reason: str, confirmed: bool = False, override: bool = False,
             today: date | None = None, check_only: bool = False, commit: bool = True,
             seen: str | None = None) -> ReassignResult:
    """Move posted invoice lines (or lines that had no PO) to another PO or master line of the same
    debtor; the consumption moves with them, the credit memos posted against them included (seed 003's
    Purchase Order Assign Invoiced Item). The target gets posting's checks: it must be eligible for the
    invoice's type and (master) its line must hold the bill code; dates, tolerance and "over the PO"
    warn first; the block policy refuses unless the user holds po_override_budget and overrides (audited).
    `seen`: as for `post`, the check the user confirmed."""
    if not user.can("po_assign_invoiced_item"):
        raise Forbidden("Assigning items on a posted invoice needs 'Assign / reassign items on a posted invoice'.")
    if not user.can("documents", "view"):  # the check page shows the invoice's lines; the move changes them
        raise Forbidden("Reassigning an invoice's lines needs permission to view documents.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": ["Say why the lines move (kept in the history)."]})
    audit.acting(session, user, reason=reason[:1000])
    doc = locked(session, Document, doc_id)
    if doc is None:
        raise NotFound("No such document.")
    if not all(may_see(user, line.job) for line in doc.lines):  # as post and void: not a document of theirs
        session.rollback()
        check_lines_visible(user, doc.lines)
    refuse = lambda field_, message: (session.rollback(), ValidationFailed({field_: [message]}))[1]  # noqa: E731
    if not doc.lines_reassignable:
        raise refuse("", "Only lines of a posted invoice can be reassigned.")
    target = session.get(PurchaseOrder, po_id)
    if target is None or target.debtor_id != doc.debtor_id:
        raise refuse("po_id", "Choose one of this debtor's purchase orders.")
    if doc.document_type_id not in {e.document_type_id for e in target.eligible}:
        raise refuse("po_id", f"PO {target.number} is not eligible for {doc.document_type.name}: choose a PO "
                              "eligible for this document type.")
    if target.kind == "multi_line_master" and po_line_id not in {l.id for l in target.lines}:
        raise refuse("po_line_id", "Choose a line of that master PO.")
    lines = [l for l in doc.lines if l.id in set(line_ids) and may_see(user, l.job)]
    if not lines or len(lines) != len(set(line_ids)):
        raise refuse("lines", "Choose lines of this invoice.")
    destination: dict[int, int | None] = {}
    covered: dict[int, bool] = {}
    if target.kind == "multi_line_master":
        on_any = {code: line_id for line_id, code in session.execute(
            select(po_line_bill_codes.c.po_line_id, po_line_bill_codes.c.bill_code_id)
            .where(po_line_bill_codes.c.po_id == target.id))}
        codes = {code for code, line_id in on_any.items() if line_id == po_line_id}
        for line in lines:
            if line.bill_code_id in codes:
                destination[line.id], covered[line.id] = po_line_id, True
            elif line.bill_code_id in on_any:
                chosen = next(l for l in target.lines if l.id == on_any[line.bill_code_id])
                raise refuse("po_line_id", f"Line {line.line_no}: bill code {line.bill_code.code} draws on line "
                                           f"{chosen.line_no} ({chosen.secondary_po_number}) of PO {target.number}.")
            else:  # as posting: on the PO, on no line, with the "not covered" warning
                destination[line.id], covered[line.id] = None, False
    else:
        destination = {l.id: None for l in lines}
        covered = {l.id: True for l in lines}
    # a line already drawing on the target stays as it is (no ledger pair, no history); none left: nothing to move
    lines = [l for l in lines if not (l.po_id == target.id and l.po_line_id == destination[l.id])] or lines
    if all(l.po_id == target.id and l.po_line_id == destination[l.id] for l in lines):
        if any(not covered[l.id] for l in lines):  # the line chosen does not hold their codes: they stay off lines
            codes = ", ".join(sorted({l.bill_code.code for l in lines if not covered[l.id]}))
            raise refuse("po_line_id", f"Bill code {codes} is on no line of master PO {target.number}: "
                                       "such lines draw on its \"not on any line\", where they already are. Add the "
                                       "code to a line's bill code group first, or choose another PO.")
        where = "that line of PO" if target.kind == "multi_line_master" else "PO"
        numbers = ", ".join(str(l.line_no) for l in lines)
        raise refuse("lines", f"{'Line' if len(lines) == 1 else 'Lines'} {numbers} already "
                              f"{'draws' if len(lines) == 1 else 'draw'} on {where} {target.number}: "
                              "choose another PO.")
    # the invoice lines and the posted credit memo lines that take them back move together
    credits = list(session.scalars(select(DocumentLine).join(Document, Document.id == DocumentLine.document_id)
                                   .where(DocumentLine.source_line_id.in_([l.id for l in lines]),
                                          Document.status == "posted", Document.id != doc.id)))
    moving_lines = lines + credits
    held: dict[int, list[tuple[int, int | None, Decimal]]] = defaultdict(list)
    for lid, p, pl, amount in session.execute(
            select(LedgerEntry.document_line_id, LedgerEntry.po_id, LedgerEntry.po_line_id, func.sum(LedgerEntry.amount))
            .where(LedgerEntry.document_line_id.in_([l.id for l in moving_lines]), LedgerEntry.bucket == "used")
            .group_by(LedgerEntry.document_line_id, LedgerEntry.po_id, LedgerEntry.po_line_id)):
        if amount:
            held[lid].append((p, pl, amount))
    credit_ids = {c.id for c in credits}

    def invoice_line_of(line: DocumentLine) -> int:
        return line.source_line_id if line.id in credit_ids else line.id

    drawn_before = {invoice_line_of(l) for l in moving_lines if held.get(l.id)}
    entries: list[Entry] = []
    documents_of: dict[int, int] = {}
    net: dict[int, Decimal] = {}  # per invoice line: what lands on the target
    for line in moving_lines:
        documents_of[line.id] = line.document_id
        invoice_line_id = invoice_line_of(line)
        for p, pl, amount in held.get(line.id, []):
            entries.append(Entry(line.id, p, pl, "used", -amount))
        if invoice_line_id in drawn_before:
            moving = sum((a for _, _, a in held.get(line.id, [])), ZERO)
        else:  # a line that had no PO: the invoice line less its posted credits
            moving = -line.amount if line.id in credit_ids else line.amount
        entries.append(Entry(line.id, target.id, destination[invoice_line_id], "used", moving))
        net[invoice_line_id] = net.get(invoice_line_id, ZERO) + moving
    pos = lock_pos(session, [e.po_id for e in entries])
    balances, line_balances = balances_of(session, pos)
    # what already sits on the target (moving between lines of one PO adds nothing to the PO)
    moved_out = sum((a for hs in held.values() for p, _, a in hs if p == target.id), ZERO)
    line_moved_out: dict[int, Decimal] = {}
    for hs in held.values():
        for _, pl, a in hs:
            if pl is not None and pl in destination.values():
                line_moved_out[pl] = line_moved_out.get(pl, ZERO) + a
    checks = [LineCheck(target.id, target.number, destination[l.id], net.get(l.id, ZERO), l.service_date or doc.doc_date,
                        target.effective, target.expiration, True, covered[l.id], l.bill_code.code) for l in lines]
    debtor = session.get(Debtor, doc.debtor_id)
    check = budget.evaluate(checks, balances, line_balances, bucket="used", sign=1, policy=debtor.over_budget_policy,
                            enforce_pos=False, tolerances={target.id: target.tolerance_pct},
                            moved_out={target.id: moved_out}, line_moved_out=line_moved_out)
    result = ReassignResult(check, seen=check.seen())
    if seen is not None and seen != result.seen and (confirmed or override):
        confirmed = override = False
        result.changed = True
    if check.blocked and not (override and user.can("po_override_budget")):
        session.rollback()
        result.refused = True
        return result
    if check_only or check.warnings and not confirmed:
        session.rollback()
        result.needs_confirmation = True
        return result
    if check.blocked:
        result.overridden = True
        audit.acting(session, user, reason=(reason + " — moved past a blocked PO budget (po_override_budget): "
                                            + " ".join(w.message for w in check.warnings if w.blocks))[:1000])
    for line in moving_lines:
        line.po_id, line.po_line_id, line.po_number = target.id, destination[invoice_line_of(line)], target.number
        line.explicit_po = True
    write_entries(session, doc, entries, "reassign", user.id, {l.id: l.bill_code_id for l in moving_lines},
                  documents_of, locked=pos)
    session.flush()
    result.alerts = alerts.after_change(session, pos, balances, today=today or date.today())
    # before the opportunities follow: a contract's note says what moved its PO's balance
    line_no = {l.id: l.line_no for l in lines}
    line_no |= {c.id: line_no[c.source_line_id] for c in credits}  # a credit line under its invoice line's number
    opportunity_status.note_reassigned(session, doc.number, [(line_no[e.line], e.po_id, e.amount) for e in entries],
                                       target.number, pos, today or date.today(), user.id)
    _follow_opportunities(session, pos, today, user.id)
    if commit:
        session.commit()
    result.moved = len(lines)
    return result


def void_lines(session: Session, user, doc_id: int, line_ids: list[int], *, today: date | None = None,
               commit: bool = True) -> Decimal:
    """Void part of an open order (cancelled deliveries of a contract): take back exactly what
    those lines still draw, as `void` does for the whole order; the order stays open for the rest.
    Returns the commitment given back. Refused, as `void`, to a user limited to branches when the order
    holds lines on other branches' jobs."""
    audit.acting(session, user)
    doc = locked(session, Document, doc_id)
    if doc is None:
        raise NotFound("No such document.")
    if not all(may_see(user, line.job) for line in doc.lines):  # as post: the lock given back, then Forbidden
        session.rollback()
        check_lines_visible(user, doc.lines)
    if doc.status != "posted" or not doc.document_type.is_order:
        session.rollback()
        raise Conflict(f"Only lines of an open (posted) order can be voided; {doc.number} is {doc.status}.")
    lines = [l for l in doc.lines if l.id in set(line_ids)]
    if not lines or len(lines) != len(set(line_ids)):
        session.rollback()
        raise ValidationFailed({"lines": ["Choose lines of this order."]})
    rows = session.scalars(select(LedgerEntry).where(LedgerEntry.document_line_id.in_([l.id for l in lines]))).all()
    entries = budget.reversal([Entry(r.document_line_id, r.po_id, r.po_line_id, r.bucket, r.amount) for r in rows])
    pos = lock_pos(session, [e.po_id for e in entries])
    balances, _ = balances_of(session, pos)
    write_entries(session, doc, entries, "void", user.id, {l.id: l.bill_code_id for l in lines}, locked=pos)
    session.flush()
    alerts.after_change(session, pos, balances, today=today or date.today())
    if commit:
        session.commit()
    return -sum((e.amount for e in entries if e.bucket == "commitment"), ZERO)
