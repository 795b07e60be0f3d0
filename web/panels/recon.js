// Test images above their reconstructions (and, for a model trained with noise, the corrupted input it
// sees in between), redrawn whenever the Worker sends the current model's 'images'.
import { $, drawTiles } from '../common.js';

const html = `
  <section id="recon-panel" aria-labelledby="recon-h">
    <h2 id="recon-h">Test digits and their reconstructions</h2>
    <p class="muted">Top: input. <span id="noisy-note" hidden>Middle: the corrupted input the model sees. </span>Bottom: what the decoder rebuilds from the code.</p>
    <canvas id="recon" width="448" height="56" aria-label="Test digits above their reconstructions"></canvas>
  </section>`;

let ctx;

export default {
  name: 'recon',
  section: 'recon-panel',
  label: 'Reconstructions',
  html,
  setup(c) {
    ctx = c;
  },
  on: {
    images(m) {
      const { ui } = ctx;
      const c = $('recon');
      const rowsOfTiles = m.noisy ? 3 : 2;
      c.width = m.n * ui.cols;
      c.height = rowsOfTiles * ui.rows;
      // at most 4 screen pixels a pixel: a test set of one or two pictures would otherwise fill the column's
      // width and be many screens tall
      c.style.maxWidth = `${4 * c.width}px`;
      const g = c.getContext('2d');
      drawTiles(g, m.inputs, m.n, 0, false, ui);
      if (m.noisy) drawTiles(g, m.noisy, m.n, ui.rows, false, ui);
      drawTiles(g, m.recon, m.n, (rowsOfTiles - 1) * ui.rows, false, ui);
      $('noisy-note').hidden = !m.noisy;
      c.dataset.step = String(m.step);
    },
  },
};
