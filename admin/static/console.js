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

/* A file input with data-choose="words" and data-none="words": the browser's own button reads in
 * the browser's language ("Choose Files · No file chosen" on a Chinese page), so it is hidden
 * (still focusable) behind a button and a line of chosen names in the page's language. */
(function () {
  "use strict";
  function picker(input) {
    if (!input.id) {
      input.id = "file-" + Math.random().toString(36).slice(2);
    }
    var box = document.createElement("div");
    box.className = "file-picker";
    var button = document.createElement("label");
    button.className = "file-picker-button";
    button.htmlFor = input.id;
    button.textContent = input.getAttribute("data-choose");
    var names = document.createElement("span");
    names.className = "file-picker-names";
    names.textContent = input.getAttribute("data-none") || "";
    input.parentNode.insertBefore(box, input);
    box.appendChild(input);
    box.appendChild(button);
    box.appendChild(names);
    input.classList.add("file-picker-input");
    input.addEventListener("change", function () {
      var chosen = Array.prototype.map.call(input.files || [], function (file) { return file.name; });
      names.textContent = chosen.join(", ") || input.getAttribute("data-none") || "";
    });
  }
  function all() {
    document.querySelectorAll("input[type=file][data-choose]").forEach(picker);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", all);
  } else {
    all();
  }
})();
