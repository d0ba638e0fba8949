/* Draw every chart on the page from its Vega-Lite spec, without eval (CSP-safe).
 *
 * A chart is <div data-chart="ID"> where ID names a <script type="application/json" id="ID">
 * made by Django's json_script. The figures are always also in a table next to the chart, so a
 * chart that cannot be drawn loses nothing; the div then says so.
 */
(function () {
  "use strict";
  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-chart"));
    if (!source || typeof vegaEmbed === "undefined") return;
    var spec = JSON.parse(source.textContent);
    vegaEmbed(el, spec, {
      renderer: "svg",
      actions: false,
      defaultStyle: false,
      // The tooltip's own style sheet would be an inline <style> (refused by the CSP): its
      // look is in results.css instead.
      tooltip: { disableDefaultStyle: true },
      ast: true,
      expr: globalThis.vegaExpressionInterpreter,
    }).then(function () {
      el.setAttribute("data-chart-ready", "true");
    }).catch(function (error) {
      el.setAttribute("data-chart-error", String(error));
      el.textContent = el.getAttribute("data-chart-fallback") || "";
    });
  }
  function drawAll(root) {
    (root || document).querySelectorAll("[data-chart]:not([data-chart-ready])").forEach(draw);
  }
  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSettle", function (event) { drawAll(event.target); });
})();
