/* Console behaviour without inline JavaScript, so no page text ever becomes code:
 * - <form data-confirm="question"> asks the question (window.confirm: a form field named
 *   "confirm" cannot shadow it) and submits only when the user agrees;
 * - <input type="checkbox" data-check-all=".selector"> ticks or clears every box it selects;
 * - <select data-submit-on-change> submits its form when the choice changes.
 */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question !== null && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  // Flask-Admin's row delete buttons carry their question in an inline onclick, which the
  // console's Content-Security-Policy blocks: move it to the form's data-confirm instead.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form button[onclick*='safeConfirm']").forEach(function (button) {
      var found = /safeConfirm\('((?:[^'\\]|\\.)*)'\)/.exec(button.getAttribute("onclick"));
      button.removeAttribute("onclick");
      if (found) {
        button.form.setAttribute("data-confirm", found[1].replace(/\\(.)/g, "$1"));
      }
    });
  });
  document.addEventListener("change", function (event) {
    var box = event.target;
    var selector = box.getAttribute("data-check-all");
    if (selector !== null) {
      document.querySelectorAll(selector).forEach(function (other) { other.checked = box.checked; });
    }
    if (box.hasAttribute("data-submit-on-change") && box.form) {
      box.form.submit();
    }
  });
})();
