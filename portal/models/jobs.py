"""Job orders and their date-effective PO assignments (seeds 003, 004)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import (CheckConstraint, Computed, Date, ForeignKey, ForeignKeyConstraint, Index, Integer, Sequence,
                        String, func, text)
from sqlalchemy.dialects.postgresql import TSVECTOR, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.assignment import END_CAUSES, job_active_on
from portal.extensions import db
from portal.models.base import Tracked

ONE_PER_DAY_BOX = ("box(point(job_id, start_date - DATE '2000-01-01'), "
                   "point(job_id, COALESCE(manual_end, DATE '9999-12-31') - DATE '2000-01-01'))")

job_number_seq = Sequence("job_number_seq", start=10001, metadata=db.metadata)
ASSIGNMENT_SOURCES = ("manual", "bulk", "job_order", "po_edit")


class JobOrder(Tracked, db.Model):
    """A job order; its start and discontinued dates decide whether it is active on a day (seed 004)."""

    __tablename__ = "job_orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True,
                                        server_default=text("'J' || nextval('job_number_seq')::text"))
    title: Mapped[str] = mapped_column(String(200))
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtors.id", ondelete="RESTRICT"), index=True)
    site: Mapped[str] = mapped_column(String(120), default="")
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id", ondelete="RESTRICT"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    discontinued_date: Mapped[date | None] = mapped_column(Date)
    consultant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # seed 003's on-the-fly PO number: no budget, reporting and invoice grouping only
    po_reference: Mapped[str | None] = mapped_column(String(50))
    # the title's words for search (portal/services/search.py), kept by the database
    title_words: Mapped[str] = mapped_column(TSVECTOR, Computed("to_tsvector('simple'::regconfig, (title)::text)",
                                                               persisted=True), deferred=True)

    debtor = relationship("Debtor", lazy="joined")
    branch = relationship("Branch", lazy="joined")
    consultant = relationship("User", foreign_keys=[consultant_id], lazy="select")
    assignments: Mapped[list["JobPOAssignment"]] = relationship(
        back_populates="job", order_by="JobPOAssignment.start_date", lazy="select",
        cascade="all, delete-orphan", passive_deletes=True,
    )
    __table_args__ = (
        CheckConstraint("discontinued_date IS NULL OR discontinued_date >= start_date", name="dates_in_order"),
        CheckConstraint("length(trim(title)) > 0", name="title_not_blank"),
        Index("ix_job_orders_title_lower", func.lower(title)),
        # search (portal/services/search.py): word prefixes of the title, number and reference prefixes
        Index("ix_job_orders_title_words", "title_words", postgresql_using="gin",
              postgresql_with={"fastupdate": "off"}),  # no pending list: searches stay on the index
        Index("ix_job_orders_number_prefix", func.upper(number).label("number_upper"),
              postgresql_ops={"number_upper": "varchar_pattern_ops"}),
        Index("ix_job_orders_po_reference_prefix", func.upper(po_reference).label("po_reference_upper"),
              postgresql_ops={"po_reference_upper": "varchar_pattern_ops"}),
        Index("ix_job_orders_debtor_number", "debtor_id", "number"),
    )

    def active_on(self, day: date) -> bool:
        """Between its start date and its discontinued date on `day` (seed 004)."""
        return job_active_on(self.start_date, self.discontinued_date, day)

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class JobPOAssignment(Tracked, db.Model):
    """Job → PO or PO group from a start date; `manual_end` is where it was ended and `end_cause` what ended it
    (portal/domain/assignment.py END_CAUSES: a manual clearing, its PO's expiry, the job's next assignment, the
    job's move; NULL on rows ended before the cause was kept, and on open-ended rows).

    The displayed end date and reason are computed (portal/domain/assignment.py). `debtor_id` is the
    job's debtor when assigned: a job moved to another debtor keeps these rows, read-only.
    """

    __tablename__ = "job_po_assignments"
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job_orders.id", ondelete="CASCADE"))
    # the debtor is checked through the PO's or group's own (id, debtor_id) key below: with exactly one
    # of them set, a row naming a debtor that does not exist (or not the PO's) is refused; a key of its
    # own would check it again, one lookup per row (a bulk assignment of 10,000 jobs: 40-110 ms)
    debtor_id: Mapped[int] = mapped_column(Integer)
    po_id: Mapped[int | None] = mapped_column(Integer)
    group_id: Mapped[int | None] = mapped_column(Integer)
    start_date: Mapped[date] = mapped_column(Date)
    manual_end: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(12), default="manual")
    end_cause: Mapped[str | None] = mapped_column(String(8))
    # what a shortened PO's cut (seed 004 step 3) replaced, so the PO's later extension gives it back
    # (portal/domain/po_edit.py); NULL on every row no cut has ended, and reset by any other change of the end
    end_before_cut: Mapped[date | None] = mapped_column(Date)
    cause_before_cut: Mapped[str | None] = mapped_column(String(8))

    job: Mapped[JobOrder] = relationship(back_populates="assignments")
    purchase_order = relationship("PurchaseOrder", foreign_keys=[po_id],
                                  primaryjoin="JobPOAssignment.po_id == PurchaseOrder.id", lazy="joined")
    group = relationship("POGroup", foreign_keys=[group_id],
                         primaryjoin="JobPOAssignment.group_id == POGroup.id", lazy="joined")
    __table_args__ = (
        ForeignKeyConstraint(["po_id", "debtor_id"], ["purchase_orders.id", "purchase_orders.debtor_id"],
                             name="fk_job_po_assignments_po_same_debtor", ondelete="RESTRICT"),
        ForeignKeyConstraint(["group_id", "debtor_id"], ["po_groups.id", "po_groups.debtor_id"],
                             name="fk_job_po_assignments_group_same_debtor", ondelete="RESTRICT"),
        CheckConstraint("(po_id IS NULL) <> (group_id IS NULL)", name="po_or_group"),
        CheckConstraint("manual_end IS NULL OR manual_end >= start_date", name="dates_in_order"),
        CheckConstraint("source IN ('manual', 'bulk', 'job_order', 'po_edit')", name="source"),
        CheckConstraint("end_cause IS NULL OR manual_end IS NOT NULL AND end_cause IN ("
                        + ", ".join(f"'{c}'" for c in END_CAUSES) + ")", name="end_cause"),
        CheckConstraint("end_before_cut IS NULL OR manual_end IS NOT NULL AND end_before_cut > manual_end",
                        name="end_before_cut"),
        CheckConstraint("cause_before_cut IS NULL OR end_before_cut IS NOT NULL AND cause_before_cut IN ("
                        + ", ".join(f"'{c}'" for c in END_CAUSES) + ")", name="cause_before_cut"),
        # one PO or group per job per day, with core operators only (no btree_gist): each row is a box,
        # x = the job, y = its days (open end: 9999-12-31) as day numbers, both edges included; two rows
        # of a job overlap when their boxes do. One box key: a GiST insert costs a quarter of the
        # two-range key's (a bulk assignment of 10,000 jobs: 1.3 s to 0.3 s).
        ExcludeConstraint(
            (text(ONE_PER_DAY_BOX), "&&"),
            using="gist", name="ex_job_po_assignments_one_per_day",
        ),
        Index("ix_job_po_assignments_job_start", "job_id", "start_date"),
        Index("ix_job_po_assignments_po", "po_id"),
        Index("ix_job_po_assignments_group", "group_id"),
        Index("ix_job_po_assignments_debtor", "debtor_id"),
    )

    def audit_scope(self):
        return ("job_orders", self.job_id)

    def __str__(self) -> str:
        return f"job {self.job_id} from {self.start_date}"
