// `aioradius bench --svg FILE`: the latency distribution of a run as a bar chart a person can open
// in a browser. One bar per bin (four per doubling of the latency, so the x axis is logarithmic),
// the percentiles marked, the run's figures in the title. Plain SVG, no script, no dependency.
import type { LoadReport } from './load-engine.js';

const WIDTH = 880;
const HEIGHT = 420;
const LEFT = 70;
const RIGHT = 20;
const TOP = 60;
const BOTTOM = 60;

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function ms(x: number): string {
  if (x >= 100) return `${Math.round(x)} ms`;
  if (x >= 1) return `${x.toFixed(1)} ms`;
  return `${Math.round(x * 1000)} µs`;
}

/** The SVG text of the latency chart of `report`; `title` names the run (server, type). */
export function latencySvg(report: LoadReport, title: string): string {
  const bins = report.latencyBins;
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const maxCount = Math.max(1, ...bins.map((b) => b.count));
  const barW = bins.length ? plotW / bins.length : plotW;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`);
  const l = report.latencyMs;
  out.push(`<text x="${LEFT}" y="24" font-size="15" font-weight="bold">${esc(title)}</text>`);
  out.push(
    `<text x="${LEFT}" y="44">${esc(
      `${Math.round(report.rps).toLocaleString('en-US')} replies/s, ${report.answered} answered, ${report.timeouts} timeouts; p50 ${ms(l.p50)}, p90 ${ms(l.p90)}, p99 ${ms(l.p99)}, max ${ms(l.max)}`,
    )}</text>`,
  );
  // Axes, and count gridlines at quarters of the tallest bar.
  out.push(
    `<line x1="${LEFT}" y1="${TOP + plotH}" x2="${LEFT + plotW}" y2="${TOP + plotH}" stroke="black"/>`,
  );
  out.push(`<line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${TOP + plotH}" stroke="black"/>`);
  for (let q = 1; q <= 4; q++) {
    const y = TOP + plotH - (plotH * q) / 4;
    out.push(`<line x1="${LEFT}" y1="${y}" x2="${LEFT + plotW}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${LEFT - 6}" y="${y + 4}" text-anchor="end">${Math.round((maxCount * q) / 4)}</text>`);
  }
  const labelEvery = Math.max(1, Math.ceil(bins.length / 12));
  bins.forEach((b, i) => {
    const h = (plotH * b.count) / maxCount;
    const x = LEFT + i * barW;
    out.push(
      `<rect x="${(x + 1).toFixed(1)}" y="${(TOP + plotH - h).toFixed(1)}" width="${Math.max(1, barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="#4a78b5"><title>${esc(`≤ ${ms(b.upToMs)}: ${b.count}`)}</title></rect>`,
    );
    if (i % labelEvery === 0)
      out.push(
        `<text x="${(x + barW / 2).toFixed(1)}" y="${TOP + plotH + 16}" text-anchor="middle">${esc(ms(b.upToMs))}</text>`,
      );
  });
  // Percentile markers where their bins are.
  for (const [name, value] of [
    ['p50', l.p50],
    ['p99', l.p99],
  ] as const) {
    const i = bins.findIndex((b) => b.upToMs >= value);
    if (i < 0) continue;
    const x = LEFT + (i + 0.5) * barW;
    out.push(
      `<line x1="${x.toFixed(1)}" y1="${TOP}" x2="${x.toFixed(1)}" y2="${TOP + plotH}" stroke="#c33" stroke-dasharray="4 3"/>`,
    );
    out.push(`<text x="${(x + 4).toFixed(1)}" y="${TOP + 12}" fill="#c33">${name}</text>`);
  }
  out.push(
    `<text x="${LEFT + plotW / 2}" y="${HEIGHT - 14}" text-anchor="middle">latency (first transmission to reply), logarithmic bins</text>`,
  );
  out.push(
    `<text x="16" y="${TOP + plotH / 2}" text-anchor="middle" transform="rotate(-90 16 ${TOP + plotH / 2})">replies</text>`,
  );
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
