// The portal's only script. No inline handlers (CSP).

// A form is sent once. The second click of a double click sent a plain form again while its answer was on its way;
// the optimistic check refused the copy ("changed by someone else") and that refusal was the page shown, so a user
// following it made the change twice. A plain POST form on its way drops a further submit (Enter included) and its
// submit buttons are disabled, after the browser has read the form (a timeout: a named button such as "Override and
// post" still sends its name and value). An htmx form's submit buttons are disabled while its request is out (htmx
// would queue the second click's request and send it after the first).
// A plain form's buttons come back whenever its page is still (or again) the one shown with no answer on its way:
// - Back to the page: "pageshow" (a page restored from the back/forward cache keeps its script state, held buttons
//   included; any other is loaded anew). Firefox also restores a button's disabled state into a page loaded anew,
//   where no marker says it was held: a held button carries autocomplete="off", which tells Firefox not to.
// - The load stopped (Esc, the browser's Stop): no event tells the page, so Esc pressed while a form is on its way
//   gives the buttons back at once, and any form still on its way after HOLD_LIMIT_MS does too (the Stop button,
//   a lost connection). A server slower than that may then get a second click; its stale-form check refuses a copy.
var HOLD_LIMIT_MS = 10000, sendings = 0;
function submitButtons(form) {
  return Array.prototype.filter.call(form.elements || [], function (control) {
    return (control.type === "submit" || control.type === "image") && !control.disabled;
  });
}
function holdButtons(buttons) {
  buttons.forEach(function (button) {
    button.disabled = true;
    button.setAttribute("data-held", "");
    button.setAttribute("autocomplete", "off");
  });
}
function releaseButtons(buttons) {
  buttons.forEach(function (button) {
    if (button.hasAttribute("data-held")) { button.disabled = false; button.removeAttribute("data-held"); }
  });
}
document.addEventListener("submit", function (event) {  // first of the capture listeners: before the confirmation
  if (event.target.hasAttribute && event.target.hasAttribute("data-sending")) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
document.addEventListener("submit", function (event) {  // htmx's own submits are prevented by then
  var form = event.target;
  if (event.defaultPrevented || !form.getAttribute || (form.getAttribute("method") || "").toLowerCase() !== "post") {
    return;
  }
  var sending = String(++sendings);  // the limit of this send only: not of a later one after Esc gave it back
  form.setAttribute("data-sending", sending);
  setTimeout(function () { holdButtons(submitButtons(form)); }, 0);
  setTimeout(function () {
    if (form.getAttribute("data-sending") === sending) { releaseSending(); }
  }, HOLD_LIMIT_MS);
});
function releaseSending() {  // no plain form is on its way any more: each may be sent again
  document.querySelectorAll("form[data-sending]").forEach(function (form) {
    form.removeAttribute("data-sending");
    releaseButtons(Array.prototype.slice.call(form.elements || []));
  });
}
window.addEventListener("pageshow", function () {
  releaseSending();
  releaseButtons(Array.prototype.slice.call(document.querySelectorAll("[data-held]")));  // no htmx request out either
});
document.addEventListener("keydown", function (event) {  // Esc stops the load: the form is no longer on its way
  if (event.key === "Escape" && document.querySelector("form[data-sending]")) { releaseSending(); }
});
document.addEventListener("htmx:beforeRequest", function (event) {  // after htmx read the form and its button
  var form = event.detail.elt, trigger = (event.detail.requestConfig || {}).triggeringEvent;
  if (!trigger || trigger.type !== "submit" || !form || form.tagName !== "FORM" || !event.detail.xhr) { return; }
  var buttons = submitButtons(form), focused = document.activeElement;
  event.detail.xhr.portalHeld = {buttons: buttons, focused: buttons.indexOf(focused) >= 0 ? focused : null, form: form};
  holdButtons(buttons);
});
document.addEventListener("htmx:afterRequest", function (event) {
  var held = event.detail.xhr && event.detail.xhr.portalHeld;
  if (!held) { return; }
  event.detail.xhr.portalHeld = null;
  releaseButtons(held.buttons);
  // a button still on the page (the answer swapped something else) keeps the focus disabling it took away; one
  // the answer swapped in anew (the bulk page's Assign, out of band) hands it to the same button in the form
  var lost = !document.activeElement || document.activeElement === document.body, button = held.focused;
  if (button && !button.isConnected && held.form.isConnected) { button = held.form.querySelector(sameControl(button)); }
  if (button && button.isConnected && !button.disabled && lost) {
    button.focus();
  }
});

// Confirmation before destructive form posts.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var message = form.getAttribute && form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
}, true);

// Line editors: a row's Remove button takes the row out, then the editor recomputes its total. The click
// blurs a box just changed, whose change already asked the rows' editor (the tbody) to recompute with this
// row; its answer names this row's funding cell, so while it is in flight the row is only hidden, and is
// taken out when the answer is in (taken out first, the answer's out-of-band swap found no cell:
// htmx:oobErrorNoTarget in the console).
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-remove-row]");
  if (!button) { return; }
  var row = button.closest("tr"), rows = row && row.parentNode;
  var takeOut = function () {
    if (row) { row.remove(); }
    document.body.dispatchEvent(new CustomEvent("lines-changed"));
  };
  if (!rows || !rows.classList.contains("htmx-request")) { takeOut(); return; }
  row.hidden = true;
  rows.addEventListener("htmx:afterRequest", function answered(done) {
    if (done.target !== rows) { return; }  // a typed box's suggestions, asked from inside a row
    rows.removeEventListener("htmx:afterRequest", answered);
    takeOut();
  });
});

// PO form: a master PO's amount is the sum of its lines, so the form shows lines or amount by kind.
document.addEventListener("change", function (event) {
  if (event.target.id === "kind" && event.target.form && event.target.form.id === "po-form") {
    event.target.form.setAttribute("data-kind", event.target.value);
  }
});

// Bulk assignment: unticked jobs travel as exclusions (the filter selects the rest), never as 10,000 ids.
document.addEventListener("change", function (event) {
  if (!event.target.classList || !event.target.classList.contains("bulk-pick")) { return; }
  var holder = document.getElementById("bulk-exclusions");
  if (!holder) { return; }
  var existing = holder.querySelector('input[value="' + event.target.value + '"]');
  if (event.target.checked && existing) { existing.remove(); }
  if (!event.target.checked && !existing) {
    var input = document.createElement("input");
    input.type = "hidden"; input.name = "exclude"; input.value = event.target.value;
    holder.appendChild(input);
  }
});

// Document line editor: a new document type or date can change every line's funding, so the rows recompute.
document.addEventListener("change", function (event) {
  var id = event.target.id;
  if (event.target.form && event.target.form.id === "document-form" &&
      (id === "document_type_id" || id === "doc_date")) {
    document.body.dispatchEvent(new CustomEvent("lines-changed"));
  }
});

// Catalog charge form: enabling PO pricing clears and disables the override amount and shows the markups.
document.addEventListener("change", function (event) {
  if (event.target.id !== "po_pricing" || !event.target.form || event.target.form.id !== "charge-form") { return; }
  var form = event.target.form, override = form.querySelector("#override_amount");
  if (event.target.checked) {
    form.setAttribute("data-po-pricing", "on");
    if (override) { override.value = ""; override.disabled = true; }
  } else {
    form.removeAttribute("data-po-pricing");
    if (override) { override.disabled = false; }
  }
});

// htmx 2 does not swap an error answer (400 for a control character, 403, 500 …): show the error
// page's message above the content instead of leaving the click without any visible answer.
document.addEventListener("htmx:responseError", function (event) {
  var xhr = event.detail.xhr;
  var page = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
  var text = page.querySelector(".error-page p");
  var box = document.getElementById("request-error");
  if (!box) {
    box = document.createElement("p");
    box.id = "request-error";
    box.className = "flash flash-error";
    box.setAttribute("role", "alert");
    document.querySelector("main").prepend(box);
  }
  box.textContent = text ? text.textContent : "The request failed (" + xhr.status + "). Reload the page and try again.";
});

// the next good answer clears the error shown above
document.addEventListener("htmx:afterSwap", function () {
  var box = document.getElementById("request-error");
  if (box) { box.remove(); }
});

// A PO picker's search box sits inside the form it fills: Enter there searches at once, never submits the form.
document.addEventListener("keydown", function (event) {
  if (event.key !== "Enter" || !event.target.matches || !event.target.matches("input[data-search-only]")) { return; }
  event.preventDefault();
  if (window.htmx) { window.htmx.trigger(event.target, "search"); }
});

// The line editor's typed job and PO boxes (a debtor with many): the box names a suggestion (its whole
// name, or its job or PO number alone, in any case), the hidden field beside it carries that suggestion's
// id. Run before htmx's own listeners (capture), so the funding recomputed on change already has the id,
// and again when the suggestions narrow. Text naming no suggestion clears the id, except the name last
// picked, which stays when the suggestions narrow past it.
function pickFromList(input) {
  var hidden = input.parentNode.querySelector('input[type=hidden][name="' + input.getAttribute("data-pick") + '"]');
  if (!hidden) { return; }
  var options = input.list ? input.list.options : [], typed = input.value.trim().toUpperCase();
  for (var i = 0; i < options.length; i++) {
    var key = (options[i].getAttribute("data-key") || "").toUpperCase();
    if (options[i].value === input.value || (typed && key === typed)) {
      hidden.value = options[i].getAttribute("data-id") || "";
      input.setAttribute("data-picked", input.value);
      return;
    }
  }
  if (input.value !== input.getAttribute("data-picked")) { hidden.value = ""; }
}
["input", "change"].forEach(function (type) {
  document.addEventListener(type, function (event) {
    if (event.target.matches && event.target.matches("input[data-pick]")) { pickFromList(event.target); }
  }, true);
});
document.addEventListener("htmx:afterSettle", function (event) {
  var list = event.detail.elt;
  if (!list || list.tagName !== "DATALIST") {
    list = document.activeElement && document.activeElement.matches && document.activeElement.matches("input[data-pick]")
      ? document.activeElement.list : null;
  }
  if (!list) { return; }
  document.querySelectorAll('input[data-pick][list="' + list.id + '"]').forEach(function (input) {
    if (input.value.trim()) { pickFromList(input); }
  });
});

// A form sent back with errors: focus its first invalid field (else its error message), so the keyboard and
// the screen reader start on what to fix, on a page answering a submit and after an htmx submit's swap alike
// (in the swapped part, else in the form sent: a field swapped out of band). A redraw that replaces the field
// focused so (the bulk page redraws its part for the day when the start date changes) focuses it again.
var focusedForError = null;
function focusFirstError(root) {
  var spot = root.querySelector('[aria-invalid="true"]') || root.querySelector(".form-error, .field-error");
  if (!spot) { return false; }
  if (!spot.matches("input, select, textarea, button, a[href]")) { spot.setAttribute("tabindex", "-1"); }
  spot.focus();
  focusedForError = spot;
  return true;
}
document.addEventListener("submit", function (event) {  // htmx's own submits are prevented by then
  if (!event.defaultPrevented) { sessionStorage.setItem("portal-submitted", "1"); }
});
document.addEventListener("DOMContentLoaded", function () {
  if (!sessionStorage.getItem("portal-submitted")) { return; }
  sessionStorage.removeItem("portal-submitted");
  var main = document.querySelector("main");
  if (main) { focusFirstError(main); }
});
document.addEventListener("htmx:afterSettle", function (event) {
  var request = event.detail.requestConfig || {}, xhr = event.detail.xhr || {}, sent = request.elt;
  var submitted = request.triggeringEvent && request.triggeringEvent.type === "submit";
  var replaced = focusedForError && !focusedForError.isConnected && document.activeElement === document.body;
  if ((!submitted && !replaced) || xhr.portalFocused || !event.target.querySelector) { return; }
  focusedForError = null;
  var form = submitted && sent ? sent.closest("form") || sent : null;
  if (form && !form.isConnected) { form = form.id ? document.getElementById(form.id) : null; }  // redrawn since
  xhr.portalFocused = focusFirstError(event.target) || (form !== null && focusFirstError(form));
});

// Content an htmx swap brings in may say where the keyboard goes next (data-focus): the first box of a line just
// added, a grid row's message or its prompt's first choice after the row saved. The swap replaced the control that
// had the focus, or left it on a button that added the line, and a keyboard user had to find their way back from the
// top of the page. An answer showing errors focuses its first error instead (above). The newest such element wins
// (a row added at the end of the rows); the attribute is spent once used.
document.addEventListener("htmx:afterSettle", function (event) {
  var root = event.target, xhr = event.detail.xhr || {};
  if (!root.querySelectorAll) { return; }
  var spots = Array.prototype.slice.call(root.querySelectorAll("[data-focus]"));
  if (root.matches("[data-focus]")) { spots.unshift(root); }
  if (!spots.length) { return; }
  spots.forEach(function (spot) { spot.removeAttribute("data-focus"); });
  if (xhr.portalFocused) { return; }
  var spot = spots[spots.length - 1];
  if (!spot.matches("input, select, textarea, button, a[href]")) { spot.setAttribute("tabindex", "-1"); }
  spot.focus();
  xhr.portalFocused = true;
});

// Bulk assignment: Assign, held back after a preview that would assign no job, comes back with any change.
document.addEventListener("change", function (event) {
  var form = event.target.form, apply = form && form.querySelector("button[data-nothing-to-assign]");
  if (!apply || form.id !== "bulk-form") { return; }
  apply.disabled = false;
  apply.removeAttribute("data-nothing-to-assign");
  apply.removeAttribute("aria-describedby");
  var why = document.getElementById("bulk-apply-why");
  if (why) { why.remove(); }
});

// A choice that reloads only what depends on it (a service desk item's debtor, equipment's catalog item, a new
// PO's debtor) is not itself redrawn: once a value is chosen there, the error the last save put under it is out
// of date. The next save checks the choice again.
document.addEventListener("htmx:afterSwap", function (event) {
  var trigger = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
  var control = trigger && trigger.type === "change" ? trigger.target : null;
  if (!control || !control.isConnected || !control.matches('select[aria-invalid="true"]') || !control.value) {
    return;
  }
  var errors = (control.getAttribute("aria-describedby") || "").split(" ").filter(Boolean)
    .map(function (id) { return document.getElementById(id); }).concat([control.nextElementSibling]);
  errors.forEach(function (error) {
    if (error && error.classList.contains("field-error")) { error.remove(); }
  });
  control.removeAttribute("aria-invalid");
  var left = (control.getAttribute("aria-describedby") || "").split(" ")
    .filter(function (id) { return id && document.getElementById(id); });
  if (left.length) {
    control.setAttribute("aria-describedby", left.join(" "));
  } else {
    control.removeAttribute("aria-describedby");
  }
});

// A field's error drawn apart from the field (the grid's date: a change answers with its error out of band and
// leaves the box, and what is typed in it, alone): the field is marked invalid while its error holds a message.
document.addEventListener("htmx:afterSettle", function () {
  document.querySelectorAll("[data-error-for]").forEach(function (error) {
    var field = document.getElementById(error.getAttribute("data-error-for"));
    if (!field) { return; }
    if (error.textContent.trim()) {
      field.setAttribute("aria-invalid", "true");
    } else {
      field.removeAttribute("aria-invalid");
    }
  });
});

// A redraw asked with GET that includes a form (a filter, the job panel's PO choice, the bulk page's date) leaves
// the form's CSRF token out: in a query string it lands in access logs, proxies and the browser's history. The
// token travels only in POST bodies.
// A change asked from a page with an as-of box (the grid's rows, a job's panel) says what the box holds now: a day
// typed there and not yet applied (Assign clicked straight after typing) differs from the day the row shows, and
// the change is refused instead of made on the day shown (the form's own as_of wins over an included field).
document.addEventListener("htmx:configRequest", function (event) {
  if (event.detail.verb === "get") { delete event.detail.parameters.csrf_token; }
  var asks = event.detail.elt.closest && event.detail.elt.closest("[data-as-of-box]");
  var box = asks && document.querySelector(asks.getAttribute("data-as-of-box"));
  if (box) { event.detail.parameters.as_of_typed = box.value; }
});

// A part redrawn in place that holds the control with the focus (data-keep-focus: the bulk page's part for the
// day, which the start date's change redraws while Tab has moved on to a job's box) gives the focus to the same
// control in the new content: htmx keeps it only for a control with an id, and the box left the page with the
// focus. The same control: same tag, name and type, and for a box to tick or a button, same value.
function sameControl(control) {
  var selector = control.tagName.toLowerCase();
  var attributes = ["name", "type"].concat(control.matches("[type=checkbox], [type=radio], button") ? ["value"] : []);
  attributes.forEach(function (name) {
    if (control.hasAttribute(name)) { selector += "[" + name + '="' + CSS.escape(control.getAttribute(name)) + '"]'; }
  });
  return selector;
}
document.addEventListener("htmx:beforeSwap", function (event) {
  var part = event.detail.target, focused = document.activeElement, xhr = event.detail.xhr;
  if (!xhr || !part || !part.matches || !part.matches("[data-keep-focus]") || !focused || focused === part ||
      !part.contains(focused) || focused.id) { return; }
  xhr.portalKeepFocus = {control: focused, selector: sameControl(focused), id: part.id};
});
document.addEventListener("htmx:afterSettle", function (event) {
  var kept = event.detail.xhr && event.detail.xhr.portalKeepFocus;
  if (!kept) { return; }
  event.detail.xhr.portalKeepFocus = null;
  var part = document.getElementById(kept.id);
  var lost = !document.activeElement || document.activeElement === document.body;
  if (!part || kept.control.isConnected || !lost) { return; }
  var control = part.querySelector(kept.selector);
  if (control && !control.disabled) { control.focus(); }
});
