// Article suggestions while the customer types the subject of a request (no framework).
(function () {
  "use strict";
  var input = document.getElementById("subject");
  var box = document.getElementById("suggestions");
  var row = document.getElementById("suggestion-row");
  var deflect = document.getElementById("deflect-form");
  if (!input || !box || !row || !deflect) return;
  var list = box.querySelector("ul");
  var timer = null;
  var asked = "";

  function show(items) {
    list.textContent = "";
    items.forEach(function (item) {
      var li = row.content.firstElementChild.cloneNode(true);
      var link = li.querySelector("a");
      link.href = item.url;
      link.textContent = item.title;
      li.querySelector("button").addEventListener("click", function () {
        deflect.elements.article_id.value = item.id;
        deflect.elements.subject.value = input.value;
        deflect.submit();
      });
      list.appendChild(li);
    });
    box.hidden = items.length === 0;
  }

  function ask() {
    var text = input.value.trim();
    if (text === asked) return;
    asked = text;
    if (text.length < 2) { show([]); return; }
    fetch(input.dataset.suggest + "?q=" + encodeURIComponent(text), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (data) { if (asked === text) show(data.items || []); })
      .catch(function () { show([]); });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 250);
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
