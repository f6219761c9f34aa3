// check_report.js - opens a mixdown report in headless Chromium (Debian's
// /usr/bin/chromium driven by playwright-core; never a browser download),
// takes a full-page screenshot and reads every plot back.
//
//   NODE_PATH=<dir with playwright-core> node check_report.js REPORT.html SHOT.png > out.json
//
// Prints JSON: {errors: [...], plots: [{id, width, x_label, y_label, axis_texts,
// legend: [...], series: [{name, role, kind, points, plotted_max, plotted_min,
// plotted_max_x, data_max, data_min}]}], table: {key: [values...]}, data: <the
// page's embedded JSON>}. Exit 0 when the page loaded; the caller judges.
const { chromium } = require('playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

async function main() {
  const [html, shot] = process.argv.slice(2);
  if (!html || !shot) {
    console.error('usage: check_report.js REPORT.html SHOT.png');
    process.exit(2);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'md-chromium-'));
  const errors = [];
  let ctx;
  try {
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
             '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const page = await ctx.newPage();
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`console ${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    page.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith('file:') && !u.startsWith('data:')) errors.push(`network request: ${u}`);
    });
    const resp = await page.goto('file://' + path.resolve(html), { waitUntil: 'load' });
    if (!resp || !resp.ok()) errors.push('page did not load');
    await page.screenshot({ path: shot, fullPage: true });
    const info = await page.evaluate(() => {
      const num = (s) => parseFloat(s);
      const plots = [];
      for (const svg of document.querySelectorAll('svg.plot')) {
        const d = svg.dataset;
        const ax = { xmin: num(d.xMin), xmax: num(d.xMax), xlog: d.xLog === 'true',
                     ymin: num(d.yMin), ymax: num(d.yMax), left: num(d.left), top: num(d.top),
                     w: num(d.width), h: num(d.height) };
        const yval = (py) => ax.ymax - (py - ax.top) / ax.h * (ax.ymax - ax.ymin);
        const xval = (px) => {
          const f = (px - ax.left) / ax.w;
          return ax.xlog ? Math.exp(Math.log(ax.xmin) + f * (Math.log(ax.xmax) - Math.log(ax.xmin)))
                         : ax.xmin + f * (ax.xmax - ax.xmin);
        };
        const series = [];
        for (const el of svg.querySelectorAll('[data-series]')) {
          let pts = [];
          if (el.tagName === 'polyline') {
            pts = el.getAttribute('points').trim().split(/\s+/).map((p) => p.split(',').map(Number));
          } else if (el.tagName === 'path') {
            const nums = el.getAttribute('d').match(/-?[\d.]+,-?[\d.]+/g) || [];
            pts = nums.map((p) => p.split(',').map(Number));
            pts = pts.slice(1, -1); // drop the two base corners of the area
          } else {
            for (const r of el.querySelectorAll('rect')) pts.push([num(r.getAttribute('x')) + num(r.getAttribute('width')) / 2, num(r.getAttribute('y'))]);
          }
          let mx = -Infinity, mn = Infinity, mxx = null;
          for (const [px, py] of pts) {
            const v = yval(py);
            if (v > mx) { mx = v; mxx = xval(px); }
            if (v < mn) mn = v;
          }
          series.push({ name: el.dataset.series, role: el.dataset.role || null, kind: el.tagName,
                        points: pts.length, plotted_max: mx, plotted_min: mn, plotted_max_x: mxx,
                        data_max: el.dataset.max !== undefined ? num(el.dataset.max) : null,
                        data_min: el.dataset.min !== undefined ? num(el.dataset.min) : null });
        }
        const box = svg.getBoundingClientRect();
        plots.push({ id: d.plot, width: box.width, height: box.height,
                     x_label: d.xLabel, y_label: d.yLabel,
                     axis_texts: [...svg.querySelectorAll('text.axis')].map((t) => t.textContent),
                     tick_count: svg.querySelectorAll('text.xt').length + svg.querySelectorAll('text.yt').length,
                     legend: [...svg.querySelectorAll('g.legend text')].map((t) => t.textContent),
                     series });
      }
      const table = {};
      for (const tr of document.querySelectorAll('table.meas tr[data-key]')) {
        // one list per key: the value cells of every table in page order
        const vals = [...tr.querySelectorAll('td.num')].map((td) => td.dataset.value !== undefined ? num(td.dataset.value) : null);
        table[tr.dataset.key] = (table[tr.dataset.key] || []).concat(vals);
      }
      const dataEl = document.getElementById('mixdown-data');
      return { plots, table, data: dataEl ? JSON.parse(dataEl.textContent) : null,
               scroll_width: document.documentElement.scrollWidth,
               scripts: document.querySelectorAll('script:not([type="application/json"])').length };
    });
    info.errors = errors;
    process.stdout.write(JSON.stringify(info) + '\n');
  } finally {
    if (ctx) await ctx.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error('check_report: ' + e.message); process.exit(2); });
