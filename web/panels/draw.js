// Drawing: strokes on a 224×224 canvas, reduced to the data's size the way the data's items were made (MNIST's
// recipe, Fashion-MNIST's, or one's own pictures' centre crop), then encoded and decoded; the latent map marks
// where the drawing's code lands.
import { $, drawTiles } from '../common.js';
import { setStar } from './latent.js';

// How a drawing becomes an input, per the data's own recipe. (No "digit" in these: the page's rewording of
// its own text for other data must not capture and restore this span, which the panel writes itself.)
const RECIPE_TEXT = {
  mnist: "Your drawing becomes an input as MNIST's were made: its ink scaled into a 20×20 box of the 28×28 and centred by its mass.",
  fashion: "Your drawing becomes an input as Fashion-MNIST's were made: its ink scaled to fill the frame and centred.",
  pictures: 'Your drawing becomes an input as your pictures did: the whole square, its middle cut to the images\' shape and resized.',
};
let recipe = 'mnist'; // 'mnist' for MNIST and one's own IDX files (MNIST's format, mostly its recipe too), 'fashion', 'pictures'

const html = `
  <section id="draw-panel" aria-labelledby="draw-h">
    <h2 id="draw-h">Draw a digit</h2>
    <p class="muted">Draw with the mouse, a pen or a finger. <span id="draw-recipe">${RECIPE_TEXT.mnist}</span> Then it is encoded and
      decoded; a star marks where its code lands on the latent map.</p>
    <div class="row">
      <canvas id="draw" width="224" height="224" aria-label="Drawing area"></canvas>
      <figure><canvas id="draw-in" width="28" height="28" aria-label="Your drawing as the model sees it"></canvas><figcaption>Model input</figcaption>
        <canvas id="draw-recon" width="28" height="28" aria-label="The model's reconstruction of your drawing"></canvas><figcaption>Reconstruction</figcaption></figure>
    </div>
    <div class="buttons"><button id="draw-clear" class="secondary">Clear</button></div>
    <p id="draw-text" aria-live="polite">Draw a digit above.</p>
  </section>`;

let ctx;
let drawn = false; // something is drawn: each new model reconstructs it again

function clear() {
  const c = $('draw');
  const g = c.getContext('2d');
  g.fillStyle = '#000';
  g.fillRect(0, 0, c.width, c.height);
  drawn = false;
  setStar(null);
  delete $('draw-text').dataset.done;
  prompt();
}

/** The line before anything is drawn, in the data's words: the panel's own text (clear() rewrites it), so the
 * page's rewording does not reach it. */
function prompt() {
  const t = ctx.say('Draw a digit above.');
  if (!$('draw-text').dataset.done && $('draw-text').textContent !== t) $('draw-text').textContent = t;
}

/** MNIST's recipe: the ink's bounding box scaled to fit 20×20 of 28×28 (aspect kept, anti-aliased), then
 * moved so its centre of mass sits at the centre. Fashion-MNIST's (Xiao, Rasul and Vollgraf 2017): the box's
 * longer side scaled to the frame's, the box centred. One's own pictures' (src/image.c): the whole canvas, its
 * middle cut to the images' aspect, resized. Returns floats in [0,1] (rows·cols), or null if empty. */
function asInput() {
  const src = $('draw');
  const d = src.getContext('2d').getImageData(0, 0, src.width, src.height).data;
  let x0 = src.width, x1 = -1, y0 = src.height, y1 = -1;
  for (let y = 0; y < src.height; y++)
    for (let x = 0; x < src.width; x++)
      if (d[4 * (y * src.width + x)] > 20) {
        x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
  if (x1 < 0) return null;
  const { rows, cols } = ctx.ui;
  if (recipe === 'pictures') { // the largest centred part with the images' aspect, as a picture's
    const cw = Math.min(src.width, (src.height * cols) / rows), ch = (cw * rows) / cols;
    [x0, y0, x1, y1] = [(src.width - cw) / 2, (src.height - ch) / 2, (src.width + cw) / 2 - 1, (src.height + ch) / 2 - 1];
  }
  const box = (recipe === 'mnist' ? 20 / 28 : 1) * (recipe === 'pictures' ? Math.max(rows, cols) : Math.min(rows, cols));
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const s = box / Math.max(bw, bh);
  const place = (dx, dy) => {
    const t = document.createElement('canvas');
    t.width = cols;
    t.height = rows;
    const g = t.getContext('2d');
    g.imageSmoothingEnabled = true;
    g.imageSmoothingQuality = 'high';
    g.fillStyle = '#000';
    g.fillRect(0, 0, cols, rows);
    g.drawImage(src, x0, y0, bw, bh, dx, dy, bw * s, bh * s);
    const p = g.getImageData(0, 0, cols, rows).data;
    return Float32Array.from({ length: rows * cols }, (_, i) => p[4 * i] / 255);
  };
  let img = place((cols - bw * s) / 2, (rows - bh * s) / 2);
  let m = 0, mx = 0, my = 0;
  img.forEach((v, i) => { m += v; mx += v * (i % cols); my += v * Math.floor(i / cols); });
  if (m > 0 && recipe === 'mnist') img = place((cols - bw * s) / 2 + Math.round((cols - 1) / 2 - mx / m), (rows - bh * s) / 2 + Math.round((rows - 1) / 2 - my / m));
  return img;
}

function request() {
  if (!ctx.ui.model) return;
  const image = asInput();
  if (!image) return;
  drawTiles($('draw-in').getContext('2d'), image, 1, 0, false, ctx.ui);
  ctx.send('draw', { image });
}

function setupCanvas() {
  const c = $('draw');
  const g = c.getContext('2d');
  let last = null;
  let pending = false;
  clear();
  const point = (ev) => {
    const r = c.getBoundingClientRect();
    return [((ev.clientX - r.left) / r.width) * c.width, ((ev.clientY - r.top) / r.height) * c.height];
  };
  const stroke = (ev) => {
    if (!(ev.buttons & 1) && ev.type !== 'pointerdown') return;
    const p = point(ev);
    g.strokeStyle = '#fff';
    g.lineWidth = c.width / 13;
    g.lineCap = 'round';
    g.lineJoin = 'round';
    g.beginPath();
    g.moveTo(...(last ?? p));
    g.lineTo(...p);
    g.stroke();
    last = p;
    drawn = true;
    if (!pending) {
      pending = true;
      requestAnimationFrame(() => { pending = false; request(); });
    }
  };
  c.addEventListener('pointerdown', (ev) => { c.setPointerCapture(ev.pointerId); last = null; stroke(ev); });
  c.addEventListener('pointermove', stroke);
  c.addEventListener('pointerup', () => { last = null; });
  $('draw-clear').addEventListener('click', clear);
}

export default {
  name: 'draw',
  section: 'draw-panel',
  label: 'Drawing',
  html,
  setup(c) {
    ctx = c;
    setupCanvas();
  },
  on: {
    data(m) {
      // the drawn strokes are made into an input the new way when the model next sends its images (refresh)
      recipe = m.name === 'Fashion-MNIST' ? 'fashion' : m.pictures ? 'pictures' : 'mnist';
      $('draw-recipe').textContent = RECIPE_TEXT[recipe];
      for (const id of ['draw-in', 'draw-recon']) {
        $(id).width = m.cols;
        $(id).height = m.rows;
      }
      prompt();
    },
    drawn(m) {
      drawTiles($('draw-recon').getContext('2d'), m.recon, 1, 0, false, ctx.ui);
      setStar(m.point ? [m.point[0], m.point[1]] : null);
      const where = m.point ? ` Its code lands at (${m.point[0].toFixed(2)}, ${m.point[1].toFixed(2)}) on the latent map (the star).` : '';
      const code = m.code ? ` Code: ${Array.from(m.code, (v) => v.toFixed(2)).join(', ')}.` : '';
      $('draw-text').textContent = `Reconstructed.${where}${code}`;
      $('draw-text').dataset.done = '1';
    },
  },
  refresh() {
    if (drawn) request();
  },
};
