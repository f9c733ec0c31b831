/* Charts of the analytics pages, drawn with the console's Chart.js from the JSON each page embeds. */
(function () {
  var node = document.getElementById("analytics-data");
  if (!node || typeof Chart === "undefined") { return; }
  var data = JSON.parse(node.textContent);
  var t = data.labels;
  var palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7"];
  var base = { responsive: true, maintainAspectRatio: false, animation: false };
  function make(id, config) {
    var el = document.getElementById(id);
    if (el) { window.gongdanCharts = window.gongdanCharts || {}; window.gongdanCharts[id] = new Chart(el, config); }
  }
  function label(row) { return row.label === null ? t.none : row.label; }
  var count = { y: { beginAtZero: true, ticks: { precision: 0 } } };

  if (data.kind === "reports") {
    var rows = data.items.slice(0, 15);
    make("chart-groups", { type: "bar", data: { labels: rows.map(label), datasets: [
      { label: t.current, data: rows.map(function (r) { return r.created; }), backgroundColor: palette[0] },
      { label: t.previous, data: rows.map(function (r) { return r.previous_created; }), backgroundColor: "#bab0ac" }] },
      options: Object.assign({ scales: count, onClick: function (event, elements) {
        if (elements.length) { window.location = rows[elements[0].index].link; }
      } }, base) });
  }
  if (data.kind === "week") {
    make("chart-daily", { type: "line", data: { labels: data.daily.map(function (r) { return r.value.slice(5); }), datasets: [
      { label: t.created, data: data.daily.map(function (r) { return r.created; }), borderColor: palette[0], backgroundColor: palette[0] },
      { label: t.resolved, data: data.daily.map(function (r) { return r.resolved; }), borderColor: palette[4], backgroundColor: palette[4] }] },
      options: Object.assign({ scales: count, onClick: function (event, elements) {
        if (elements.length) { window.location = data.daily[elements[0].index].link; }
      } }, base) });
    make("chart-channels", { type: "doughnut", data: { labels: data.channels.map(label),
      datasets: [{ data: data.channels.map(function (r) { return r.created; }), backgroundColor: palette }] }, options: base });
  }
  if (data.kind === "forecast") {
    var days = data.plan.map(function (d) { return d.date.slice(5) + (d.promotion ? " " + d.promotion : ""); });
    make("chart-forecast", { type: "line", data: { labels: days, datasets: [
      { label: t.upper, data: data.plan.map(function (d) { return d.upper; }), borderColor: "rgba(78,121,167,0.25)", backgroundColor: "rgba(78,121,167,0.15)", fill: "+1", pointRadius: 0 },
      { label: t.lower, data: data.plan.map(function (d) { return d.lower; }), borderColor: "rgba(78,121,167,0.25)", pointRadius: 0 },
      { label: t.expected, data: data.plan.map(function (d) { return d.expected; }), borderColor: palette[0], backgroundColor: palette[0] }] },
      options: Object.assign({ scales: { y: { beginAtZero: true } } }, base) });
    make("chart-staffing", { type: "bar", data: { labels: data.staffing.map(function (h) { return h.hour; }), datasets: [
      { type: "bar", label: t.agents, data: data.staffing.map(function (h) { return h.agents; }), backgroundColor: palette[4], yAxisID: "y" }].concat(
      data.staffing.length && data.staffing[0].scheduled !== null ? [
      { type: "bar", label: t.scheduled, data: data.staffing.map(function (h) { return h.scheduled; }), backgroundColor: palette[0], yAxisID: "y" }] : [], [
      { type: "line", label: t.arrivals, data: data.staffing.map(function (h) { return h.expected; }), borderColor: palette[1], backgroundColor: palette[1], yAxisID: "y1" }]) },
      options: Object.assign({ scales: { y: { beginAtZero: true, grace: 1, ticks: { precision: 0 }, position: "left" },
        y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } } } }, base) });
  }
})();
