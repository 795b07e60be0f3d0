// The latent map: the codes of test images (a 2-unit code as it is, a wider one projected on its two
// principal components by the Worker), coloured by label. A click, a drag or the arrow keys decode a point
// of the map; the drawing panel marks where a drawn image's code lands (setStar).
import { $, drawTiles, labelName } from '../common.js';

const html = `
  <section id="latent-panel" aria-labelledby="latent-h">
    <h2 id="latent-h">Latent space</h2>
    <p class="muted" id="latent-note">The codes of 2,000 test digits, coloured by digit. Click or drag anywhere to decode that point.</p>
    <div class="row">
      <canvas id="latent" width="320" height="320" tabindex="0" aria-label="Scatter of test-digit codes; click to decode a point"></canvas>
      <div><canvas id="decoded" width="28" height="28" aria-label="The image decoded from the chosen point"></canvas>
        <p id="decoded-at" class="muted" aria-live="polite">Click the map.</p>
        <p id="latent-legend" class="legend"></p></div>
    </div>
  </section>`;

let ctx;
const DIGIT_COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

let last = null; // the last 'latent' message, redrawn with the cursor and the star
let bounds = null; // { x0, x1, y0, y1 }: the map's coordinates, from the last projection
let cursor = null; // the decoded point, [x, y]
let star = null; // where the drawn image's code lands, [x, y]

/** Mark where a drawn image's code lands, or remove the mark (null). */
export function setStar(point) {
  star = point;
  redraw();
}

/** A new projection from the worker: its bounds become the map's coordinates until the next one. */
function show(m) {
  last = m;
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < m.points.length; i += 2) {
    x0 = Math.min(x0, m.points[i]); x1 = Math.max(x1, m.points[i]);
    y0 = Math.min(y0, m.points[i + 1]); y1 = Math.max(y1, m.points[i + 1]);
  }
  const pad = 0.05 * Math.max(x1 - x0, y1 - y0, 1e-6);
  bounds = { x0: x0 - pad, x1: x1 + pad, y0: y0 - pad, y1: y1 + pad };
  redraw();
}

function redraw() {
  const m = last;
  if (!m) return;
  const c = $('latent');
  const g = c.getContext('2d');
  const n = m.points.length / 2;
  const L = bounds;
  g.clearRect(0, 0, c.width, c.height);
  for (let i = 0; i < n; i++) {
    g.fillStyle = m.labels ? DIGIT_COLOURS[m.labels[i] % 10] : '#555';
    const px = ((m.points[2 * i] - L.x0) / (L.x1 - L.x0)) * c.width;
    const py = (1 - (m.points[2 * i + 1] - L.y0) / (L.y1 - L.y0)) * c.height;
    g.fillRect(px - 1.5, py - 1.5, 3, 3);
  }
  const toPx = ([x, y]) => [((x - L.x0) / (L.x1 - L.x0)) * c.width, (1 - (y - L.y0) / (L.y1 - L.y0)) * c.height];
  if (cursor) {
    const [px, py] = toPx(cursor);
    g.strokeStyle = '#000';
    g.lineWidth = 1.5;
    g.beginPath();
    g.moveTo(px - 8, py); g.lineTo(px + 8, py); g.moveTo(px, py - 8); g.lineTo(px, py + 8);
    g.stroke();
  }
  if (star) {
    const [px, py] = toPx(star);
    g.font = '22px system-ui, sans-serif';
    g.textAlign = 'center';
    g.textBaseline = 'middle';
    g.lineWidth = 3;
    g.strokeStyle = '#fff';
    g.strokeText('★', px, py);
    g.fillStyle = '#000';
    g.fillText('★', px, py);
  }
  const some = `${n.toLocaleString('en')} test digit${n === 1 ? '' : 's'}`, by = m.labels ? ', coloured by digit' : '';
  $('latent-note').textContent = ctx.say(m.dims === 2
    ? `The 2-unit codes of ${some}${by}. Click or drag anywhere to decode that point.`
    : `The ${m.dims.toLocaleString('en')}-unit codes of ${some}, projected onto their two principal components (PCA)${by}. Click or drag to decode a point of that plane.`);
  const classes = m.labels ? Math.min(DIGIT_COLOURS.length, 1 + m.labels.reduce((a, b) => Math.max(a, b), 0)) : 0;
  $('latent-legend').innerHTML = DIGIT_COLOURS.slice(0, classes).map((col, d) => `<span style="color:${col}">■ ${labelName(ctx.ui, d)}</span>`).join('');
}

function decodeAt(x, y) {
  cursor = [x, y];
  redraw();
  ctx.send('decodePoint', { x, y });
}

function click(ev) {
  if (!bounds || (ev.type === 'pointermove' && !(ev.buttons & 1))) return;
  const r = $('latent').getBoundingClientRect();
  const L = bounds;
  const x = L.x0 + ((ev.clientX - r.left) / r.width) * (L.x1 - L.x0);
  const y = L.y0 + (1 - (ev.clientY - r.top) / r.height) * (L.y1 - L.y0);
  decodeAt(x, y);
}

/** Arrow keys move the decoded point by 2% of the map (10% with Shift); Enter or Space decodes the centre. */
function key(ev) {
  const L = bounds;
  if (!L) return;
  const step = ev.shiftKey ? 0.1 : 0.02;
  const [x, y] = cursor ?? [(L.x0 + L.x1) / 2, (L.y0 + L.y1) / 2];
  const dx = { ArrowLeft: -1, ArrowRight: 1 }[ev.key] ?? 0;
  const dy = { ArrowDown: -1, ArrowUp: 1 }[ev.key] ?? 0;
  if (!dx && !dy && ev.key !== 'Enter' && ev.key !== ' ') return;
  ev.preventDefault();
  decodeAt(x + dx * step * (L.x1 - L.x0), y + dy * step * (L.y1 - L.y0));
}

export default {
  name: 'latent',
  section: 'latent-panel',
  label: 'Latent space',
  html,
  setup(c) {
    ctx = c;
    $('latent').addEventListener('pointerdown', click);
    $('latent').addEventListener('pointermove', click);
    $('latent').addEventListener('keydown', key);
  },
  on: {
    /** New data: the old map's coordinates mean nothing for it. */
    data() {
      last = null;
      bounds = null;
      $('latent').getContext('2d').clearRect(0, 0, $('latent').width, $('latent').height);
      cursor = null;
      star = null;
    },
    latent(m) {
      show(m);
    },
    decoded(m) {
      drawTiles($('decoded').getContext('2d'), m.image, 1, 0, false, ctx.ui);
      $('decoded-at').textContent = `Decoded from (${m.x.toFixed(2)}, ${m.y.toFixed(2)}).`;
    },
  },
};
