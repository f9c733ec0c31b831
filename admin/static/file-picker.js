/* Shared by the console and the customer portal (one copy, served by the console's assets).
 * A file input with data-choose="words" and data-none="words": the browser's own button reads in
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
