// The programme dashboard's charts, drawn with the vendored Chart.js from the JSON the page carries.
// Every chart has its data table next to it, so the page still says everything without JavaScript.
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof window.Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var Chart = window.Chart;
  // High-contrast colours that stay apart on a washed-out projector and in greyscale print.
  var PALETTE = ["#0f4c97", "#b4232a", "#2e7d32", "#e08a00", "#6a3d9a", "#00838f", "#5d4037", "#c2185b", "#455a64"];
  var charts = [];

  function projector() { return document.body.classList.contains("projector"); }

  function fontSize() { return projector() ? 22 : 14; }

  function colours(n) {
    var out = [];
    for (var i = 0; i < n; i++) { out.push(PALETTE[i % PALETTE.length]); }
    return out;
  }

  function baseOptions(extra) {
    var options = {
      responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { display: false }, tooltip: { titleFont: { size: fontSize() }, bodyFont: { size: fontSize() } } },
      scales: {}
    };
    return Object.assign(options, extra || {});
  }

  function axis(title, extra) {
    return Object.assign({
      beginAtZero: true,
      ticks: { precision: 0, color: "#1f2933", font: { size: fontSize() } },
      grid: { color: "#d5dbe2" },
      title: title ? { display: true, text: title, color: "#1f2933", font: { size: fontSize() } } : { display: false }
    }, extra || {});
  }

  function bar(canvas, labels, values, unit, horizontal) {
    if (horizontal) {  // one readable row per category, however many cities or institutions there are
      var row = projector() ? 42 : 28;
      canvas.parentNode.style.height = Math.max(projector() ? 460 : 320, labels.length * row + 80) + "px";
    }
    var valueAxis = axis(unit), labelAxis = axis("", { grid: { display: false } });
    return new Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: [{ label: unit, data: values, backgroundColor: horizontal ? "#0f4c97" : colours(values.length) }] },
      options: baseOptions({ indexAxis: horizontal ? "y" : "x",
        scales: horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis } })
    });
  }

  function doughnut(canvas, labels, values, fills) {
    var options = baseOptions();
    options.plugins.legend = { display: true, position: "right", labels: { color: "#1f2933", font: { size: fontSize() } } };
    delete options.scales;
    return new Chart(canvas, {
      type: "doughnut",
      data: { labels: labels, datasets: [{ data: values, backgroundColor: fills || colours(values.length), borderColor: "#fff", borderWidth: 2 }] },
      options: options
    });
  }

  function line(canvas, trend, unit) {
    var options = baseOptions({ scales: { x: axis("", { grid: { display: false } }), y: axis(unit) } });
    options.plugins.legend = { display: true, position: "top", labels: { color: "#1f2933", font: { size: fontSize() } } };
    return new Chart(canvas, {
      type: "line",
      data: { labels: trend.labels, datasets: trend.series.map(function (series, i) {
        return { label: series.label, data: series.data, borderColor: PALETTE[i], backgroundColor: PALETTE[i],
                 borderWidth: 3, pointRadius: 4, tension: 0 };
      }) },
      options: options
    });
  }

  // Only the categories with projects, each keeping its own colour whichever others are empty.
  function nonZero(block) {
    var labels = [], counts = [], fills = [];
    block.labels.forEach(function (label, i) {
      if (block.counts[i]) { labels.push(label); counts.push(block.counts[i]); fills.push(PALETTE[i % PALETTE.length]); }
    });
    return { labels: labels, counts: counts, colours: fills };
  }

  var DRAW = {
    funnel: function (c) { return bar(c, data.funnel.labels, data.funnel.counts, data.units.projects, true); },
    trend: function (c) { return line(c, data.trend, data.units.projects); },
    city: function (c) { var b = nonZero(data.breakdowns.city); return bar(c, b.labels, b.counts, data.units.projects, true); },
    institution: function (c) { var b = nonZero(data.breakdowns.institution); return bar(c, b.labels, b.counts, data.units.projects, true); },
    project_type: function (c) { var b = nonZero(data.breakdowns.project_type); return doughnut(c, b.labels, b.counts, b.colours); },
    device_class: function (c) { var b = nonZero(data.breakdowns.device_class); return doughnut(c, b.labels, b.counts, b.colours); },
    stage: function (c) { var b = data.breakdowns.stage; return bar(c, b.labels, b.counts, data.units.projects, false); },
    stays: function (c) { return bar(c, data.stays.labels, data.stays.days.map(function (d) { return d === null ? 0 : d; }), data.units.days, false); },
    declines: function (c) { var b = nonZero(data.declines); return doughnut(c, b.labels, b.counts, b.colours); },
    organisation_reasons: function (c) { var b = nonZero(data.organisation_reasons); return doughnut(c, b.labels, b.counts, b.colours); }
  };

  function drawAll() {
    charts.forEach(function (chart) { chart.destroy(); });
    charts = [];
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.font.size = fontSize();
    Chart.defaults.color = "#1f2933";
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var draw = DRAW[canvas.getAttribute("data-chart")];
      if (draw) { charts.push(draw(canvas)); }
    });
  }

  var toggle = document.getElementById("projector-toggle");
  function setProjector(on) {
    document.body.classList.toggle("projector", on);
    if (toggle) { toggle.setAttribute("aria-pressed", on ? "true" : "false"); toggle.classList.toggle("active", on); }
    try { window.localStorage.setItem("dashboard-projector", on ? "1" : ""); } catch (e) { /* private mode */ }
    drawAll();
  }
  if (toggle) { toggle.addEventListener("click", function () { setProjector(!projector()); }); }
  var printButton = document.getElementById("print-page");
  if (printButton) { printButton.addEventListener("click", function () { window.print(); }); }
  // Printed charts take the paper's width (A4 portrait), not the screen's; the page's print CSS
  // scales them down further if the paper is narrower still. Back to the screen's size after.
  var PRINT_WIDTH = 640, PRINT_MAX_HEIGHT = 420;
  window.addEventListener("beforeprint", function () {
    charts.forEach(function (chart) {
      chart.resize(PRINT_WIDTH, Math.min(chart.canvas.parentNode.clientHeight || 260, PRINT_MAX_HEIGHT));
    });
  });
  window.addEventListener("afterprint", function () { charts.forEach(function (chart) { chart.resize(); }); });

  // A download does not leave the page: go to the file's address directly, so the shared
  // "submitting" state (disabled buttons, spinner) never sticks on the form.
  var summary = document.getElementById("summary-form");
  if (summary) {
    summary.addEventListener("submit", function (event) {
      var action = (event.submitter && event.submitter.getAttribute("formaction")) || summary.getAttribute("action");
      var query = new URLSearchParams(new FormData(summary)).toString();
      event.preventDefault();
      window.location.href = action + (query ? "?" + query : "");
    });
  }

  var stored = "";
  try { stored = window.localStorage.getItem("dashboard-projector") || ""; } catch (e) { /* private mode */ }
  if (stored === "1" || /[?&]projector=1\b/.test(window.location.search)) { setProjector(true); } else { drawAll(); }
})();
