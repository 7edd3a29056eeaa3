// PO burn-down chart: draws the canvas's data-chart (cumulative Used and Used + Commitments, the
// amount, the tolerance and the forecast as a dashed projection). No inline script (CSP).
(function () {
  "use strict";
  var DAY = 86400000;

  function dayNumber(iso) { return Math.round(Date.parse(iso + "T00:00:00Z") / DAY); }
  function isoOf(n) { return new Date(n * DAY).toISOString().slice(0, 10); }
  function money(v) {
    return v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  function draw(canvas) {
    if (canvas.dataset.drawn || typeof window.Chart === "undefined") { return; }
    var data;
    try { data = JSON.parse(canvas.getAttribute("data-chart")); } catch (e) { return; }
    var points = data.points || [], projection = data.projection || [];
    var xs = points.map(function (p) { return dayNumber(p.day); })
      .concat(projection.map(function (p) { return dayNumber(p.day); }), [dayNumber(data.today)]);
    var lo = Math.min.apply(null, xs), hi = Math.max.apply(null, xs);
    var flat = function (y) { return [{ x: lo, y: y }, { x: hi, y: y }]; };
    var step = function (key) {
      return points.map(function (p) { return { x: dayNumber(p.day), y: p[key] }; });
    };
    var datasets = [
      { label: "Used", data: step("used"), borderColor: "#1f6feb", backgroundColor: "#1f6feb", stepped: true,
        pointRadius: 0, borderWidth: 2 },
      { label: "Used + Commitments", data: step("committed"), borderColor: "#8250df", backgroundColor: "#8250df",
        stepped: true, pointRadius: 0, borderWidth: 2 },
      { label: "Amount", data: flat(data.amount), borderColor: "#cf222e", backgroundColor: "#cf222e",
        pointRadius: 0, borderWidth: 1.5 }
    ];
    if (data.tolerance !== null && data.tolerance !== undefined) {
      datasets.push({ label: "Tolerance " + data.tolerancePct + "%", data: flat(data.tolerance),
        borderColor: "#bf8700", backgroundColor: "#bf8700", pointRadius: 0, borderWidth: 1.5, borderDash: [2, 3] });
    }
    if (projection.length) {
      datasets.push({ label: "Forecast", data: projection.map(function (p) { return { x: dayNumber(p.day), y: p.used }; }),
        borderColor: "#1f6feb", backgroundColor: "#1f6feb", borderDash: [6, 4], pointRadius: 3, borderWidth: 2 });
    }
    canvas.dataset.drawn = "1";
    new window.Chart(canvas, {
      type: "line",
      data: { datasets: datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, parsing: true,
        interaction: { mode: "nearest", intersect: false },
        scales: {
          x: { type: "linear", min: lo, max: hi, ticks: { callback: function (v) { return isoOf(v); }, maxTicksLimit: 8 } },
          y: { beginAtZero: true, ticks: { callback: function (v) { return money(v); } } }
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 28, boxHeight: 2 } },
          tooltip: { callbacks: {
            title: function (items) { return items.length ? isoOf(items[0].parsed.x) : ""; },
            label: function (item) { return item.dataset.label + ": " + money(item.parsed.y); }
          } }
        }
      }
    });
  }

  function drawAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var canvases = scope.querySelectorAll("canvas[data-chart]");
    for (var i = 0; i < canvases.length; i++) { draw(canvases[i]); }
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  // the PO's tabs swap in with htmx: draw a chart that arrives that way too
  document.addEventListener("htmx:load", function (event) { drawAll(event.target); });
})();
