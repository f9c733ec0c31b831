/* One copy for the console and the customer portal, served by the console's assets (as file-picker.js
 * is): console/master.html includes it on every console page; the portal has no date input today and
 * would include the same file, with its words, from portal/base.html (script-src 'self', no inline
 * script needed). Flask-Admin's own date pickers (Manage forms and list filters) are not used: no
 * Manage view edits or filters a date.
 * The browser draws <input type="date">, "month", "time" and "datetime-local" in ITS language, not the
 * page's: Chromium in English shows mm/dd/yyyy and "--:-- --" with AM/PM on a Chinese page. Each such
 * input becomes a text input written the way both languages write it — 2026-12-01, 2026-12, 09:30 —
 * with the page's own placeholder (年-月-日 / YYYY-MM-DD). What a person types in either language is
 * read: 2026年12月1日, 2026/12/1, 20261201, 1 Dec 2026, Dec 1, 2026, 9点30, 3:30 pm; the value sent
 * is always the ISO form the server reads (the server still checks it and names the field if not).
 * Anything else is refused before sending with the page's own sentence.
 *
 * The words come from the <script> tag that includes this file, in the page's language:
 * data-date / data-month / data-time / data-datetime (placeholders) and data-bad-date /
 * data-bad-month / data-bad-time / data-bad-datetime (the message for what cannot be read).
 * Without scripts the browser's own input stays, which still works. */
(function () {
  "use strict";
  var words = document.currentScript || document.querySelector("script[data-date]");
  var MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

  function two(n) {
    return (n < 10 ? "0" : "") + n;
  }
  function ascii(text) {
    // full-width digits and punctuation (an IME's １２：３０) as ASCII; spaces squeezed
    return String(text || "")
      .replace(/[\uff10-\uff19]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0xfee0); })
      .replace(/[：]/g, ":").replace(/[／]/g, "/").replace(/[－—–]/g, "-").replace(/[，]/g, ",")
      .replace(/\s+/g, " ").trim();
  }
  function month(name) {
    var at = MONTHS.indexOf(String(name).slice(0, 3).toLowerCase());
    return at < 0 ? 0 : at + 1;
  }
  function real(y, m, d) {
    var when = new Date(Date.UTC(y, m - 1, d));
    return y >= 1000 && when.getUTCFullYear() === y && when.getUTCMonth() === m - 1 && when.getUTCDate() === d;
  }

  /* "YYYY-MM-DD" from what a person wrote, or null. */
  function readDate(text) {
    var t = ascii(text), m, y, mo, d;
    if ((m = /^(\d{4}) ?[-\/.年] ?(\d{1,2}) ?[-\/.月] ?(\d{1,2}) ?[日号]?$/.exec(t))) {
      y = +m[1]; mo = +m[2]; d = +m[3];
    } else if ((m = /^(\d{4})(\d{2})(\d{2})$/.exec(t))) {
      y = +m[1]; mo = +m[2]; d = +m[3];
    } else if ((m = /^(\d{1,2})(?:st|nd|rd|th)? ([A-Za-z]{3,})\.?,? (\d{4})$/.exec(t))) {
      d = +m[1]; mo = month(m[2]); y = +m[3];
    } else if ((m = /^([A-Za-z]{3,})\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})$/.exec(t))) {
      mo = month(m[1]); d = +m[2]; y = +m[3];
    } else {
      return null;
    }
    return real(y, mo, d) ? y + "-" + two(mo) + "-" + two(d) : null;
  }

  /* "YYYY-MM" from "2026-12", "2026年12月", "2026/12", "Dec 2026", or null. */
  function readMonth(text) {
    var t = ascii(text), m, y, mo;
    if ((m = /^(\d{4}) ?[-\/.年] ?(\d{1,2}) ?月?$/.exec(t))) {
      y = +m[1]; mo = +m[2];
    } else if ((m = /^([A-Za-z]{3,})\.?,? (\d{4})$/.exec(t))) {
      mo = month(m[1]); y = +m[2];
    } else {
      return null;
    }
    return y >= 1000 && mo >= 1 && mo <= 12 ? y + "-" + two(mo) : null;
  }

  /* "HH:MM" from "9:30", "09:30:00", "9点30", "9时30分", "9点", "3:30 pm", "下午3点", or null. */
  function readTime(text) {
    var t = ascii(text).toLowerCase(), m, h, mi, later = false, earlier = false;
    if (/^(下午|晚上|pm ?)/.test(t) || / ?(pm|p\.m\.)$/.test(t)) { later = true; }
    if (/^(上午|早上|凌晨|am ?)/.test(t) || / ?(am|a\.m\.)$/.test(t)) { earlier = true; }
    t = t.replace(/^(上午|早上|凌晨|下午|晚上|am|pm) ?/, "").replace(/ ?(am|pm|a\.m\.|p\.m\.)$/, "");
    if ((m = /^(\d{1,2})(?:(?::|点|时) ?(\d{1,2})(?::\d{2})? ?分?|点半|(?:点|时))?$/.exec(t))) {
      h = +m[1];
      mi = /点半$/.test(t) ? 30 : +(m[2] || 0);
    } else {
      return null;
    }
    if ((later || earlier) && (h < 1 || h > 12)) { return null; }
    if (later && h < 12) { h += 12; }
    if (earlier && h === 12) { h = 0; }
    return h <= 23 && mi <= 59 ? two(h) + ":" + two(mi) : null;
  }

  /* "YYYY-MM-DDTHH:MM" from a date and a time separated by a space or "T", or null. */
  function readDateTime(text) {
    var t = ascii(text).replace("T", " "), cut = t.lastIndexOf(" "), day, at;
    while (cut > 0) {
      day = readDate(t.slice(0, cut));
      at = readTime(t.slice(cut + 1));
      if (day && at) { return day + "T" + at; }
      cut = t.lastIndexOf(" ", cut - 1);
    }
    return null;
  }

  var KINDS = {
    date: { read: readDate, show: function (v) { return v; } },
    month: { read: readMonth, show: function (v) { return v; } },
    time: { read: function (v) { return readTime(v); }, show: function (v) { return String(v).slice(0, 5); } },
    "datetime-local": { read: readDateTime, show: function (v) { return String(v).replace("T", " ").slice(0, 16); }, word: "datetime" }
  };

  function say(name) {
    return (words && words.getAttribute("data-" + name)) || "";
  }

  function enhance(input) {
    var type = input.getAttribute("type");
    var kind = KINDS[type];
    if (!kind || input.hasAttribute("data-native")) { return; }
    var word = kind.word || type;
    var sent = input;
    var shown = String(input.value || "");
    if (type === "datetime-local") {
      // the text shows "2026-12-01 09:30"; a hidden twin carries the name and the ISO value
      sent = document.createElement("input");
      sent.type = "hidden";
      sent.name = input.name;
      sent.value = input.value;
      input.removeAttribute("name");
      input.parentNode.insertBefore(sent, input.nextSibling);
    }
    input.type = "text";
    input.value = shown ? kind.show(shown) : "";
    input.setAttribute("autocomplete", "off");
    input.setAttribute("spellcheck", "false");
    input.setAttribute("data-date-input", type);
    if (!input.getAttribute("placeholder")) { input.setAttribute("placeholder", say(word)); }
    ["min", "max", "step"].forEach(function (name) { input.removeAttribute(name); });
    function check() {
      var text = input.value.trim();
      var read = text ? kind.read(text) : "";
      input.setCustomValidity(read === null ? say("bad-" + word) : "");
      if (sent !== input) { sent.value = read || ""; }
      return read;
    }
    input.addEventListener("input", check);
    input.addEventListener("change", function () {
      var read = check();
      if (read) { input.value = kind.show(read); }
    });
    if (input.form) {
      input.form.addEventListener("submit", function () {
        var read = check();
        if (read) { input.value = kind.show(read); }
      }, true);
    }
    check();
  }

  var NATIVE = "input[type=date], input[type=month], input[type=time], input[type=datetime-local]";
  function all(root) {
    if (root.matches && root.matches(NATIVE)) { enhance(root); }
    if (root.querySelectorAll) { root.querySelectorAll(NATIVE).forEach(enhance); }
  }
  function start() {
    all(document);
    // rows a form adds later ("+ Add a shift", copied from a <template>) get the same treatment
    new MutationObserver(function (changes) {
      changes.forEach(function (change) { change.addedNodes.forEach(all); });
    }).observe(document.body, { childList: true, subtree: true });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  window.gongdanDates = { readDate: readDate, readMonth: readMonth, readTime: readTime, readDateTime: readDateTime };
})();
