// The inline script of report.html (html.ts), plain ES2017 run by the browser: no libraries,
// nothing fetched. It reads the embedded JSON (#report-data) and scripts the SVG charts that
// lineChartSvg drew (series groups, points and legend entries carry data-label / data-i):
//   - a figure's toggles show the ELECTRA or the 6N chart, at the range where the lines differ or
//     the full range; the page's x-axis switch shows every run chart against steps, FLOPs or
//     wall time;
//   - clicking (or Enter / Space on) a legend entry hides or shows that method in every chart;
//   - hovering near a point shows its method, step, validation loss, FLOPs and wall time.
// Kept as a string (the project's TypeScript has no DOM types); test/report-html.test.ts runs it
// in Chromium.

export const HTML_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var curves = {};
  data.curves.forEach(function (c) { curves[c.label] = c; });
  var hidden = {};
  var tip = document.getElementById('tooltip');
  var current = null;

  function each(selector, f, root) { Array.prototype.forEach.call((root || document).querySelectorAll(selector), f); }
  function exp(v) { return v.toExponential(2); }
  function secs(v) { return (v < 100 ? v.toPrecision(3) : v.toFixed(1)) + ' s'; }

  function hideTooltip() {
    tip.hidden = true;
    if (current) current.classList.remove('hover');
    current = null;
  }

  // A figure's toggles (the FLOP convention: data-key "axis"; the y range: "range") and the
  // page's (the x axis of the run curves: "x", in .page-controls): the wrap shown is the one
  // whose data-axis / data-range / data-x match every checked choice.
  function checked(root, chosen) {
    each('input[type="radio"][data-key]:checked', function (input) { chosen[input.getAttribute('data-key')] = input.value; }, root);
  }
  var updates = [];
  each('figure.chart', function (fig) {
    function update() {
      var chosen = {};
      each('.page-controls', function (c) { checked(c, chosen); });
      checked(fig, chosen);
      each('.svg-wrap', function (w) {
        w.hidden = Object.keys(chosen).some(function (k) { return w.hasAttribute('data-' + k) && w.getAttribute('data-' + k) !== chosen[k]; });
      }, fig);
      hideTooltip();
    }
    updates.push(update);
    each('input[type="radio"][data-key]', function (input) { input.addEventListener('change', update); }, fig);
  });
  each('.page-controls input[type="radio"][data-key]', function (input) {
    input.addEventListener('change', function () { updates.forEach(function (u) { u(); }); });
  });

  // Legend entries: hide or show a method everywhere.
  function setHidden(label, off) {
    hidden[label] = off;
    each('.series-group', function (g) { if (g.getAttribute('data-label') === label) g.classList.toggle('off', off); });
    each('.legend-entry', function (g) {
      if (g.getAttribute('data-label') !== label) return;
      g.classList.toggle('off', off);
      g.setAttribute('aria-pressed', String(!off));
    });
    hideTooltip();
  }
  each('.legend-entry', function (g) {
    var label = g.getAttribute('data-label');
    g.setAttribute('tabindex', '0');
    g.setAttribute('role', 'button');
    g.setAttribute('aria-pressed', 'true');
    g.setAttribute('aria-label', 'show or hide ' + label);
    g.addEventListener('click', function () { setHidden(label, !hidden[label]); });
    g.addEventListener('keydown', function (ev) {
      if (ev.key !== 'Enter' && ev.key !== ' ') return;
      ev.preventDefault();
      setHidden(label, !hidden[label]);
    });
  });

  // Hover: the visible point nearest the pointer, within 14 px.
  function nearest(svg, x, y) {
    var best = null;
    var bestD = 14 * 14;
    each('.series-group:not(.off) circle.point', function (c) {
      var r = c.getBoundingClientRect();
      var dx = r.left + r.width / 2 - x;
      var dy = r.top + r.height / 2 - y;
      if (dx * dx + dy * dy < bestD) { bestD = dx * dx + dy * dy; best = c; }
    }, svg);
    return best;
  }

  function line(text, cls) {
    var div = document.createElement('div');
    div.textContent = text;
    if (cls) div.className = cls;
    return div;
  }

  function showTooltip(c, x, y) {
    var label = c.parentNode.getAttribute('data-label');
    var curve = curves[label];
    var p = curve.points[Number(c.getAttribute('data-i'))];
    var g = curve.growth;
    var head = document.createElement('div');
    var swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = c.getAttribute('fill');
    var name = document.createElement('b');
    name.textContent = label;
    head.appendChild(swatch);
    head.appendChild(name);
    if (curve.method !== label) head.appendChild(document.createTextNode(' (' + curve.method + ')'));
    tip.replaceChildren(
      head,
      line('step ' + p.step + ', validation loss ' + p.valLoss.toFixed(4)),
      line('FLOPs ' + exp(g.flopsElectra + p.flopsElectra) + ' (ELECTRA), ' + exp(g.flopsSixN + p.flopsSixN) + ' (6N)'),
      line('wall time ' + secs(g.wallSeconds + p.wallSeconds))
    );
    if (g.flopsElectra > 0 || g.wallSeconds > 0) tip.appendChild(line('growth included: ' + exp(g.flopsElectra) + ' FLOPs (ELECTRA), ' + secs(g.wallSeconds), 'muted'));
    if (current) current.classList.remove('hover');
    current = c;
    c.classList.add('hover');
    tip.hidden = false;
    var w = tip.offsetWidth;
    var h = tip.offsetHeight;
    var left = x + 14 + w > window.innerWidth ? x - 14 - w : x + 14;
    var top = y + 14 + h > window.innerHeight ? y - 14 - h : y + 14;
    tip.style.left = Math.max(0, left) + 'px';
    tip.style.top = Math.max(0, top) + 'px';
  }

  each('svg.chart-svg', function (svg) {
    svg.addEventListener('mousemove', function (ev) {
      var c = nearest(svg, ev.clientX, ev.clientY);
      if (c) showTooltip(c, ev.clientX, ev.clientY);
      else hideTooltip();
    });
    svg.addEventListener('mouseleave', hideTooltip);
  });
})();
`;
