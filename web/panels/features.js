// Feature maps: one test image through the current model, every channel of every layer that keeps an image's
// layout (the input, conv, convt, pool, up, reshape outputs) drawn as a small grey image, each stretched to its
// own range. Asked for again after each 'images' message, so they change as the model trains.
import { $, aLabel } from '../common.js';

const html = `
  <section id="features-panel" aria-labelledby="features-h">
    <h2 id="features-h">Feature maps</h2>
    <p class="muted">One test digit on its way through the model: every channel of every layer that keeps the image's layout
      (convolution, pooling, upsampling) as a small image, each stretched to its own range (black its lowest value, white its
      highest). They change as the model trains.</p>
    <div class="row">
      <label>Test digit <input id="features-index" type="number" min="0" max="9999" value="0" required></label>
      <button id="features-prev" class="secondary" aria-label="Previous test digit" disabled>◀</button>
      <button id="features-next" class="secondary" aria-label="Next test digit" disabled>▶</button>
      <button id="features-random" class="secondary" disabled>Random digit</button>
    </div>
    <p id="features-text" aria-live="polite">–</p>
    <div id="features-maps"></div>
  </section>`;

const PER_ROW = 8; // channels side by side in one layer's picture
const TILE_PX = 48; // about how wide a channel is drawn, whatever its size: 4×4 maps as big as 28×28 ones

let ctx;
let layout = ''; // the layers the pictures were made for (their shapes): remade when the model changes

/** The index in the field, or null (with a message) if it is not a test item. */
function index() {
  const { ui } = ctx;
  const v = $('features-index').value === '' ? NaN : Number($('features-index').value);
  if (Number.isInteger(v) && v >= 0 && v < ui.nTest) return v;
  say(`Pick a test digit from 0 to ${ui.nTest - 1}.`);
  return null;
}

/** The live line: only rewritten when it changes, so a screen reader hears a new digit, not each refresh. */
function say(s) {
  const t = ctx.say(s);
  if ($('features-text').textContent !== t) $('features-text').textContent = t;
}

function request() {
  if (!ctx.ui.model || $('features-panel').hidden) return;
  const i = index();
  if (i !== null) ctx.send('features', { index: i, nTest: ctx.ui.nTest });
}

function pick(i) {
  const n = ctx.ui.nTest;
  $('features-index').value = String(((i % n) + n) % n);
  request();
}

/** One figure per layer: its caption ("conv 16×28×28") and a canvas for its channels. */
function build(maps) {
  const box = $('features-maps');
  box.replaceChildren();
  for (const m of maps) {
    const [c, h, w] = m.shape;
    const shape = `${c}×${h}×${w}`;
    const f = document.createElement('figure');
    f.className = 'fmap';
    Object.assign(f.dataset, { layer: m.layer, kind: m.kind, channels: c, tiles: m.n });
    const cv = document.createElement('canvas');
    cv.id = `features-${m.layer + 1}`;
    // each map pixel s×s canvas pixels, and 1-pixel gaps: thin lines between maps of any size
    const s = Math.max(1, Math.round(TILE_PX / Math.max(h, w)));
    cv.dataset.scale = s;
    cv.width = Math.min(m.n, PER_ROW) * (w * s + 1) + 1;
    cv.height = Math.ceil(m.n / PER_ROW) * (h * s + 1) + 1;
    cv.style.width = `${cv.width}px`; // its own size, shrunk (CSS max-width) on a narrow screen
    const which = m.layer < 0 ? 'The input' : `Layer ${m.layer + 1}, ${m.kind}`;
    const shown = m.n < c ? `the first ${m.n} of its ${c} channels` : c === 1 ? 'its one channel' : `its ${c} channels`;
    cv.setAttribute('aria-label', ctx.say(`${which} (${shape}): ${shown} as ${h}×${w} images`));
    const fc = document.createElement('figcaption');
    fc.textContent = `${m.kind} ${shape}${m.n < c ? ` (first ${m.n} channels)` : ''}`;
    f.append(fc, cv);
    box.append(f);
  }
}

/** The n planes (h, w) in rows of PER_ROW with 1-pixel gaps, each pixel s×s, each plane stretched from its own
 * min to its max. */
function draw(m) {
  const [, h, w] = m.shape;
  const cv = $(`features-${m.layer + 1}`);
  const s = Number(cv.dataset.scale);
  const g = cv.getContext('2d');
  const img = g.createImageData(cv.width, cv.height);
  new Uint32Array(img.data.buffer).fill(0xffe8e1dd); // the gaps: the page's line colour #dde1e8, opaque (RGBA bytes, little-endian)
  for (let t = 0; t < m.n; t++) {
    const p = m.planes.subarray(t * h * w, (t + 1) * h * w);
    let lo = Infinity, hi = -Infinity;
    for (const v of p) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    if (!(hi > lo)) hi = lo + 1; // a flat channel (a ReLU that is off everywhere) is black
    const x0 = (t % PER_ROW) * (w * s + 1) + 1, y0 = Math.floor(t / PER_ROW) * (h * s + 1) + 1;
    for (let y = 0; y < h * s; y++)
      for (let x = 0; x < w * s; x++) {
        const v = Math.round((255 * (p[Math.floor(y / s) * w + Math.floor(x / s)] - lo)) / (hi - lo));
        const o = 4 * ((y0 + y) * cv.width + x0 + x);
        img.data[o] = img.data[o + 1] = img.data[o + 2] = Number.isFinite(v) ? v : 0;
      }
  }
  g.putImageData(img, 0, 0);
}

export default {
  name: 'features',
  section: 'features-panel',
  label: 'Feature maps',
  html,
  setup(c) {
    ctx = c;
    $('features-index').addEventListener('change', request);
    $('features-prev').addEventListener('click', () => pick(Number($('features-index').value) - 1));
    $('features-next').addEventListener('click', () => pick(Number($('features-index').value) + 1));
    $('features-random').addEventListener('click', () => pick(Math.floor(Math.random() * ctx.ui.nTest)));
  },
  on: {
    data(m) {
      $('features-index').max = String(m.test - 1);
      if (!(Number($('features-index').value) < m.test)) $('features-index').value = '0';
    },
    features(m) {
      const key = m.maps.map((x) => `${x.layer}:${x.shape}:${x.n}`).join('|');
      if (key !== layout) {
        build(m.maps);
        layout = key;
      }
      for (const x of m.maps) draw(x);
      const what = `Test digit ${m.index}${m.label === null ? '' : ` (${aLabel(ctx.ui, m.label)})`}`;
      say(m.dense
        ? `${what}. Feature maps are for convolutional models: this model's layers are flat vectors with no image layout, so only its input and output are shown.`
        : `${what}: ${m.maps.length} tensors with an image layout, from the input to the output.`);
      $('features-maps').dataset.index = m.index;
    },
  },
  enable(ui) {
    for (const id of ['features-prev', 'features-next', 'features-random']) $(id).disabled = !ui.ready || !ui.model;
  },
  refresh() {
    request();
  },
};
