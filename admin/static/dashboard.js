/* Draws the dashboard's charts from the JSON the page embeds. Chart.js is served locally. */
(function () {
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var t = JSON.parse(document.getElementById("dashboard-labels").textContent);
  var palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7"];
  var base = { responsive: true, maintainAspectRatio: false, animation: false };
  function make(id, config) {
    var el = document.getElementById(id);
    if (el) { window.gongdanCharts = window.gongdanCharts || {}; window.gongdanCharts[id] = new Chart(el, config); }
  }
  var series = Object.keys(data.per_day.series).map(function (name, i) {
    return { label: name, data: data.per_day.series[name], backgroundColor: palette[i % palette.length] };
  });
  make("chart-per-day", { type: "bar", data: { labels: data.per_day.labels, datasets: series },
    options: Object.assign({ scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }, base) });
  make("chart-status", { type: "doughnut", data: { labels: Object.keys(data.by_status),
    datasets: [{ data: Object.values(data.by_status), backgroundColor: palette }] }, options: base });
  make("chart-team", { type: "bar", data: { labels: Object.keys(data.by_team),
    datasets: [{ label: t.tickets, data: Object.values(data.by_team), backgroundColor: palette[0] }] },
    options: Object.assign({ indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }, base) });
  var fr = data.times.first_response, rs = data.times.resolution;
  make("chart-times", { type: "bar", data: { labels: [t.first, t.resolution], datasets: [
    { label: t.median, data: [fr.median, rs.median], backgroundColor: palette[0] },
    { label: t.p90, data: [fr.p90, rs.p90], backgroundColor: palette[1] }] },
    options: Object.assign({ scales: { y: { beginAtZero: true } } }, base) });
  if (data.sla) {
    make("chart-sla", { type: "pie", data: { labels: [t.met, t.breached],
      datasets: [{ data: [data.sla.met, data.sla.breached], backgroundColor: [palette[4], palette[2]] }] }, options: base });
  }
})();
