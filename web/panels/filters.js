// The first layer's weights, each tile stretched to its own range, sent with the Worker's 'images'
// (worker/core.js firstFilters): a dense layer's units (up to 32, 16 to a row), each unit's weights an image
// of the input; a convolution's K×K kernels (up to 64, one per filter and input channel), drawn large.
import { $, drawTiles } from '../common.js';

const html = `
  <section id="filters-panel" aria-labelledby="filters-h">
    <h2 id="filters-h">First-layer weights</h2>
    <p id="filters-dense" class="muted">Each tile is one encoder unit's <span class="npix">784</span> weights drawn as an image: the patterns it responds to.</p>
    <p id="filters-conv" class="muted" hidden></p>
    <p id="filters-none" class="muted" hidden>This model's first layer is not a dense or convolutional one: there are no filters over the image to show.</p>
    <canvas id="filters" width="448" height="56" aria-label="First-layer weights as images"></canvas>
  </section>`;

let ctx;
const PER_ROW = 16;
const KERNEL_PX = 24; // about how many canvas pixels a kernel is wide, whatever its K
const GAP = 2; // canvas pixels between kernels

/** n kernels (K, K) in rows of `perRow`, each weight a square of s pixels, on the page's line colour. */
function drawKernels(c, tiles, n, K, perRow) {
  const s = Math.max(2, Math.round(KERNEL_PX / K)), side = K * s + GAP;
  c.width = Math.min(n, perRow) * side + GAP;
  c.height = Math.ceil(n / perRow) * side + GAP;
  const g = c.getContext('2d');
  g.fillStyle = '#dde1e8';
  g.fillRect(0, 0, c.width, c.height);
  for (let t = 0; t < n; t++) {
    const p = tiles.subarray(t * K * K, (t + 1) * K * K);
    let lo = Math.min(...p), hi = Math.max(...p);
    if (!(hi > lo)) hi = lo + 1;
    const x0 = (t % perRow) * side + GAP, y0 = Math.floor(t / perRow) * side + GAP;
    for (let k = 0; k < K * K; k++) {
      const v = Math.round((255 * (p[k] - lo)) / (hi - lo)) || 0;
      g.fillStyle = `rgb(${v},${v},${v})`;
      g.fillRect(x0 + (k % K) * s, y0 + Math.floor(k / K) * s, s, s);
    }
  }
}

export default {
  name: 'filters',
  section: 'filters-panel',
  label: 'Filters',
  html,
  setup(c) {
    ctx = c;
  },
  on: {
    images(m) {
      const fl = m.filters;
      const f = $('filters');
      $('filters-dense').hidden = fl?.kind !== 'dense';
      $('filters-conv').hidden = fl?.kind !== 'conv';
      $('filters-none').hidden = !!fl;
      f.hidden = !fl;
      if (!fl) return;
      Object.assign(f.dataset, { kind: fl.kind, tiles: fl.n, total: fl.total });
      if (fl.kind === 'conv') {
        const { n, total, shape: [K], filters, channels } = fl;
        // whole filters to a row: the kernels of one filter over its input channels side by side
        drawKernels(f, fl.tiles, n, K, channels <= PER_ROW ? channels * Math.floor(PER_ROW / channels) : PER_ROW);
        f.style.width = `${f.width}px`; // drawn at its own size (never wider than the panel), not stretched
        const ch = channels === 1 ? 'one input channel' : `${channels} input channels, a filter's kernels side by side`;
        $('filters-conv').textContent = `Each tile is one ${K}×${K} kernel of the first convolution, stretched to its own range (black its lowest weight, white `
          + `its highest): ${filters} filters over ${ch}${n < total ? `; the first ${n} of ${total} kernels shown` : ''}. They are the edges, strokes and spots each filter looks for.`;
        return;
      }
      const { ui } = ctx;
      const k = fl.n;
      f.style.width = '';
      f.width = PER_ROW * ui.cols;
      f.height = Math.ceil(k / PER_ROW) * ui.rows;
      const g = f.getContext('2d');
      for (let r = 0; r * PER_ROW < k; r++) {
        const n = Math.min(PER_ROW, k - r * PER_ROW);
        drawTiles(g, fl.tiles.subarray(r * PER_ROW * ui.rows * ui.cols), n, r * ui.rows, true, ui);
      }
    },
  },
};
