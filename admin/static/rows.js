/* Repeatable rows (console/_rows.html): a button with data-add-row="ID" copies the blank row kept in
 * <template id="ID-template">, numbering it with the list's data-next in place of data-placeholder.
 * Without JavaScript the form still offers one blank row per list, so the button starts hidden. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-add-row]").forEach(function (button) { button.hidden = false; });
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-row]");
    if (!button) {
      return;
    }
    var id = button.getAttribute("data-add-row");
    var list = document.getElementById(id);
    var template = document.getElementById(id + "-template");
    if (!list || !template) {
      return;
    }
    var next = parseInt(list.getAttribute("data-next"), 10) || list.children.length;
    var placeholder = button.getAttribute("data-placeholder") || "__n__";
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.split(placeholder).join(String(next));
    var added = Array.prototype.slice.call(holder.children);
    added.forEach(function (child) { list.appendChild(child); });
    list.setAttribute("data-next", String(next + 1));
    // nested lists copied along get their own add buttons shown
    added.forEach(function (child) {
      child.querySelectorAll("[data-add-row]").forEach(function (inner) { inner.hidden = false; });
    });
    var first = added.length ? added[0].querySelector("input, select") : null;
    if (first) {
      first.focus();
    }
  });
})();
