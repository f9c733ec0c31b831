/* The agent's workspace on the ticket page, without inline JavaScript:
 * - <button data-fill-reply="ID"> puts the text of element ID (e.g. a knowledge article) into
 *   the reply editor, to edit before sending, and moves the cursor there;
 * - the bulk form shows the value field its action needs (a labelled select or a tag box);
 * - the new-ticket form's customer lookup (#customer-lookup) lists matches (masked) to choose from,
 *   also for text typed before this script ran (it is deferred: a quick typist, or "back");
 * - the ticket page (#ticket-live) polls every 10 s (and when typing starts or stops): who else
 *   has it open or is typing, and whether it changed; a reply sent over a change asks first;
 * - the ticket list (#list-live) asks every 20 s how many tickets under its filters are new or
 *   changed since it was opened (and at once when the tab is shown again), and says so in a banner
 *   with a Refresh link (never reloads itself);
 * - @mentions: typing "@" and a few letters in the reply box offers the colleagues (#mention-menu);
 *   choosing one writes "@name " (the server notifies whoever is mentioned);
 * - keyboard shortcuts (outside text fields): j/k and Enter in the list; r reply, n note,
 *   a assign to me, s status on a ticket; ? shows the help, Esc hides it.
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

  var lookupTimer = null;
  function choose(customer) {
    document.getElementById("customer-id").value = customer ? customer.id : "";
    document.getElementById("customer-chosen-name").textContent = customer
      ? [customer.name, customer.email || "", customer.phone || ""].join(" ").trim() : "";
    document.getElementById("customer-chosen").hidden = !customer;
    document.getElementById("customer-new").hidden = !!customer;
    document.getElementById("customer-results").textContent = "";
  }
  function showMatches(items) {
    var list = document.getElementById("customer-results");
    var label = document.getElementById("customer-choose-label").innerHTML;
    list.textContent = "";
    items.forEach(function (customer) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-link btn-sm p-0 customer-match";
      button.textContent = label + ": " + [customer.name, customer.email || "", customer.phone || "", customer.tier].join(" ");
      button.addEventListener("click", function () { choose(customer); });
      item.appendChild(button);
      list.appendChild(item);
    });
  }
  function lookUp(box, delay) {
    clearTimeout(lookupTimer);
    lookupTimer = setTimeout(function () {
      var term = box.value;
      var url = box.getAttribute("data-lookup-url") + "?q=" + encodeURIComponent(term);
      fetch(url, {credentials: "same-origin"}).then(function (answer) { return answer.json(); })
        .then(function (body) { if (box.value === term) { showMatches(body.items || []); } })
        .catch(function () { /* the next keystroke asks again */ });
    }, delay);
  }
  document.addEventListener("input", function (event) {
    if (event.target.id === "customer-lookup") { lookUp(event.target, 250); }
  });
  /* The box may hold text before this deferred script ran (typed while the page loaded, or
   * restored by the browser on "back"): no input event will come for it, so look it up now. */
  function lookUpTyped() {
    var box = document.getElementById("customer-lookup");
    if (box && box.value.trim()) { lookUp(box, 0); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", lookUpTyped);
  } else {
    lookUpTyped();
  }
  document.addEventListener("click", function (event) {
    if (event.target.id === "customer-clear") { choose(null); }
  });

  var typing = false;
  var typingTimer = null;
  function poll() {
    var live = document.getElementById("ticket-live");
    var form = document.getElementById("reply-form");
    if (!live) { return; }
    var body = new FormData();
    body.append("typing", typing ? "1" : "0");
    var token = document.querySelector("input[name=csrf_token]");
    if (token) { body.append("csrf_token", token.value); }
    fetch(live.getAttribute("data-url"), {method: "POST", body: body, credentials: "same-origin"})
      .then(function (answer) { return answer.json(); })
      .then(function (state) {
        var box = document.getElementById("presence");
        var typers = state.others.filter(function (o) { return o.typing; }).map(function (o) { return o.name; });
        var viewers = state.others.map(function (o) { return o.name; });
        var lines = [];
        if (viewers.length) { lines.push(live.getAttribute("data-viewing").replace("{names}", viewers.join("、"))); }
        if (typers.length) { lines.push(live.getAttribute("data-typing").replace("{names}", typers.join("、"))); }
        box.textContent = lines.join(" · ");
        box.hidden = !lines.length;
        var changed = state.version !== live.getAttribute("data-version") ||
          state.last_comment > Number(live.getAttribute("data-last-comment"));
        document.getElementById("ticket-changed").hidden = !changed;
        if (changed && form) { form.setAttribute("data-confirm", live.getAttribute("data-send-anyway")); }
      })
      .catch(function () { /* the next poll tries again */ });
  }
  document.addEventListener("input", function (event) {
    if (event.target.id !== "reply-body") { return; }
    if (!typing) { typing = true; poll(); }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typing = false; poll(); }, 8000);
  });
  document.addEventListener("DOMContentLoaded", function () {
    if (document.getElementById("ticket-live")) { poll(); setInterval(poll, 10000); }
  });

  var listSince = null;
  function pollList() {
    var live = document.getElementById("list-live");
    if (!live) { return; }
    var params = new URLSearchParams(window.location.search);
    params.delete("page");
    params.delete("cursor");
    if (listSince) { params.set("since", listSince); }
    fetch(live.getAttribute("data-url") + "?" + params.toString(), {credentials: "same-origin"})
      .then(function (answer) { return answer.json(); })
      .then(function (state) {
        if (!listSince) { listSince = state.now; return; }
        var banner = document.getElementById("list-changed");
        var fresh = state.new + state.changed;
        if (!fresh) { return; }
        document.getElementById("list-changed-text").textContent = live.getAttribute("data-text")
          .replace("{new}", state.new >= 100 ? "100+" : state.new)
          .replace("{changed}", state.changed >= 100 ? "100+" : state.changed);
        banner.hidden = false;
      })
      .catch(function () { /* the next poll tries again */ });
  }
  document.addEventListener("click", function (event) {
    if (event.target.id === "list-refresh") { event.preventDefault(); window.location.reload(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    if (document.getElementById("list-live")) { pollList(); setInterval(pollList, 20000); }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && listSince) { pollList(); }  /* back to the tab: ask now */
  });

  function mentionAt(box) {
    var before = box.value.slice(0, box.selectionStart);
    var found = /(^|\s)@([^\s@]*)$/.exec(before);
    return found ? {start: before.length - found[2].length - 1, word: found[2]} : null;
  }
  function showMentions(box) {
    var menu = document.getElementById("mention-menu");
    if (!menu) { return; }
    var at = mentionAt(box);
    var shown = 0;
    menu.querySelectorAll(".mention-option").forEach(function (option) {
      var fits = at !== null && option.getAttribute("data-name").toLowerCase().indexOf(at.word.toLowerCase()) !== -1;
      option.hidden = !fits;
      shown += fits ? 1 : 0;
    });
    menu.hidden = !shown;
  }
  document.addEventListener("input", function (event) {
    if (event.target.id === "reply-body") { showMentions(event.target); }
  });
  document.addEventListener("click", function (event) {
    var option = event.target.closest(".mention-option");
    if (!option) { return; }
    var box = document.getElementById("reply-body");
    var at = mentionAt(box);
    if (!at) { return; }
    var name = "@" + option.getAttribute("data-name") + " ";
    box.value = box.value.slice(0, at.start) + name + box.value.slice(box.selectionStart);
    box.selectionStart = box.selectionEnd = at.start + name.length;
    document.getElementById("mention-menu").hidden = true;
    box.focus();
  });

  var current = -1;
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#ticket-table tbody tr")); }
  function mark(step) {
    var all = rows().filter(function (row) { return row.querySelector("a[href*='/console/tickets/']"); });
    if (!all.length) { return; }
    current = Math.max(0, Math.min(all.length - 1, current + step));
    all.forEach(function (row, n) { row.classList.toggle("table-active", n === current); });
    all[current].scrollIntoView({block: "nearest"});
  }
  function openMarked() {
    var row = document.querySelector("#ticket-table tbody tr.table-active a[href*='/console/tickets/']");
    if (row) { window.location.href = row.href; }
  }
  var keys = {
    "j": function () { mark(1); },
    "k": function () { mark(-1); },
    "Enter": openMarked,
    "r": function () { var box = document.getElementById("reply-body"); if (box) { box.focus(); } },
    "n": function () {
      var box = document.getElementById("reply-body");
      if (box) { box.focus(); document.getElementById("add-note").classList.add("active"); }
    },
    "a": function () {
      var select = document.getElementById("assignee-select");
      if (select) { select.selectedIndex = 0; select.form.submit(); }
    },
    "s": function () {
      var first = document.querySelector("button[id^='to-']");
      if (first) { first.focus(); }
    },
    "?": function () { var help = document.getElementById("shortcuts-help"); if (help) { help.hidden = !help.hidden; } },
    "Escape": function () { var help = document.getElementById("shortcuts-help"); if (help) { help.hidden = true; } }
  };
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var inField = target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
    if (event.ctrlKey || event.metaKey || event.altKey || (inField && event.key !== "Escape")) { return; }
    // Enter on a focused button or link presses it: the shortcut is only for the list's marked row
    if (event.key === "Enter" && target.closest && target.closest("button, a, summary, [role=button]")) { return; }
    var action = keys[event.key];
    if (action) { event.preventDefault(); action(); }
  });
})();
