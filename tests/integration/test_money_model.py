"""Model-based test of the money: random sequences of what billing users do, through the services, on
PostgreSQL, against a plain in-memory reference model of every PO's and master line's figures.

The model is written from DESIGN.md, not from the code: which PO (and master line) funds a line,
what each bucket holds, what the block policy refuses and what a credit memo may take back. After
every step the portal's figures must equal the model's, no PO of a blocking debtor may have
Used + Commitments past its Amount without a recorded override, and `integrity.check` is clean.

Bounded in `make test`; `make test-deep` (MONEY_MODEL=deep) runs many more and longer sequences.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, initialize, invariant, precondition, rule
from sqlalchemy import select

from portal.domain.assignment import AssignmentError, Target
from portal.domain.purchase_orders import LineInput as POLineInput
from portal.domain.purchase_orders import POInput
from portal.models import (BillCode, BillCodeGroup, DocumentType, JobPOAssignment, POBalance, POLineBalance,
                           PurchaseOrder, Role, RoleGrant)
from portal.services import assignments, documents, integrity, po_groups, posting, purchase_orders, reports
from portal.services.documents import DocumentInput, LineInput
from portal.services.errors import Conflict, NotFound, ValidationFailed
from tests import factories
from tests.model_runs import fresh_database, money, run

D = Decimal
ZERO = D("0")
H1 = (date(2026, 1, 1), date(2026, 6, 30))
H2 = (date(2026, 7, 1), date(2026, 12, 31))
YEAR = (date(2026, 1, 1), date(2026, 12, 31))
DAYS = (date(2026, 3, 1), date(2026, 8, 1))
SALES = ("Estimate", "Sales Order", "Sales Invoice", "Credit Memo")
SERVICE = ("Repair Order", "Service Invoice")
DRAFTABLE = ("Estimate", "Sales Order", "Repair Order", "Sales Invoice", "Service Invoice")
GROUP_DELETE_FIXED = True  # defect 4 (a PO used through its group is not deleted) is fixed


# ---------------------------------------------------------------- the reference model

@dataclass
class MPO:
    id: int
    number: str
    kind: str
    amount: Decimal
    types: frozenset[int]
    group: int | None
    effective: date
    expiration: date
    lines: dict[int, tuple[Decimal, frozenset[int]]] = field(default_factory=dict)  # master: id -> (budget, codes)


@dataclass
class MLine:
    """A posted document line as the model sees it."""

    id: int
    po: int | None
    pl: int | None
    amount: Decimal
    code: int
    job: int | None
    day: date
    rate: Decimal
    quantity: Decimal
    open: Decimal = ZERO        # an order line's commitment not yet released
    taken: Decimal = ZERO       # an order line's quantity invoiced (the invoice taking the last releases all)
    credited: Decimal = ZERO    # an invoice line's posted credits
    source: int | None = None   # a credit memo line: the invoice line it takes back


@dataclass
class MDoc:
    id: int
    type: str
    status: str
    lines: list[MLine]


class Figures:
    """Used / Commitments / Estimates per PO and per master line."""

    def __init__(self):
        self.po: dict[int, dict[str, Decimal]] = {}
        self.line: dict[int, dict[str, Decimal]] = {}

    def add(self, po: int | None, pl: int | None, bucket: str, amount: Decimal) -> None:
        if po is None or not amount:
            return
        self.po.setdefault(po, {"used": ZERO, "commitment": ZERO, "estimate": ZERO})[bucket] += amount
        if pl is not None:
            self.line.setdefault(pl, {"used": ZERO, "commitment": ZERO, "estimate": ZERO})[bucket] += amount

    def of_po(self, po: int) -> tuple[Decimal, Decimal, Decimal]:
        f = self.po.get(po, {})
        return f.get("used", ZERO), f.get("commitment", ZERO), f.get("estimate", ZERO)

    def of_line(self, pl: int) -> tuple[Decimal, Decimal, Decimal]:
        f = self.line.get(pl, {})
        return f.get("used", ZERO), f.get("commitment", ZERO), f.get("estimate", ZERO)


BUCKET = {"Estimate": "estimate", "Sales Order": "commitment", "Repair Order": "commitment",
          "Sales Invoice": "used", "Service Invoice": "used", "Credit Memo": "used"}


class Model:
    def __init__(self, policy: str, type_ids: dict[str, int], codes: dict[str, int], groups: dict[str, frozenset[int]]):
        self.policy = policy
        self.type_ids = type_ids
        self.codes = codes
        self.code_groups = groups
        self.pos: dict[int, MPO] = {}
        self.groups: set[int] = set()
        self.jobs: dict[int, tuple[str, int, date] | None] = {}
        self.figures = Figures()
        self.docs: dict[int, MDoc] = {}
        self.referenced: set[int] = set()  # POs named by any document line or ledger entry
        self.overridden: set[int] = set()

    # which PO funds a line (DESIGN.md "Resolution")
    def twin(self, po: int, type_name: str) -> int:
        type_id = self.type_ids[type_name]
        if type_id in self.pos[po].types:
            return po
        same = [p for p in sorted(self.pos) if self.pos[p].number.upper() == self.pos[po].number.upper()
                and type_id in self.pos[p].types]
        return same[0] if same else po

    def master_line(self, po: int, code: int) -> int | None:
        return next((pl for pl, (_, codes) in sorted(self.pos[po].lines.items()) if code in codes), None)

    def funding(self, type_name: str, code: int, day: date, job: int | None, po: int | None) -> tuple[int | None, int | None]:
        if po is None:
            target = self.jobs.get(job) if job is not None else None
            if target is None or day < target[2]:
                return None, None
            kind, ident, _ = target
            if kind == "po":  # an assignment to a PO lasts while the PO is valid (DESIGN.md: "PO expires")
                if not self.pos[ident].effective <= day <= self.pos[ident].expiration:
                    return None, None
                po = ident
            else:
                valid = [p for p in sorted(self.pos) if self.pos[p].group == ident
                         and self.pos[p].effective <= day <= self.pos[p].expiration]
                if not valid:
                    return None, None
                po = valid[0]
            po = self.twin(po, type_name)
        return po, self.master_line(po, code) if self.pos[po].kind == "multi_line_master" else None

    def blocked(self, drawn: list[tuple[int | None, int | None, Decimal]], bucket: str,
                releases: list[tuple[int | None, int | None, Decimal]] = (),
                moved_out: list[tuple[int | None, int | None, Decimal]] = ()) -> bool:
        """The block policy: Used + Commitments after this > Amount, on a PO or a master line the
        change adds to; estimates never do. A master PO's charge on no line is refused under block
        (DESIGN.md: "not covered" ... refused under block), estimates included."""
        if self.policy != "block":
            return False
        if any(po is not None and pl is None and self.pos[po].kind == "multi_line_master" for po, pl, _ in drawn):
            return True
        if bucket == "estimate":
            return False
        after_po: dict[int, list[Decimal]] = {}
        after_line: dict[int, list[Decimal]] = {}
        delta_po: dict[int, Decimal] = {}
        delta_line: dict[int, Decimal] = {}

        def move(po, pl, b, amount):
            if po is None:
                return
            after_po.setdefault(po, list(self.figures.of_po(po)[:2]))
            after_po[po][0 if b == "used" else 1] += amount
            if pl is not None:
                after_line.setdefault(pl, list(self.figures.of_line(pl)[:2]))
                after_line[pl][0 if b == "used" else 1] += amount

        for po, pl, amount in drawn:
            move(po, pl, bucket, amount)
            if po is not None:
                delta_po[po] = delta_po.get(po, ZERO) + amount
                if pl is not None:
                    delta_line[pl] = delta_line.get(pl, ZERO) + amount
        for po, pl, amount in moved_out:
            move(po, pl, "used", -amount)
            if po in delta_po:
                delta_po[po] -= amount
            if pl in delta_line:
                delta_line[pl] -= amount
        for po, pl, amount in releases:
            move(po, pl, "commitment", -amount)
        for po, delta in delta_po.items():
            if delta > 0 and sum(after_po[po]) > self.pos[po].amount:
                return True
        for pl, delta in delta_line.items():
            budget = next(b for p in self.pos.values() for l, (b, _) in p.lines.items() if l == pl)
            if delta > 0 and sum(after_line[pl]) > budget:
                return True
        return False

    def assigned_through_group(self, po: int) -> bool:
        group = self.pos[po].group
        return group is not None and any(t is not None and t[0] == "group" and t[1] == group for t in self.jobs.values())


# ---------------------------------------------------------------- the machine

class MoneyMachine(RuleBasedStateMachine):
    pos = Bundle("pos")
    groups = Bundle("groups")

    def __init__(self, session, tables):
        super().__init__()
        self.s = session
        fresh_database(session, tables)
        self.types = {t.name: t for t in self.s.scalars(select(DocumentType))}
        self.admin = factories.user(self.s, "admin", role_name="Billing Admin")
        role = Role(name="Poster", grants=[RoleGrant(item="documents", level="full"),
                                           RoleGrant(item="purchase_orders", level="full"),
                                           RoleGrant(item="assignments", level="full"),
                                           RoleGrant(item="po_assign_invoiced_item", level="granted")])
        self.s.add(role)
        self.s.commit()
        self.clerk = factories.user(self.s, "clerk", role_name="Poster")
        codes = {c: BillCode(code=c, description=c) for c in ("ORD", "OT", "EXP")}
        self.s.add_all(codes.values())
        self.s.commit()
        self.codes = {c: b.id for c, b in codes.items()}
        self.bill_groups = {}
        for name, members in (("Labour", ["ORD"]), ("Overtime", ["OT"])):
            g = BillCodeGroup(name=name, bill_codes=[codes[m] for m in members])
            self.s.add(g)
            self.s.commit()
            self.bill_groups[name] = (g.id, frozenset(self.codes[m] for m in members))
        self.debtor = None
        self.model: Model | None = None
        self.job_ids: list[int] = []
        self.numbers = 0

    # ----- set-up
    @initialize(policy=st.sampled_from(["warn", "block"]))
    def set_up(self, policy):
        self.debtor = factories.debtor(self.s, "ACME", over_budget_policy=policy)
        branch = factories.branch(self.s, "B1")
        for _ in range(3):
            self.job_ids.append(factories.job(self.s, self.debtor, branch).id)
        self.model = Model(policy, {n: t.id for n, t in self.types.items()}, self.codes,
                           {n: c for n, (_, c) in self.bill_groups.items()})
        for j in self.job_ids:
            self.model.jobs[j] = None

    def user(self, clerk: bool):
        return self.clerk if clerk else self.admin

    # ----- POs
    def _po_input(self, number, kind, amount, types, group, dates, lines=()):
        return POInput(number=number, kind=kind, effective=dates[0], expiration=dates[1],
                       amount=None if kind == "multi_line_master" else amount, group_id=group,
                       document_type_ids=tuple(sorted(self.types[t].id for t in types)), lines=lines)

    @rule(target=pos, kind=st.sampled_from(["single_line", "multi_line", "multi_line_master"]),
          amount=st.sampled_from([D("100"), D("300"), D("1000")]), types=st.sampled_from(["all", "sales", "service"]),
          lines=st.sampled_from([("Labour",), ("Overtime",), ("Labour", "Overtime")]),
          budgets=st.sampled_from([(D("100"), D("300")), (D("300"), D("100"))]))
    def create_po(self, kind, amount, types, lines, budgets):
        self.numbers += 1
        return self._create(f"P{self.numbers}", kind, amount, types, None, YEAR, lines, budgets)

    def _create(self, number, kind, amount, types, group, dates, lines, budgets):
        names = {"all": SALES + SERVICE, "sales": SALES, "service": SERVICE}[types]
        po_lines = tuple(POLineInput(budgets[i], self.bill_groups[name][0], f"{number}-{name}")
                         for i, name in enumerate(lines)) if kind == "multi_line_master" else ()
        po = purchase_orders.create_po(self.s, self.debtor.id, self._po_input(number, kind, amount, names, group, dates,
                                                                              po_lines), actor=self.admin)
        model_lines = {}
        for line in sorted(po.lines, key=lambda l: l.line_no):
            name = lines[line.line_no - 1]
            assert line.budget == budgets[line.line_no - 1]
            model_lines[line.id] = (line.budget, self.bill_groups[name][1])
        self.model.pos[po.id] = MPO(po.id, number, kind, po.amount, frozenset(self.types[t].id for t in names),
                                    group, dates[0], dates[1], model_lines)
        return po.id

    @rule(target=pos, first=pos, amount=st.sampled_from([D("100"), D("1000")]))
    def split_po(self, first, amount):
        """Seed 001's split PO: the same number again, for the other document types."""
        base = self.model.pos.get(first)
        if base is None or base.kind == "multi_line_master" or base.group is not None:
            return first
        sales, service = frozenset(self.types[t].id for t in SALES), frozenset(self.types[t].id for t in SERVICE)
        same = [p for p in self.model.pos.values() if p.number.upper() == base.number.upper()]
        if len(same) > 1 or base.types not in (sales, service):
            return first
        other = "service" if base.types == sales else "sales"
        return self._create(base.number, "single_line", amount, other, None, YEAR, (), ())

    @rule(target=groups)
    def create_group(self):
        group = po_groups.save_group(self.s, self.debtor.id, None, actor=self.admin,
                                     description=f"G{len(self.model.groups) + 1}", active=True)
        self.model.groups.add(group.id)
        return group.id

    @rule(target=pos, group=groups, amount=st.sampled_from([D("100"), D("1000")]))
    def create_group_po(self, group, amount):
        members = [p for p in self.model.pos.values() if p.group == group]
        if len(members) >= 2:
            return members[0].id
        dates = H2 if any(p.effective == H1[0] for p in members) else H1  # the half-year no member holds
        self.numbers += 1
        return self._create(f"P{self.numbers}", "single_line", amount, "all", group, dates, (), ())

    @rule(po=pos, amount=st.sampled_from([D("50"), D("100"), D("300"), D("2000")]))
    def edit_po_amount(self, po, amount):
        mpo = self.model.pos.get(po)
        if mpo is None or mpo.kind == "multi_line_master":
            return
        current = self.s.get(PurchaseOrder, po)
        data = purchase_orders.snapshot(current)
        from dataclasses import replace
        used, commitments, _ = self.model.figures.of_po(po)
        refuse = self.model.policy == "block" and used + commitments > amount and amount < mpo.amount
        try:
            purchase_orders.update_po(self.s, po, replace(data, amount=amount), actor=self.admin,
                                      expected_version=current.row_version)
        except ValidationFailed:
            self.s.rollback()
            assert refuse, f"amount {amount} refused on PO {mpo.number}"
            return
        assert not refuse, f"PO {mpo.number} cut to {amount} below Used + Commitments {used + commitments} under block"
        mpo.amount = amount

    @rule(po=pos)
    def renumber_po(self, po):
        """A new number (po_override_validations): what the PO drew so far follows it in the spend report."""
        mpo = self.model.pos.get(po)
        if mpo is None:
            return
        from dataclasses import replace
        current = self.s.get(PurchaseOrder, po)
        self.numbers += 1
        purchase_orders.update_po(self.s, po, replace(purchase_orders.snapshot(current), number=f"R{self.numbers}"),
                                  actor=self.admin, expected_version=current.row_version,
                                  line_ids=tuple(line.id for line in current.lines))  # a master's lines kept
        mpo.number = f"R{self.numbers}"

    @rule(po=consumes(pos))
    def delete_po(self, po):
        mpo = self.model.pos.get(po)
        if mpo is None:
            return
        if self.model.assigned_through_group(po) and not GROUP_DELETE_FIXED:
            return
        referenced = (po in self.model.referenced
                      or any(t is not None and t[0] == "po" and t[1] == po for t in self.model.jobs.values())
                      or self.model.assigned_through_group(po))
        try:
            purchase_orders.delete_po(self.s, po, actor=self.admin)
        except (Conflict, ValidationFailed):
            self.s.rollback()
            assert referenced, f"PO {mpo.number} could not be deleted though nothing references it"
            return
        assert not referenced, f"PO {mpo.number} deleted though documents, ledger or job assignments use it"
        del self.model.pos[po]

    # ----- job assignments
    @rule(job=st.integers(0, 2), po=pos)
    def assign_job_to_po(self, job, po):
        mpo = self.model.pos.get(po)
        if mpo is None:
            return
        self._assign(self.job_ids[job], Target("po", po), mpo.effective)

    @rule(job=st.integers(0, 2), group=groups)
    def assign_job_to_group(self, job, group):
        if not any(p.group == group for p in self.model.pos.values()):
            return
        self._assign(self.job_ids[job], Target("group", group), date(2026, 1, 1))

    def _assign(self, job_id, target, as_of):
        if self.model.jobs[job_id] is not None:
            return
        try:
            assignments.assign(self.s, self.admin, job_id, target, as_of, start=as_of)
        except (AssignmentError, Conflict, NotFound, ValidationFailed):
            self.s.rollback()
            return
        row = self.s.scalars(select(JobPOAssignment).where(JobPOAssignment.job_id == job_id)).one()
        self.model.jobs[job_id] = (target.kind, target.id, row.start_date)

    # ----- documents
    line_spec = st.tuples(st.one_of(st.tuples(st.just("job"), st.integers(0, 2)), st.tuples(st.just("po"), st.integers(0, 50)),
                                    st.just(("none", 0))),
                          st.sampled_from(["ORD", "OT", "EXP"]), st.sampled_from([D("1"), D("2"), D("0.5")]),
                          st.sampled_from([D("10"), D("40"), D("100"), D("250")]), st.sampled_from(DAYS))

    @rule(type_name=st.sampled_from(DRAFTABLE), specs=st.lists(line_spec, min_size=1, max_size=3),
          clerk=st.booleans(), override=st.booleans())
    def draft_and_post(self, type_name, specs, clerk, override):
        po_ids = sorted(self.model.pos)
        lines = []
        for (how, n), code, qty, rate, day in specs:
            job = self.job_ids[n] if how == "job" else None
            po = po_ids[n % len(po_ids)] if how == "po" and po_ids else None
            lines.append(LineInput(job, self.codes[code], qty, rate, service_date=day, explicit_po_id=po))
        data = DocumentInput(debtor_id=self.debtor.id, document_type_id=self.types[type_name].id, number="",
                             doc_date=DAYS[0], lines=tuple(lines))
        if any(l.explicit_po_id and self.model.type_ids[type_name] not in self.model.pos[l.explicit_po_id].types
               for l in lines):  # DESIGN: a line may name only a PO eligible for its type
            with pytest.raises(ValidationFailed, match="is not eligible for"):
                documents.save_draft(self.s, self.admin, None, data)
            self.s.rollback()
            return
        doc = documents.save_draft(self.s, self.admin, None, data)
        for l in lines:
            if l.explicit_po_id:
                self.model.referenced.add(l.explicit_po_id)
        funded = [(*self.model.funding(type_name, l.bill_code_id, l.service_date, l.job_id, l.explicit_po_id),
                   money(l.quantity * l.rate)) for l in lines]
        self._post(doc, type_name, funded, [None] * len(lines), clerk, override)

    def _post(self, doc, type_name, funded, sources, clerk, override):
        """Post `doc` and hold the service's answer to the model's."""
        m = self.model
        bucket = BUCKET[type_name]
        releases = []
        opens, taken = {}, {}
        if bucket == "used" and type_name != "Credit Memo":
            for (po, pl, amount), src, line in zip(funded, sources, doc.lines):
                if src is not None and src.po is not None and self.source_type(src) in ("Sales Order", "Repair Order"):
                    left = opens.get(src.id, src.open)
                    taken[src.id] = taken.get(src.id, src.taken) + line.quantity
                    # the invoice taking the last of the ordered quantity releases all that is left
                    r = max(left, ZERO) if taken[src.id] >= src.quantity else min(max(left, ZERO), amount)
                    opens[src.id] = left - r
                    releases.append((src.po, src.pl, r))
        blocked = m.blocked(funded, bucket, releases)
        may_override = override and (self.user(clerk).can("po_override_budget"))
        result = posting.post(self.s, self.user(clerk), doc.id, confirmed=True, override=override)
        expect = not blocked or may_override
        assert result.posted == expect, (f"{type_name} {'posted' if result.posted else 'refused'} but the model "
                                         f"{'allows' if expect else 'refuses'} it: {[w.message for w in result.check.warnings]}")
        if not result.posted:
            self.s.rollback()
            return
        assert result.overridden == (blocked and may_override)
        self.s.refresh(doc)
        mlines = []
        for (po, pl, amount), line in zip(funded, doc.lines):
            assert (line.po_id, line.po_line_id) == (po, pl), (
                f"line {line.line_no} of {type_name} drew on {(line.po_id, line.po_line_id)}, the model says {(po, pl)}")
            m.figures.add(po, pl, bucket, amount)
            if po is not None:
                m.referenced.add(po)
                if blocked:
                    m.overridden.add(po)
            mlines.append(MLine(line.id, po, pl, amount, line.bill_code_id, line.job_id,
                                line.service_date or doc.doc_date, line.rate, line.quantity,
                                open=amount if bucket == "commitment" and po is not None else ZERO))
        for po, pl, r in releases:
            m.figures.add(po, pl, "commitment", -r)
        for src_id, left in opens.items():
            self.line_by_id(src_id).open = left
            self.line_by_id(src_id).taken = taken[src_id]
        m.docs[doc.id] = MDoc(doc.id, type_name, "posted", mlines)

    def source_type(self, line: MLine) -> str:
        return next(d.type for d in self.model.docs.values() if any(l is line for l in d.lines))

    def line_by_id(self, line_id: int) -> MLine:
        return next(l for d in self.model.docs.values() for l in d.lines if l.id == line_id)

    def posted(self, *types):
        return sorted(d.id for d in self.model.docs.values() if d.status == "posted" and d.type in types)

    @precondition(lambda self: self.model is not None and self.posted("Estimate", "Sales Order", "Repair Order"))
    @rule(pick=st.integers(0, 1000), target_name=st.sampled_from(["Sales Order", "Repair Order", "Sales Invoice",
                                                                 "Service Invoice"]),
          factors=st.lists(st.sampled_from([D("1"), D("0.5"), D("0")]), min_size=3, max_size=3),
          clerk=st.booleans(), override=st.booleans())
    def derive_and_post(self, pick, target_name, factors, clerk, override):
        """An order or invoice made (in part) from an estimate or order: each line keeps its source's PO."""
        ids = self.posted("Estimate", "Sales Order", "Repair Order")
        source = self.model.docs[ids[pick % len(ids)]]
        if source.type != "Estimate" and target_name in ("Sales Order", "Repair Order"):
            target_name = "Sales Invoice" if target_name == "Sales Order" else "Service Invoice"
        quantities = {l.id: l.quantity * f for l, f in zip(source.lines, factors)}
        kept = [(l, quantities[l.id]) for l in source.lines if quantities[l.id] > 0]
        if not kept:
            with pytest.raises(ValidationFailed):
                documents.derive(self.s, self.admin, source.id, self.types[target_name].id, quantities=quantities)
            self.s.rollback()
            return
        doc = documents.derive(self.s, self.admin, source.id, self.types[target_name].id, quantities=quantities)
        funded = []
        for src, qty in kept:
            po = self.model.twin(src.po, target_name) if src.po is not None else None
            if po is not None:
                self.model.referenced.add(po)
            funded.append((*self.model.funding(target_name, src.code, src.day, src.job, po), money(qty * src.rate)))
        self._post(doc, target_name, funded, [src for src, _ in kept], clerk, override)

    @precondition(lambda self: self.model is not None and self.posted("Sales Invoice", "Service Invoice"))
    @rule(pick=st.integers(0, 1000), factor=st.sampled_from([D("1"), D("0.5"), D("0.3")]))
    def credit(self, pick, factor):
        """A credit memo takes back part of an invoice line: never more than is left on it."""
        ids = self.posted("Sales Invoice", "Service Invoice")
        invoice = self.model.docs[ids[pick % len(ids)]]
        src = invoice.lines[0]
        qty = src.quantity * factor
        amount = money(qty * src.rate)
        quantities = {l.id: (qty if l is src else ZERO) for l in invoice.lines}
        if amount <= 0 or amount > src.amount - src.credited:
            with pytest.raises(ValidationFailed):
                documents.derive(self.s, self.admin, invoice.id, self.types["Credit Memo"].id, quantities=quantities)
            self.s.rollback()
            return
        doc = documents.derive(self.s, self.admin, invoice.id, self.types["Credit Memo"].id, quantities=quantities)
        result = posting.post(self.s, self.admin, doc.id, confirmed=True)
        assert result.posted, [w.message for w in result.check.warnings]
        self.s.refresh(doc)
        [line] = doc.lines
        assert (line.po_id, line.po_line_id) == (src.po, src.pl)
        self.model.figures.add(src.po, src.pl, "used", -amount)
        src.credited += amount
        self.model.docs[doc.id] = MDoc(doc.id, "Credit Memo", "posted", [
            MLine(line.id, src.po, src.pl, amount, src.code, src.job, src.day, src.rate, qty, source=src.id)])

    @precondition(lambda self: self.model is not None and self.posted("Sales Invoice", "Service Invoice"))
    @rule(pick=st.integers(0, 1000), qty=st.sampled_from([D("-50"), D("0")]))
    def credit_with_a_bad_sign(self, pick, qty):
        """A credit memo line with a negative or zero quantity is refused, and nothing moves."""
        ids = self.posted("Sales Invoice", "Service Invoice")
        invoice = self.s.get(documents.Document, ids[pick % len(ids)])
        src = invoice.lines[0]
        with pytest.raises(ValidationFailed):
            documents.save_draft(self.s, self.admin, None, DocumentInput(
                debtor_id=self.debtor.id, document_type_id=self.types["Credit Memo"].id, number="", doc_date=DAYS[0],
                lines=(LineInput(None, src.bill_code_id, qty, D("100"), source_line_id=src.id),)),
                source_document_id=invoice.id)
        self.s.rollback()

    @precondition(lambda self: self.model is not None and self.posted("Estimate", "Sales Order", "Repair Order"))
    @rule(pick=st.integers(0, 1000))
    def void(self, pick):
        ids = self.posted("Estimate", "Sales Order", "Repair Order")
        doc = self.model.docs[ids[pick % len(ids)]]
        posting.void(self.s, self.admin, doc.id)
        bucket = BUCKET[doc.type]
        for l in doc.lines:
            if bucket == "estimate":
                self.model.figures.add(l.po, l.pl, "estimate", -l.amount)
            else:
                self.model.figures.add(l.po, l.pl, "commitment", -l.open)
                l.open = ZERO
        doc.status = "void"

    @precondition(lambda self: self.model is not None and self.posted("Sales Invoice", "Service Invoice"))
    @rule(pick=st.integers(0, 1000), to=pos, line_pick=st.integers(0, 10), clerk=st.booleans(),
          override=st.booleans(), which=st.sampled_from(["first", "all"]))
    def reassign(self, pick, to, line_pick, clerk, override, which):
        """Invoiced lines move to another PO: posting's checks on the target; the credits move too."""
        m = self.model
        target = to
        mpo = m.pos.get(target)
        if mpo is None:
            return
        ids = self.posted("Sales Invoice", "Service Invoice")
        invoice = m.docs[ids[pick % len(ids)]]
        moving = invoice.lines if which == "all" else [invoice.lines[0]]
        chosen = None
        if mpo.kind == "multi_line_master":
            chosen = sorted(mpo.lines)[line_pick % len(mpo.lines)]
        user = self.user(clerk)
        expect_error = m.type_ids[invoice.type] not in mpo.types
        dest = {}
        for l in moving:
            if chosen is None:
                dest[l.id] = None
            elif l.code in mpo.lines[chosen][1]:
                dest[l.id] = chosen
            elif any(l.code in codes for _, codes in mpo.lines.values()):
                expect_error = True
            else:
                dest[l.id] = None
        try:
            result = posting.reassign(self.s, user, invoice.id, [l.id for l in moving], target, chosen,
                                      reason="model", confirmed=True, override=override)
        except ValidationFailed as exc:
            self.s.rollback()
            assert expect_error, f"reassign refused: {exc}"
            return
        assert not expect_error, "reassign onto an ineligible PO or the wrong master line was accepted"
        net = {l.id: l.amount - l.credited for l in moving}
        blocked = m.blocked([(target, dest[l.id], net[l.id]) for l in moving], "used",
                            moved_out=[(l.po, l.pl, net[l.id]) for l in moving if l.po == target])
        may_override = override and user.can("po_override_budget")
        assert bool(result.moved) == (not blocked or may_override), (
            f"reassign {'moved' if result.moved else 'refused'}; model blocked={blocked}: "
            f"{[w.message for w in result.check.warnings]}")
        if not result.moved:
            self.s.rollback()
            return
        for l in moving:
            m.figures.add(l.po, l.pl, "used", -net[l.id])
            m.figures.add(target, dest[l.id], "used", net[l.id])
            l.po, l.pl = target, dest[l.id]
            for d in m.docs.values():
                for c in d.lines:
                    if c.source == l.id:
                        c.po, c.pl = target, dest[l.id]
        m.referenced.add(target)
        if blocked:
            m.overridden.add(target)

    # ----- invariants
    @invariant()
    def figures_equal_the_model(self):
        if self.model is None:
            return
        self.s.expire_all()
        stored = {b.po_id: (b.used, b.commitments, b.estimates) for b in self.s.scalars(select(POBalance))}
        for po in self.model.pos:
            assert stored[po] == self.model.figures.of_po(po), (
                f"PO {self.model.pos[po].number}: portal (used, commitments, estimates) {stored[po]} "
                f"≠ model {self.model.figures.of_po(po)}")
        lines = {b.po_line_id: (b.used, b.commitments, b.estimates) for b in self.s.scalars(select(POLineBalance))}
        for mpo in self.model.pos.values():
            for pl in mpo.lines:
                assert lines[pl] == self.model.figures.of_line(pl), (
                    f"PO {mpo.number} line {pl}: portal {lines[pl]} ≠ model {self.model.figures.of_line(pl)}")

    @invariant()
    def the_spend_report_equals_the_model_per_po_number(self):
        """The report by PO number (its own summary, kept by triggers) against the model's figures of the POs
        of each number: an order invoiced or voided in part leaves Orders by what it still commits."""
        if self.model is None:
            return
        rows = {r.po_number: (r.used, r.commitment, r.estimate)
                for r in reports.spend_by_po_number(self.s, self.debtor.id, per_page=1000).rows}
        numbers: dict[str, list[int]] = {}
        for po, mpo in self.model.pos.items():
            numbers.setdefault(mpo.number, []).append(po)
        for number, ids in numbers.items():
            expected = tuple(sum((self.model.figures.of_po(po)[i] for po in ids), ZERO) for i in range(3))
            assert rows.get(number, (ZERO, ZERO, ZERO)) == expected, (
                f"spend report for {number}: {rows.get(number)} ≠ model {expected}")

    @invariant()
    def block_holds_unless_overridden(self):
        if self.model is None or self.model.policy != "block":
            return
        for po, mpo in self.model.pos.items():
            used, commitments, _ = self.model.figures.of_po(po)
            assert used + commitments <= mpo.amount or po in self.model.overridden, (
                f"PO {mpo.number}: Used + Commitments {used + commitments} > {mpo.amount} under block, no override")

    @invariant()
    def integrity_is_clean(self):
        if self.model is None:
            return
        assert [str(m) for m in integrity.check(self.s)] == []




def test_money_follows_the_model(app, _table_names):
    run(app, lambda session: MoneyMachine(session, _table_names), bounded=(15, 20), deep=(400, 60))
