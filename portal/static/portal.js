// The portal's only script: confirmation before destructive form posts. No inline handlers (CSP).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var message = form.getAttribute && form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
}, true);

// Line editors: a row's Remove button takes the row out, then the editor recomputes its total.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-remove-row]");
  if (!button) { return; }
  var row = button.closest("tr");
  if (row) { row.remove(); }
  document.body.dispatchEvent(new CustomEvent("lines-changed"));
});

// PO form: a master PO's amount is the sum of its lines, so the form shows lines or amount by kind.
document.addEventListener("change", function (event) {
  if (event.target.id === "kind" && event.target.form && event.target.form.id === "po-form") {
    event.target.form.setAttribute("data-kind", event.target.value);
  }
});
