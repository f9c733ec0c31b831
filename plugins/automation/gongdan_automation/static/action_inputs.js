/* The actions of a rule or a macro as rows (automation/_action_rows.html): choosing an action in a
 * row's select ([data-action-select]) puts that action's fields in the row, copied from
 * <template id="action-inputs-NAME"> with the row's number (data-action-row) in place of __row__.
 * Without JavaScript the form shown again after saving carries the chosen action's fields. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var select = event.target.closest("[data-action-select]");
    if (!select) {
      return;
    }
    var row = select.closest("[data-action-row]");
    var box = row ? row.querySelector("[data-action-inputs]") : null;
    if (!box) {
      return;
    }
    var template = document.getElementById("action-inputs-" + select.value.split(".").join("-"));
    var n = row.getAttribute("data-action-row");
    box.innerHTML = template ? template.innerHTML.split("__row__").join(n) : "";
  });
})();
