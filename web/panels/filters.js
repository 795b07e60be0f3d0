// The first layer's weights, one tile per encoder unit (up to 32, 16 to a row), each stretched to its own
// range. Sent with the Worker's 'images' when the first layer reads whole images.
import { $, drawTiles } from '../common.js';

const html = `
  <section id="filters-panel" aria-labelledby="filters-h">
    <h2 id="filters-h">First-layer weights</h2>
    <p class="muted">Each tile is one encoder unit's <span class="npix">784</span> weights drawn as an image: the patterns it responds to.</p>
    <canvas id="filters" width="448" height="56" aria-label="First-layer weights as images"></canvas>
  </section>`;

let ctx;
const PER_ROW = 16;

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
      if (!m.filters) return;
      const { ui } = ctx;
      const f = $('filters');
      const k = m.nFilters;
      f.width = PER_ROW * ui.cols;
      f.height = Math.ceil(k / PER_ROW) * ui.rows;
      const g = f.getContext('2d');
      for (let r = 0; r * PER_ROW < k; r++) {
        const n = Math.min(PER_ROW, k - r * PER_ROW);
        drawTiles(g, m.filters.subarray(r * PER_ROW * ui.rows * ui.cols), n, r * ui.rows, true, ui);
      }
    },
  },
};
