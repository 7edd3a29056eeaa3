"""Documents (item `documents`): drafts with an htmx line editor, posting, voiding, crediting."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from uuid import uuid4

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.authz import requires
from portal.blueprints import exporting
from portal.blueprints.documents.forms import DocumentForm, document_input, lines_from, row_problems
from portal.blueprints.forms import apply_errors, day_arg, int_or_none, offer_debtors, page_arg
from portal.extensions import db
from portal.htmx import is_partial, render
from portal.services import audit, document_choices, documents as service, posting, reports
from portal.services.debtors import all_debtors
from portal.services.documents import parse_decimal
from portal.services.errors import Conflict, ValidationFailed

bp = Blueprint("documents", __name__, url_prefix="/documents")


@bp.get("/", strict_slashes=False)
@requires("documents", "view")
def index():
    args = request.args
    debtor_id, type_id = int_or_none(args.get("debtor_id")), int_or_none(args.get("type_id"))
    q, status, po = args.get("q", "")[:100], args.get("status", ""), args.get("po", "")[:50]
    typed_from, typed_to = day_arg(args.get("from"), "From"), day_arg(args.get("to"), "To")
    date_from, date_to = typed_from.day, typed_to.day
    filters = {"debtor_id": debtor_id, "q": q, "status": status, "type_id": type_id, "po": po,
               "date_from": date_from, "date_to": date_to}
    if fmt := exporting.requested_format():
        from portal.services import export_lists

        return exporting.send(lambda s, u: export_lists.documents_export(s, u, **filters), fmt)
    choices = document_choices.list_filters(db.session)
    page = service.list_documents(db.session, current_user, **filters, types=choices.document_types,
                                  page=page_arg(args.get("page")), per_page=current_app.config["PAGE_SIZE"])
    params = {k: v for k, v in (("q", q), ("debtor_id", debtor_id), ("status", status), ("type_id", type_id),
                                ("po", po), ("from", date_from and date_from.isoformat()),
                                ("to", date_to and date_to.isoformat())) if v}
    return render("documents/index.html", "documents/_rows.html", page=page, debtors=choices.debtors,
                  debtor_id=debtor_id, q=q, doc_status=status, types=choices.document_types, type_id=type_id, po=po,
                  typed_from=typed_from, typed_to=typed_to, params=params,
                  spend_report=reports.may_see_spend_report(current_user))


def _editor_context(debtor_id: int | None, type_id: int | None, lines=()) -> dict:
    """The editor's pickers for the debtor and document type, naming the jobs and POs `lines` hold."""
    return document_choices.editor_choices(db.session, current_user, debtor_id, type_id=type_id,
                                           job_ids=[l.job_id for l in lines],
                                           po_ids=[l.explicit_po_id for l in lines])


def _choices(form: DocumentForm) -> None:
    choices = document_choices.form_choices(db.session)
    offer_debtors(form.debtor_id, choices.debtors)
    form.document_type_id.choices = [(None, "— choose —")] + [(t.id, t.name) for t in choices.document_types]


def _edit(doc=None):
    form = DocumentForm(obj=doc) if request.method == "GET" else DocumentForm()
    _choices(form)
    # another debtor: the rows come back with that debtor's jobs and POs, what was typed kept
    # another debtor or type: the rows come back with the POs it may name (queued with "Add line" on the form,
    # so a row added while they are on their way is neither lost nor left out)
    form.debtor_id.render_kw = form.document_type_id.render_kw = {
        "hx-post": url_for("documents.lines"), "hx-trigger": "change", "hx-include": "#document-form",
        "hx-target": "#document-lines", "hx-swap": "outerHTML", "hx-sync": "#document-form:queue all"}
    lines: tuple = ()
    if request.method == "GET":
        if doc is None:
            form.debtor_id.data = int_or_none(request.args.get("debtor_id"))
            form.document_type_id.data = int_or_none(request.args.get("type_id"))
            form.doc_date.data = date.today()
            job_id = int_or_none(request.args.get("job_id"))  # "New invoice" on a job's page: a first line for it
            if job_id in document_choices.editor_job_ids(db.session, current_user, form.debtor_id.data, [job_id]):
                lines = (service.LineInput(job_id, None, None, None),)
        else:
            form.row_version.data = str(doc.row_version)
        lines = tuple(service.LineInput(l.job_id, l.bill_code_id, l.quantity, l.rate, l.service_date, l.description,
                                        l.po_id if l.explicit_po else None, l.source_line_id) for l in doc.lines) if doc else lines
        problems = []
    else:
        lines, problems = lines_from(request)
    shown = tuple(problems)  # each line's problems, shown by its row too
    if form.validate_on_submit() and not problems:
        try:
            saved = service.save_draft(db.session, current_user, doc.id if doc else None, document_input(form, lines),
                                       expected_version=form.edited_version() if doc else None)
        except ValidationFailed as exc:
            apply_errors(form, exc)
            shown = exc.line_problems
        except Conflict as exc:
            form.form_errors = [str(exc)]
        else:
            flash(f"Draft {saved.number} saved.", "success")
            return redirect(url_for("documents.detail", doc_id=saved.id))
    if problems:
        form.form_errors = list(form.form_errors or []) + [p.message for p in problems]
    data = document_input(form, lines)
    funding = service.describe_funding(db.session, current_user, data) if lines else []
    keys = [uuid4().hex for _ in lines]
    return render_template("documents/form.html", form=form, doc=doc, rows=list(zip(keys, lines,
                           funding or [None] * len(lines))), line_problems=row_problems(keys, shown),
                           **_editor_context(form.debtor_id.data, form.document_type_id.data, lines))


@bp.route("/new", methods=["GET", "POST"])
@requires("documents", "add_edit")
def create():
    return _edit()


@bp.route("/<int:doc_id>/edit", methods=["GET", "POST"])
@requires("documents", "add_edit")
def edit(doc_id: int):
    doc = service.get_document(db.session, current_user, doc_id)
    if doc.status != "draft":
        flash(f"{doc.number} is {doc.status}: only drafts can be edited.", "error")
        return redirect(url_for("documents.detail", doc_id=doc_id))
    service.check_lines_visible(current_user, doc.lines)
    return _edit(doc)


@bp.post("/line-editor")
@requires("documents", "add_edit")
def line_editor():
    """Each line's funding ("PO 4500123 / line 2 (OT) — 12,400.00 remaining"), as out-of-band
    swaps of the rows' funding cells: the rows themselves (and what is being typed) are not replaced."""
    form = DocumentForm()
    _choices(form)
    keys: list[str] = []
    lines, _ = lines_from(request, keys)
    funding = service.describe_funding(db.session, current_user, document_input(form, lines))
    return render_template("documents/_funding.html", rows=list(zip(keys, funding)))


@bp.post("/lines")
@requires("documents", "add_edit")
def lines():
    """The editor's rows again after the debtor or the type changed: quantities, rates, dates and descriptions
    stay; a job or PO of the old debtor is dropped, and the lists offer the new debtor's (its POs the type may
    name; a PO a row holds stays, its funding cell saying whether the type may name it)."""
    form = DocumentForm()
    _choices(form)
    keys: list[str] = []
    rows, _ = lines_from(request, keys)
    debtor_id = form.debtor_id.data
    jobs = document_choices.editor_job_ids(db.session, current_user, debtor_id, [l.job_id for l in rows])
    pos = document_choices.editor_po_ids(db.session, debtor_id, [l.explicit_po_id for l in rows])
    rows = tuple(replace(l, job_id=l.job_id if l.job_id in jobs else None,
                         explicit_po_id=l.explicit_po_id if l.explicit_po_id in pos else None) for l in rows)
    funding = service.describe_funding(db.session, current_user, document_input(form, rows))
    return render_template("documents/_lines.html", rows=list(zip(keys, rows, funding)), suggestions_out_of_band=True,
                           **_editor_context(debtor_id, form.document_type_id.data, rows))


@bp.get("/job-options")
@requires("documents", "add_edit")
def job_options():
    """A typed job box's suggestions (a debtor with many jobs), narrowed to what the box holds."""
    debtor_id = int_or_none(request.args.get("debtor_id")) or 0
    jobs = document_choices.job_options(db.session, current_user, debtor_id, request.args.get("job_search", "")[:100])
    return render_template("documents/_job_options.html", jobs=jobs)


@bp.get("/po-options")
@requires("documents", "add_edit")
def po_options():
    """A typed PO box's suggestions (a debtor with many POs), narrowed to what the box holds."""
    debtor_id = int_or_none(request.args.get("debtor_id")) or 0
    pos = document_choices.po_options(db.session, debtor_id, request.args.get("po_search", "")[:100],
                                      int_or_none(request.args.get("type_id")))
    return render_template("documents/_po_options.html", pos=pos)


@bp.post("/line-row")
@requires("documents", "add_edit")
def line_row():
    """A blank line for the editor, with the debtor's jobs and POs."""
    form = request.form
    context = _editor_context(int_or_none(form.get("debtor_id")), int_or_none(form.get("document_type_id")))
    return render_template("documents/_line_row.html", line=service.LineInput(None, None, None, None), key=uuid4().hex,
                           f=None, focus_row=True, **context)


def _reassign_targets(doc, *, open_now: bool) -> list | None:
    """The POs a posted invoice's reassign form offers; None when the debtor has so many that the form
    is drawn only when the user opens it (a thousand POs made every invoice page 65 KB)."""
    offered = document_choices.count_reassign_targets(db.session, doc.debtor_id, doc.document_type_id,
                                                      up_to=document_choices.REASSIGN_INLINE)
    if offered > document_choices.REASSIGN_INLINE and not open_now:
        return None
    return document_choices.reassign_targets(db.session, doc.debtor_id, doc.document_type_id)


def _detail(doc, *, open_reassign: bool = False, **extra):
    """The document page: its lines (job security applied) and the action panels the user may use
    (`open_reassign`: the reassign form drawn at once, however many POs it offers)."""
    shown = service.lines_shown(current_user, doc)
    busy = extra.get("result") is not None or extra.get("reassign") is not None
    types = [] if busy else service.derivable_types(db.session, doc)
    pos, reassign_later = [], False
    if not busy and doc.lines_reassignable and current_user.can("po_assign_invoiced_item"):
        pos = _reassign_targets(doc, open_now=open_reassign)
        pos, reassign_later = pos or [], pos is None
    left = service.credit_standing(db.session, doc) if types or pos else {}  # both panels show what is left
    context = {"doc": doc, "types": types, "pos": pos, "reassign_later": reassign_later, "history": [],
               "result": None, "reassign": None, "credit_left": left,
               "open_qty": service.open_quantities(db.session, doc, left=left or None) if types and (
                   doc.document_type.is_order or doc.document_type.is_invoice) else {},
               "voidable": service.may_void(doc), "void_blocker": service.may_void(doc) and service.void_blocker(db.session, doc), "funding": service.draft_funding(db.session, current_user, doc, shown["lines"]),
               "suggested_number": service.suggested_number(db.session, types[0]) if types else "",
               "derive_error": None, "typed_qty": {}, "typed_type_id": None,
               "reassign_error": None, "typed_reassign": {"target": "", "line_ids": set(), "reason": ""}}
    context.update(shown)
    context.update(extra)
    if extra.get("typed_number") is not None:
        context["suggested_number"] = extra["typed_number"]
    return render_template("documents/detail.html", **context)


@bp.get("/<int:doc_id>")
@requires("documents", "view")
def detail(doc_id: int):
    doc = service.get_document(db.session, current_user, doc_id, with_line_refs=True)
    history = audit.history_of(db.session, "documents", doc.id) if request.args.get("tab") == "history" else []
    return _detail(doc, history=history, open_reassign=request.args.get("reassign") == "1")


@bp.get("/<int:doc_id>/reassign-form")
@requires("po_assign_invoiced_item")
def reassign_form(doc_id: int):
    """A posted invoice's reassign form, drawn when the user opens it; without htmx, the invoice's page
    with the form drawn."""
    if not is_partial():
        return redirect(url_for("documents.detail", doc_id=doc_id, reassign="1", _anchor="reassign-panel"))
    if not current_user.can("documents", "view"):
        abort(403)
    doc = service.get_document(db.session, current_user, doc_id, with_line_refs=True)
    service.check_lines_visible(current_user, doc.lines)  # as the move itself: not with other branches' lines
    pos = (document_choices.reassign_targets(db.session, doc.debtor_id, doc.document_type_id)
           if doc.lines_reassignable else [])
    return render_template("documents/_reassign_form.html", doc=doc, pos=pos,
                           credit_left=service.credit_standing(db.session, doc) if pos else {},
                           **service.lines_shown(current_user, doc))


@bp.get("/<int:doc_id>/derive-number")
@requires("documents", "add_edit")
def derive_number(doc_id: int):
    """The number field of the "make a draft" panel, pre-filled for the type chosen."""
    doc = service.get_document(db.session, current_user, doc_id)
    types = {t.id: t for t in service.derivable_types(db.session, doc)}
    chosen = types.get(int_or_none(request.args.get("type_id")))
    return render_template("documents/_derive_number.html",
                           suggested_number=service.suggested_number(db.session, chosen) if chosen else "")


@bp.post("/<int:doc_id>/post")
@requires("documents", "add_edit")
def post(doc_id: int):
    """Post, or (warnings, a block) send the user to the check page: a page of its own that a reload
    or a bookmark shows again (post/redirect/get), with Cancel."""
    confirmed, override = request.form.get("confirmed") == "1", request.form.get("override") == "1"
    try:
        result = posting.post(db.session, current_user, doc_id, confirmed=confirmed, override=override,
                              seen=_seen(confirmed or override))
    except Conflict as exc:
        flash(str(exc), "error")
        return redirect(url_for("documents.detail", doc_id=doc_id))
    if result.posted:
        flash(f"{result.number} posted." + (" Posted past a blocked budget (override recorded)." if result.overridden else ""),
              "success")
        for subject in result.alerts:
            flash(f"Alert raised: {subject}", "warning")
        return redirect(url_for("documents.detail", doc_id=doc_id))
    if result.changed:
        flash(CHANGED_SINCE_CHECKED, "warning")
    return redirect(url_for("documents.confirm_post", doc_id=doc_id))


CHANGED_SINCE_CHECKED = ("Not posted: the draft or its POs changed since you checked it, and so did its warnings. "
                         "Read them again below.")


def _seen(confirming: bool) -> str | None:
    """The check the user confirmed (the check page's digest), when the form confirms or overrides: a form
    confirming without one confirms nothing."""
    return request.form.get("seen", "")[:64] if confirming else None


@bp.get("/<int:doc_id>/post")
@requires("documents", "add_edit")
def confirm_post(doc_id: int):
    """The check before posting: every warning (the figure a block decides on included); nothing is written."""
    doc = service.get_document(db.session, current_user, doc_id)
    if doc.status != "draft":
        flash(f"{doc.number} is already {doc.status}.", "info")
        return redirect(url_for("documents.detail", doc_id=doc_id))
    result = posting.post(db.session, current_user, doc_id, check_only=True)
    return _detail(service.get_document(db.session, current_user, doc_id), result=result)


@bp.post("/<int:doc_id>/void")
@requires("documents", "add_edit")
def void(doc_id: int):
    try:
        posting.void(db.session, current_user, doc_id)
    except Conflict as exc:
        flash(str(exc), "error")
    else:
        flash("Voided: what it drew on its POs is released.", "success")
    return redirect(url_for("documents.detail", doc_id=doc_id))


def _derive_refused(source, message: str, typed: dict[int, str]):
    """The document page again with the refusal in its "make a draft" panel and what was typed kept (a
    redirect put the panel's defaults back: clicking again would have credited the whole invoice)."""
    db.session.rollback()
    doc = service.get_document(db.session, current_user, source.id, with_line_refs=True)
    return _detail(doc, derive_error=message, typed_qty=typed, typed_number=request.form.get("number", "")[:30],
                   typed_type_id=int_or_none(request.form.get("type_id"))), 422


@bp.post("/<int:doc_id>/derive")
@requires("documents", "add_edit")
def derive(doc_id: int):
    source = service.get_document(db.session, current_user, doc_id)
    service.check_lines_visible(current_user, source.lines)
    quantities, typed, bad = {}, {}, []
    for line in source.lines:  # every line's text kept, then every bad one named
        raw = request.form.get(f"qty-{line.id}")
        if raw is None:
            continue
        typed[line.id] = raw[:40]
        qty = parse_decimal(raw) if raw.strip() else line.quantity
        if qty is None:
            bad.append(f"Line {line.line_no}: enter a quantity from 0 to {line.quantity.normalize():f}.")
        quantities[line.id] = qty
    if bad:
        return _derive_refused(source, " ".join(bad), typed)
    try:
        doc = service.derive(db.session, current_user, doc_id, int_or_none(request.form.get("type_id")) or 0,
                             quantities=quantities, number=request.form.get("number", ""))
    except ValidationFailed as exc:
        return _derive_refused(source, str(exc), typed)
    flash(f"Draft {doc.number} made from {source.number}: check it, then post it.", "success")
    return redirect(url_for("documents.detail", doc_id=doc.id))


def _reassign_args(values) -> tuple[str, list[int], str]:
    target = values.get("target", "")[:40]
    line_ids = [i for i in (int_or_none(v) for v in values.getlist("line_id")[:500]) if i and i > 0]
    return target, line_ids, values.get("reason", "")[:1000]


def _reassign_refused(doc_id: int, message: str, target: str, line_ids: list[int], reason: str):
    """The invoice's page again with the refusal in its reassign form and what was chosen kept (a redirect
    emptied the reason and the ticked lines)."""
    db.session.rollback()
    doc = service.get_document(db.session, current_user, doc_id, with_line_refs=True)
    return _detail(doc, open_reassign=True, reassign_error=message,
                   typed_reassign={"target": target, "line_ids": set(line_ids), "reason": reason}), 422


@bp.post("/<int:doc_id>/reassign")
@requires("po_assign_invoiced_item")
def reassign(doc_id: int):
    """Move the lines, or (warnings, a block) send the user to the check page (post/redirect/get)."""
    target, line_ids, reason = _reassign_args(request.form)
    po_id, _, line_id = target.partition(":")
    confirmed, override = request.form.get("confirmed") == "1", request.form.get("override") == "1"
    try:
        result = posting.reassign(db.session, current_user, doc_id, line_ids, int_or_none(po_id) or 0,
                                  int_or_none(line_id), reason=reason, confirmed=confirmed, override=override,
                                  seen=_seen(confirmed or override))
    except ValidationFailed as exc:
        return _reassign_refused(doc_id, str(exc), target, line_ids, reason)
    if result.moved:
        flash(f"{result.moved} line{'s' if result.moved != 1 else ''} moved; the PO balances moved with them."
              + (" Moved past a blocked budget (override recorded)." if result.overridden else ""), "success")
        for subject in result.alerts:
            flash(f"Alert raised: {subject}", "warning")
        return redirect(url_for("documents.detail", doc_id=doc_id))
    if result.changed:
        flash("Not moved: the POs changed since you checked, and so did the warnings. Read them again below.",
              "warning")
    return redirect(url_for("documents.confirm_reassign", doc_id=doc_id, target=target, line_id=line_ids, reason=reason))


@bp.get("/<int:doc_id>/reassign")
@requires("po_assign_invoiced_item")
def confirm_reassign(doc_id: int):
    """The check before moving posted lines; nothing is written."""
    target, line_ids, reason = _reassign_args(request.args)
    po_id, _, line_id = target.partition(":")
    try:
        result = posting.reassign(db.session, current_user, doc_id, line_ids, int_or_none(po_id) or 0,
                                  int_or_none(line_id), reason=reason, check_only=True)
    except ValidationFailed as exc:
        flash(str(exc), "error")
        return redirect(url_for("documents.detail", doc_id=doc_id))
    return _detail(service.get_document(db.session, current_user, doc_id), reassign=result,
                   reassign_form={"target": target, "line_ids": line_ids, "reason": reason})


@bp.get("/report")
@requires("documents", "view")
def report():
    """Spend by PO number, on-the-fly numbers included (seed 003's reporting and invoice grouping); refused,
    with the reason, to a user limited to branches (its figures cover every branch's jobs)."""
    reports.check_spend_report(current_user)
    debtor_id = int_or_none(request.args.get("debtor_id"))
    debtor_list = all_debtors(db.session)
    debtors = {d.id: d for d in debtor_list}
    if debtor_id not in debtors:
        debtor_id = None
    if fmt := exporting.requested_format():
        from portal.services import export_lists

        codes = {i: d.code for i, d in debtors.items()}
        return exporting.send(lambda s, u: export_lists.spend_export(s, u, codes, debtor_id), fmt)
    page = reports.spend_by_po_number(db.session, debtor_id, page=page_arg(request.args.get("page")))
    return render("documents/report.html", "documents/_report_rows.html", page=page, rows=page.rows,
                  debtors=debtors, debtor_list=debtor_list, debtor_id=debtor_id)


def _uploaded_text() -> tuple[str, str | None]:
    """The CSV's text (the upload, or the preview's copy posted back) and why it cannot be imported, if so."""
    upload = request.files.get("file")
    raw = upload.read() if upload else request.form.get("content", "").encode()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "", "The file must be UTF-8 text (CSV)."
    return text, None if text.strip() else "Choose a CSV file."


@bp.route("/import", methods=["GET", "POST"])
@requires("documents", "add_edit")
def csv_import():
    """Upload a billing system's CSV export, preview it with per-row errors and the posting's warnings, then
    post it all or nothing."""
    from portal.services import csv_import as importer

    preview = outcome = error = None
    text, posting_it = "", request.form.get("action") == "post"
    if request.method == "POST":
        text, error = _uploaded_text()
        if not error:
            preview, outcome, error = importer.preview_or_post(
                db.session, current_user, text, post=posting_it, seen=request.form.get("seen", "")[:64])
    if outcome is not None and outcome.posted:  # post/redirect/get: a refresh does not send the file again
        flash(importer.posted_message(outcome.posted), "success")
        return redirect(url_for("documents.csv_import"))
    return render_template("documents/import.html", preview=preview, outcome=outcome, content=text, error=error,
                           asked=posting_it and outcome is not None and outcome.needs_confirmation,
                           columns=importer.REQUIRED + importer.OPTIONAL)
