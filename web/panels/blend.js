// Blending through the code: the decoded straight path between the codes of two test images, above a plain
// cross-fade of their pixels.
import { $, drawTiles, aLabel } from '../common.js';

const html = `
  <section id="blend-panel" aria-labelledby="blend-h">
    <h2 id="blend-h">Blending through the code</h2>
    <p class="muted">Encode two test digits, walk in a straight line from one code to the other and decode each point (top row).
      Below it, a plain cross-fade of the pixels: the decoder's path stays among digit-like images, the cross-fade is two digits overlaid.</p>
    <div class="row">
      <label>From test digit <input id="blend-a" type="number" min="0" max="9999" value="0" required></label>
      <label>To test digit <input id="blend-b" type="number" min="0" max="9999" value="1" required></label>
      <button id="blend-random" class="secondary" disabled>Another pair</button>
    </div>
    <canvas id="blend" width="280" height="56" aria-label="Top: decoded path between the two codes. Bottom: pixel cross-fade."></canvas>
    <p id="blend-text" aria-live="polite">–</p>
  </section>`;

let ctx;

function request() {
  const { ui } = ctx;
  if (!ui.model || $('blend-panel').hidden) return;
  const a = $('blend-a').value === '' ? NaN : Number($('blend-a').value), b = $('blend-b').value === '' ? NaN : Number($('blend-b').value);
  if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < 0 || a >= ui.nTest || b >= ui.nTest) {
    $('blend-text').textContent = ctx.say(`Pick two test digits from 0 to ${ui.nTest - 1}.`);
    return;
  }
  ctx.send('blend', { a, b, nTest: ui.nTest });
}

export default {
  name: 'blend',
  section: 'blend-panel',
  label: 'Blending',
  html,
  setup(c) {
    ctx = c;
    for (const id of ['blend-a', 'blend-b']) $(id).addEventListener('change', request);
    $('blend-random').addEventListener('click', () => {
      $('blend-a').value = String(Math.floor(Math.random() * ctx.ui.nTest));
      $('blend-b').value = String(Math.floor(Math.random() * ctx.ui.nTest));
      request();
    });
  },
  on: {
    data(m) {
      for (const id of ['blend-a', 'blend-b']) $(id).max = String(m.test - 1);
      $('blend-a').value = '0';
      $('blend-b').value = String(Math.min(1, m.test - 1));
    },
    blend(m) {
      const { ui } = ctx;
      const c = $('blend');
      c.width = m.steps * ui.cols;
      c.height = 2 * ui.rows;
      const g = c.getContext('2d');
      drawTiles(g, m.path, m.steps, 0, false, ui);
      drawTiles(g, m.fade, m.steps, ui.rows, false, ui);
      const name = (i, l) => `${ctx.say('test digit')} ${i}${l === null ? '' : ` (${aLabel(ctx.ui, l)})`}`;
      $('blend-text').textContent = `From ${name(m.a, m.labelA)} to ${name(m.b, m.labelB)} in ${m.steps} steps. Top: decoded from the blended code. Bottom: pixels cross-faded.`;
      c.dataset.a = m.a;
      c.dataset.b = m.b;
    },
  },
  enable(ui) {
    $('blend-random').disabled = !ui.ready || !ui.model;
  },
  refresh() {
    request();
  },
};
