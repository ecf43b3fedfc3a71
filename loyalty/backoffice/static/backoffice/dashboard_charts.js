/* The dashboard's charts (loyalty/backoffice/dashboard_charts.py): each canvas names the JSON data block that
   holds its Chart.js configuration (data-source); copied here into the attributes unfold's chart components
   use, before unfold's own script draws every ".chart" canvas on the window's load event. */
document.addEventListener("DOMContentLoaded", () => {
  for (const canvas of document.querySelectorAll("canvas.chart[data-source]")) {
    const source = document.getElementById(canvas.dataset.source);
    if (!source) {
      continue;
    }
    const chart = JSON.parse(source.textContent);
    canvas.dataset.value = JSON.stringify(chart.data);
    canvas.dataset.options = JSON.stringify(chart.options);
  }
});
