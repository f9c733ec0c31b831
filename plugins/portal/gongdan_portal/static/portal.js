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
