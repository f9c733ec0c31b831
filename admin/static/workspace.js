/* The agent's workspace on the ticket page, without inline JavaScript:
 * - <button data-fill-reply="ID"> puts the text of element ID (e.g. a knowledge article) into
 *   the reply editor, to edit before sending, and moves the cursor there;
 * - the bulk form shows the value field its action needs (a labelled select or a tag box).
 */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-fill-reply]");
    if (!button) { return; }
    var source = document.getElementById(button.getAttribute("data-fill-reply"));
    var editor = document.getElementById("reply-body");
    if (!source || !editor) { return; }
    var text = source.value || source.textContent;
    editor.value = editor.value.trim() ? editor.value.replace(/\s+$/, "") + "\n\n" + text : text;
    editor.scrollIntoView({block: "center"});
    editor.focus();
  });
  function showBulkValue() {
    var action = document.getElementById("bulk-action");
    if (!action) { return; }
    var select = document.getElementById("bulk-value");
    var tag = document.getElementById("bulk-tag");
    var isTag = action.value === "tag";
    select.hidden = isTag;
    tag.hidden = !isTag;
    select.querySelectorAll("optgroup").forEach(function (group) {
      group.disabled = group.getAttribute("data-bulk") !== action.value;
    });
    var first = select.querySelector("optgroup:not([disabled]) option");
    if (first && select.selectedOptions.length && select.selectedOptions[0].parentNode.disabled) {
      first.selected = true;
    }
  }
  document.addEventListener("change", function (event) {
    if (event.target.id === "bulk-action") { showBulkValue(); }
  });
  document.addEventListener("DOMContentLoaded", showBulkValue);
})();
