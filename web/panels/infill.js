// Infilling: erase part of a test image (drag, or a half at a time); the model's reconstruction of what is
// left fills the erased pixels, and the errors on them are compared with leaving them blank.
import { $, drawTiles } from '../common.js';

const html = `
  <section id="infill-panel" aria-labelledby="infill-h">
    <h2 id="infill-h">Infilling</h2>
    <p class="muted">Drag over the digit to erase part of it (shown in red). The autoencoder reconstructs the digit from what
      is left, and its reconstruction fills the erased pixels in; the pixels you kept stay as they were.</p>
    <div class="row">
      <figure><canvas id="infill-in" width="28" height="28" tabindex="0" aria-label="Test digit with erased pixels in red; drag to erase"></canvas><figcaption>Erase here</figcaption></figure>
      <figure><canvas id="infill-out" width="28" height="28" aria-label="The digit with its erased part filled in by the model"></canvas><figcaption>Filled in</figcaption></figure>
      <figure><canvas id="infill-orig" width="28" height="28" aria-label="The original digit"></canvas><figcaption>Original</figcaption></figure>
    </div>
    <div class="buttons">
      <button id="infill-new" class="secondary" disabled>Another digit</button>
      <button id="infill-top" class="secondary" disabled>Erase top half</button>
      <button id="infill-left" class="secondary" disabled>Erase left half</button>
      <button id="infill-restore" class="secondary" disabled>Restore</button>
    </div>
    <p id="infill-text" aria-live="polite">–</p>
  </section>`;

let ctx;
let infill = null; // { index, label, original, known }: the test image and which of its pixels are kept (1)

function request() {
  if (!ctx.ui.model || !infill || $('infill-panel').hidden) return;
  ctx.send('infill', { original: infill.original, known: infill.known });
}

/** The image with erased pixels in red. */
function drawInput() {
  const { rows, cols } = ctx.ui;
  const { original, known } = infill;
  const c = $('infill-in');
  c.width = cols;
  c.height = rows;
  const g = c.getContext('2d');
  const img = g.createImageData(cols, rows);
  for (let i = 0; i < original.length; i++) {
    const v = Math.round(255 * original[i]);
    img.data.set(known[i] ? [v, v, v, 255] : [200, 40, 40, 255], 4 * i);
  }
  g.putImageData(img, 0, 0);
}

function eraseAt(ev) {
  if (!infill || (ev.type === 'pointermove' && !(ev.buttons & 1))) return;
  const { rows, cols } = ctx.ui;
  const r = $('infill-in').getBoundingClientRect();
  const cx = ((ev.clientX - r.left) / r.width) * cols, cy = ((ev.clientY - r.top) / r.height) * rows;
  let changed = false;
  for (let y = 0; y < rows; y++)
    for (let x = 0; x < cols; x++)
      if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= 2.2 ** 2 && infill.known[y * cols + x]) {
        infill.known[y * cols + x] = 0;
        changed = true;
      }
  if (changed) {
    drawInput();
    request();
  }
}

function eraseRegion(which) {
  if (!infill) return;
  const { rows, cols } = ctx.ui;
  const { known } = infill;
  for (let y = 0; y < rows; y++)
    for (let x = 0; x < cols; x++) {
      const i = y * cols + x;
      if (which === 'restore') known[i] = 1;
      else if (which === 'top' ? y < rows / 2 : x < cols / 2) known[i] = 0;
    }
  drawInput();
  request();
}

export default {
  name: 'infill',
  section: 'infill-panel',
  label: 'Infilling',
  html,
  setup(c) {
    ctx = c;
    $('infill-in').addEventListener('pointerdown', (ev) => { $('infill-in').setPointerCapture(ev.pointerId); eraseAt(ev); });
    $('infill-in').addEventListener('pointermove', eraseAt);
    $('infill-new').addEventListener('click', () => ctx.send('digit', { index: Math.floor(Math.random() * ctx.ui.nTest), purpose: 'infill', nTest: ctx.ui.nTest }));
    $('infill-top').addEventListener('click', () => eraseRegion('top'));
    $('infill-left').addEventListener('click', () => eraseRegion('left'));
    $('infill-restore').addEventListener('click', () => eraseRegion('restore'));
  },
  on: {
    data(m) {
      for (const id of ['infill-in', 'infill-out', 'infill-orig']) {
        $(id).width = m.cols;
        $(id).height = m.rows;
      }
      infill = null;
    },
    model() {
      if (!infill) ctx.send('digit', { index: 0, purpose: 'infill', nTest: ctx.ui.nTest });
    },
    digit(m) {
      if (m.purpose !== 'infill') return;
      infill = { index: m.index, label: m.label, original: m.image, known: new Uint8Array(m.image.length).fill(1) };
      drawTiles($('infill-orig').getContext('2d'), m.image, 1, 0, false, ctx.ui);
      drawInput();
      request();
    },
    infilled(m) {
      drawTiles($('infill-out').getContext('2d'), m.filled, 1, 0, false, ctx.ui);
      const t = $('infill-text');
      // within a tenth of blank: say why, or the panel looks broken. scripts/infill.mjs (top half erased, 100
      // test digits, 2 epochs): W3 0.0945 filled in against 0.0958 blank (with masking noise 0.0894), keras.io
      // 0.0952; Simple 0.0633, Denoising 0.0607, its plain twin 0.0789. Pixels that were black already (blank
      // error near 0) have nothing to restore.
      const dark = m.erased > 0 && m.blankMse <= 0.005, little = m.erased > 0 && !dark && m.fillMse >= 0.9 * m.blankMse;
      const why = dark ? ' The erased pixels were black already: there was little to restore.'
        : little ? ` The fill is ${m.fillMse >= m.blankMse ? 'no' : 'little'} better than leaving the pixels blank: a model trained on whole digits`
          + ' mostly gives back what it is shown, the black included. A dense model, whose code depends on every pixel, fills in more'
          + ' (Simple, and most of all Denoising, which is trained to restore pixels erased at random); a convolutional model fills in least.' : '';
      t.textContent = (m.erased
        ? `${m.erased} pixels erased. Mean squared error on them: ${m.fillMse.toFixed(4)} after filling in, against ${m.blankMse.toFixed(4)} if left blank.`
        : ctx.say('Nothing erased yet: drag over the digit, or use a button.')) + ctx.say(why);
      t.dataset.little = little ? '1' : dark ? 'dark' : '';
      t.dataset.erased = m.erased;
      t.dataset.fill = m.fillMse;
      t.dataset.blank = m.blankMse;
    },
  },
  enable(ui) {
    for (const id of ['infill-new', 'infill-top', 'infill-left', 'infill-restore']) $(id).disabled = !ui.ready || !ui.model;
  },
  refresh() {
    request();
  },
};
