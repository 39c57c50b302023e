/**
 * A drill timeline drawn as SVG text (no browser): orders acknowledged (up, green) and refused
 * (down, red) per second; one band per canary and target coloured by the layer each probe read;
 * the failover's events as labelled vertical lines. Deterministic: the same timeline gives the
 * same bytes, so a committed picture can be compared with a fresh one.
 */
import type { DrillTimeline } from './timeline';

const WIDTH = 960;
const LEFT = 150;
const RIGHT = 20;
const ORDERS_TOP = 40;
const ORDERS_HALF = 40;
const BAND = 12;
const BAND_GAP = 4;

/** Layer colours (lambda/orchestrator/gate.ts PROBE_LAYERS). */
export const LAYER_COLOURS: Record<string, string> = {
  up: '#2e7d32',
  transport: '#c62828',
  sick: '#ef6c00',
  tls: '#6a1b9a',
  inconclusive: '#9e9e9e',
};

/** Events drawn as lines, with their colour; the rest are in the JSON only. */
const MARKED: Record<string, string> = {
  'fault-start': '#000000',
  decision: '#1565c0',
  fence: '#6a1b9a',
  'first-live-order-secondary': '#2e7d32',
  'promotion-started': '#ef6c00',
  'promotion-complete': '#ef6c00',
  'ledger-caught-up': '#00838f',
};

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fixed = (n: number) => (Math.round(n * 10) / 10).toString();

export function timelineSvg(t: DrillTimeline): string {
  const plot = WIDTH - LEFT - RIGHT;
  const duration = Math.max(1, t.durationSeconds);
  const x = (seconds: number) => LEFT + (Math.min(seconds, duration) / duration) * plot;
  const peak = Math.max(1, ...t.orders.map((o) => Math.max(o.acknowledged, o.refused)));
  const mid = ORDERS_TOP + ORDERS_HALF;
  const bands = [...new Set(t.votes.map((v) => `${v.vantage} ${v.target}`))].sort();
  const bandsTop = mid + ORDERS_HALF + 24;
  const eventsTop = bandsTop + bands.length * (BAND + BAND_GAP) + 10;
  const marked = t.events.filter((e) => MARKED[e.event]);
  const height = eventsTop + marked.length * 14 + 40;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="18" font-size="13" font-weight="bold">${escape(`${t.scenario} (seed ${t.seed}): ${t.passed ? 'pass' : 'FAIL'}`)}</text>`,
    `<text x="10" y="32" fill="#555555">${escape(t.title)}</text>`,
    `<text x="10" y="${mid - 4}">orders / s</text>`,
    `<text x="10" y="${mid + 10}" fill="#555555">up: acknowledged, down: refused (max ${peak})</text>`,
    `<line x1="${LEFT}" y1="${mid}" x2="${WIDTH - RIGHT}" y2="${mid}" stroke="#bbbbbb"/>`,
  ];
  // Runs of equal seconds (and of equal probe layers) are drawn as one rectangle each.
  const bars = (pick: (o: DrillTimeline['orders'][number]) => number, up: boolean, colour: string) => {
    for (let i = 0; i < t.orders.length;) {
      const value = pick(t.orders[i]);
      let j = i + 1;
      while (j < t.orders.length && pick(t.orders[j]) === value) j++;
      if (value > 0) {
        const h = (value / peak) * ORDERS_HALF;
        const x0 = x(t.orders[i].second);
        out.push(
          `<rect x="${fixed(x0)}" y="${fixed(up ? mid - h : mid)}" width="${fixed(Math.max(0.5, x(t.orders[j - 1].second + 1) - x0))}" height="${fixed(h)}" fill="${colour}"/>`,
        );
      }
      i = j;
    }
  };
  bars((o) => o.acknowledged, true, LAYER_COLOURS.up);
  bars((o) => o.refused, false, LAYER_COLOURS.transport);
  bands.forEach((band, i) => {
    const y = bandsTop + i * (BAND + BAND_GAP);
    out.push(`<text x="10" y="${y + BAND - 2}">${escape(band)}</text>`);
    const probes = t.votes.filter((v) => `${v.vantage} ${v.target}` === band);
    for (let j = 0; j < probes.length;) {
      let k = j + 1;
      while (k < probes.length && probes[k].layer === probes[j].layer) k++;
      const end = probes[k]?.atSeconds ?? duration;
      out.push(
        `<rect x="${fixed(x(probes[j].atSeconds))}" y="${y}" width="${fixed(Math.max(0.5, x(end) - x(probes[j].atSeconds)))}" height="${BAND}" fill="${LAYER_COLOURS[probes[j].layer] ?? '#000000'}"/>`,
      );
      j = k;
    }
  });
  const legend = Object.entries(LAYER_COLOURS)
    .map(
      ([layer, colour], i) =>
        `<rect x="${LEFT + i * 110}" y="${bandsTop - 16}" width="10" height="10" fill="${colour}"/><text x="${LEFT + i * 110 + 14}" y="${bandsTop - 7}">${layer}</text>`,
    )
    .join('');
  out.push(legend);
  marked.forEach((e, i) => {
    const ex = fixed(x(e.atSeconds));
    const y = eventsTop + i * 14 + 10;
    const colour = MARKED[e.event];
    out.push(
      `<line x1="${ex}" y1="${ORDERS_TOP}" x2="${ex}" y2="${y - 4}" stroke="${colour}" stroke-dasharray="3,2"/>`,
      `<text x="${ex}" y="${y}" fill="${colour}" text-anchor="${x(e.atSeconds) > WIDTH / 2 ? 'end' : 'start'}">${escape(`${e.atSeconds} s ${e.event}${e.detail ? `: ${e.detail}` : ''}`)}</text>`,
    );
  });
  const axis = height - 16;
  out.push(`<line x1="${LEFT}" y1="${axis - 10}" x2="${WIDTH - RIGHT}" y2="${axis - 10}" stroke="#555555"/>`);
  for (let s = 0; s <= duration; s += 60)
    out.push(`<text x="${fixed(x(s))}" y="${axis + 4}" text-anchor="middle" fill="#555555">${s} s</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
