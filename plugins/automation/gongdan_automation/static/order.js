/* Ordering rules and macros by drag and drop, and by the up/down buttons (automation plugin).
 *
 * A <tbody data-order-url="..." data-csrf="..."> holds rows <tr data-id="..." draggable="true">.
 * Dropping a row posts the whole new order (`ids`) and shows the new positions; the up/down
 * buttons are ordinary forms (they work from the keyboard and without JavaScript) which this
 * script sends in the background, moving the row and keeping the focus on the pressed button.
 * On any failure the page reloads, so what is shown is always what is stored.
 */
(function () {
  "use strict";
  var dragging = null;
  var before = "";

  function rows(body) {
    return Array.prototype.slice.call(body.querySelectorAll("tr[data-id]"));
  }

  function order(body) {
    return rows(body).map(function (row) { return row.getAttribute("data-id"); }).join(",");
  }

  function say(body, text) {
    var status = document.getElementById(body.getAttribute("data-status"));
    if (status) {
      status.textContent = text;
    }
  }

  function show(body, answer) {
    rows(body).forEach(function (row) {
      var position = answer.positions[row.getAttribute("data-id")];
      var box = row.querySelector("input[name=position]");
      if (box && position !== undefined) {
        box.value = String(position);
      }
    });
    say(body, answer.message || "");
  }

  function send(url, data) {
    return fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      return response.json();
    });
  }

  function save(body) {
    var data = new FormData();
    data.append("csrf_token", body.getAttribute("data-csrf"));
    data.append("ids", order(body));
    send(body.getAttribute("data-order-url"), data)
      .then(function (answer) { show(body, answer); })
      .catch(function () { window.location.reload(); });
  }

  document.addEventListener("dragstart", function (event) {
    var row = event.target.closest && event.target.closest("tbody[data-order-url] tr[data-id]");
    if (!row) {
      return;
    }
    dragging = row;
    before = order(row.parentNode);
    row.classList.add("table-active");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", row.getAttribute("data-id"));
  });

  document.addEventListener("dragover", function (event) {
    if (!dragging) {
      return;
    }
    var target = event.target.closest && event.target.closest("tr[data-id]");
    if (!target || target.parentNode !== dragging.parentNode) {
      return;
    }
    event.preventDefault();
    if (target === dragging) {
      return;
    }
    var box = target.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    target.parentNode.insertBefore(dragging, after ? target.nextSibling : target);
  });

  document.addEventListener("drop", function (event) {
    if (dragging) {
      event.preventDefault();
    }
  });

  document.addEventListener("dragend", function () {
    if (!dragging) {
      return;
    }
    var body = dragging.parentNode;
    dragging.classList.remove("table-active");
    dragging = null;
    if (order(body) !== before) {
      save(body);
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var body = form.closest && form.closest("tbody[data-order-url]");
    if (!body || !form.hasAttribute("data-move")) {
      return;
    }
    event.preventDefault();
    var button = event.submitter || form.querySelector("button");
    var row = form.closest("tr[data-id]");
    var up = form.getAttribute("data-move") === "up";
    var other = up ? row.previousElementSibling : row.nextElementSibling;
    if (!other || !other.hasAttribute("data-id")) {
      return;
    }
    body.insertBefore(row, up ? other : other.nextSibling);
    if (button) {
      button.focus();
    }
    save(body);
  });
})();
