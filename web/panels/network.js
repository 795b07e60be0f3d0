// The network drawn: one row per tensor, from the input down through every layer to the output, each as a
// bar whose width grows with the log of its number of values, so the encoder narrows to the code (the
// bottleneck) and the decoder widens again: the lecture's picture of an autoencoder, for the model the
// Worker last built. Beside each bar the layer that made it (dense, conv 3×3, pool 2, …), its shape and its
// parameters. A list of the layers in words goes with the drawing for screen readers.
import { $ } from '../common.js';
import { splitSpec } from '../spec.js';

const html = `
  <section id="network-panel" aria-labelledby="network-h">
    <h2 id="network-h">The network</h2>
    <p class="muted">Each bar is what a layer hands to the next, its width growing with the logarithm of its number of values:
      the <span class="net-enc">encoder</span> narrows to the <span class="net-code">code</span> and the
      <span class="net-dec">decoder</span> widens back to the digit.</p>
    <div id="network-draw"></div>
    <p id="network-total" aria-live="polite">–</p>
    <div class="sr-only"><p id="network-input"></p><ol id="network-list" aria-label="The layers, from input to output"></ol></div>
  </section>`;

let ctx;
let model = null; // the Worker's last 'model' message
const drawn = { model: null, width: 0 }; // what the drawing shows, so it is redrawn only when that changes

const ROW = 24; // px per tensor
const BAR = 14; // a bar's height
const HEAD = 18; // the column titles
const KIND_W = 96, SHAPE_W = 78, PARAMS_W = 58, PAD = 8;
const MIN_BAR = 4;

const fmt = (n) => n.toLocaleString('en');
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** A tensor's shape as the lecture writes it: 784 for a vector, 16×28×28 (channels × height × width) for images. */
const shapeText = ([c, h, w]) => (h * w === 1 ? String(c) : `${c}×${h}×${w}`);
/** "16×28×28 = 12,544 values", or "784 values" for a vector. */
const valuesText = (r) => `${r.shape === String(r.size) ? '' : `${r.shape} = `}${fmt(r.size)} values`;

/** A layer in a few words, from its kind and its token in the model spec (src/spec.c prints one token per
 * layer): dense, conv 3×3 (s2, valid), convt 3×3 s2, pool 2, up 2, reshape; another kind by its name. */
function kindText(kind, token = '') {
  const conv = /^(conv|convt)\d+k(\d+)(?:s(\d+))?(v?)$/.exec(token);
  if (conv && conv[1] === kind) return `${kind} ${conv[2]}×${conv[2]}${conv[3] && conv[3] !== '1' ? ` s${conv[3]}` : ''}${conv[4] ? ' valid' : ''}`;
  const scale = /^(pool|up)(\d+)$/.exec(token);
  if (scale && scale[1] === kind) return `${kind} ${scale[2]}`;
  return kind;
}

/** Tensor i's part of the autoencoder: the input, made by an encoder layer, the code, or made by a decoder
 * layer (layers [0, code) are the encoder, so tensor `code` is the encoder's output). */
function partOf(i, code) {
  if (i === 0) return 'input';
  if (code <= 0) return 'layer';
  return i < code ? 'encoder' : i === code ? 'code' : 'decoder';
}

/** Rows of the drawing and of the list: { part, kind, act, shape, size, params } per tensor. */
function rowsOf(m) {
  const L = m.kinds.length;
  const tokens = splitSpec(m.spec).layers.map((l) => l.token);
  const own = tokens.length === L;
  return m.shapes.map((shape, i) => ({
    part: partOf(i, m.code),
    kind: i === 0 ? 'input' : kindText(m.kinds[i - 1], own ? tokens[i - 1] : ''),
    act: i === 0 ? '' : m.activations[i - 1],
    shape: shapeText(shape),
    size: m.sizes[i],
    params: i === 0 ? 0 : m.params?.[i - 1] ?? 0,
  }));
}

const stale = () => model !== drawn.model || Math.floor($('network-draw').clientWidth) !== drawn.width;

function draw() {
  const box = $('network-draw');
  const W = Math.floor(box.clientWidth);
  if (!model || W <= 0) return; // hidden: drawn when shown (the ResizeObserver or refresh)
  Object.assign(drawn, { model, width: W });
  const rows = rowsOf(model);
  const H = HEAD + rows.length * ROW;
  const x0 = KIND_W + PAD, x1 = W - PARAMS_W - SHAPE_W - 2 * PAD; // the bars' column
  const cx = (x0 + x1) / 2, span = Math.max(x1 - x0, MIN_BAR);
  const top = Math.log(Math.max(2, ...rows.map((r) => r.size)));
  const barW = (n) => MIN_BAR + (span - MIN_BAR) * (Math.log(Math.max(1, n)) / top);
  const y = (i) => HEAD + i * ROW + (ROW - BAR) / 2;
  // the parts named in the drawing itself, not by colour alone: 'code' on its row, 'encoder' and 'decoder'
  // on the middle row of each
  const L = rows.length - 1, code = model.code;
  const tags = code > 0 ? { [code]: 'code', [Math.floor(code / 2)]: code > 1 ? 'encoder' : '', [Math.ceil((code + 1 + L) / 2)]: code < L ? 'decoder' : '' } : {};
  // a tag goes inside its bar if it fits there, else beside it, clear of the row's kind and shape (about
  // 7 px a letter at 12 px), else nowhere (the colours, the code's band and the list still say it)
  const textW = (s) => 7 * s.length + 8;
  const tag = (t, r, w, base) => {
    if (!t) return '';
    if (w >= textW(t)) return `<text class="net-tag net-in" x="${cx}" y="${base}" text-anchor="middle">${t}</text>`;
    if (cx + w / 2 + textW(t) <= W - PARAMS_W - PAD - textW(r.shape)) return `<text class="net-tag" x="${cx + w / 2 + 4}" y="${base}">${t}</text>`;
    if (cx - w / 2 - textW(t) >= textW(r.kind)) return `<text class="net-tag" x="${cx - w / 2 - 4}" y="${base}" text-anchor="end">${t}</text>`;
    return '';
  };
  const out = [];
  out.push(`<text class="net-head" x="0" y="12">layer</text><text class="net-head" x="${cx}" y="12" text-anchor="middle">size (log)</text>`,
    `<text class="net-head" x="${W - PARAMS_W - PAD}" y="12" text-anchor="end">shape</text><text class="net-head" x="${W}" y="12" text-anchor="end">params</text>`);
  // the funnel between consecutive bars, under them
  for (let i = 0; i + 1 < rows.length; i++) {
    const a = barW(rows[i].size) / 2, b = barW(rows[i + 1].size) / 2, ya = y(i) + BAR, yb = y(i + 1);
    out.push(`<polygon class="net-link" points="${cx - a},${ya} ${cx + a},${ya} ${cx + b},${yb} ${cx - b},${yb}"/>`);
  }
  rows.forEach((r, i) => {
    const w = barW(r.size), yi = y(i), base = yi + BAR - 3;
    const title = `${r.kind}${r.act ? `, ${r.act}` : ''}: ${valuesText(r)}${r.params ? `, ${fmt(r.params)} parameters` : ''} (${r.part})`;
    out.push(`<g class="net-row net-${r.part}" data-shape="${esc(r.shape)}" data-part="${r.part}"><title>${esc(title)}</title>`,
      r.part === 'code' ? `<rect class="net-band" x="0" y="${HEAD + i * ROW}" width="${W}" height="${ROW}"/>` : '',
      `<text x="0" y="${base}">${esc(r.kind)}</text>`,
      `<rect class="net-bar" x="${cx - w / 2}" y="${yi}" width="${w}" height="${BAR}" rx="2"/>`,
      tag(tags[i], r, w, base),
      `<text class="net-shape" x="${W - PARAMS_W - PAD}" y="${base}" text-anchor="end">${esc(r.shape)}</text>`,
      `<text x="${W}" y="${base}" text-anchor="end">${i === 0 ? '' : fmt(r.params)}</text></g>`);
  });
  box.innerHTML = `<svg id="network" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="The network drawn as bars, one per layer"
    aria-describedby="network-total">${out.join('')}</svg>`;
}

/** The words beside the drawing: the totals, and the list of layers for screen readers. */
function describe() {
  const m = model;
  const rows = rowsOf(m);
  const L = rows.length - 1;
  const sum = (part) => rows.filter((r) => r.part === part || (part === 'encoder' && r.part === 'code')).reduce((a, r) => a + r.params, 0);
  const code = rows.find((r) => r.part === 'code');
  const ratio = code ? code.size / m.sizes[0] : 0;
  const squeeze = !code ? '' : ratio < 1 ? `, ${(1 / ratio).toFixed(1)} times fewer values than the input` : ratio > 1 ? `, ${ratio.toFixed(1)} times more values than the input` : ', as many values as the input';
  const t = $('network-total');
  t.textContent = `${L} layers, ${fmt(m.nParams)} parameters${code ? ` (encoder ${fmt(sum('encoder'))}, decoder ${fmt(sum('decoder'))})` : ''}.`
    + `${code ? ` Code: ${valuesText(code)}${squeeze}.` : ''}`;
  Object.assign(t.dataset, { layers: L, params: m.nParams, code: code?.shape ?? '' });
  $('network-input').textContent = ctx.say(`Input: ${valuesText(rows[0])} (one digit).`);
  $('network-list').innerHTML = rows.slice(1).map((r) => `<li>${esc(r.kind)}${r.act ? `, ${esc(r.act)}` : ''}: ${esc(valuesText(r))}, `
    + `${fmt(r.params)} parameters; ${r.part === 'code' ? 'the code (end of the encoder)' : r.part}</li>`).join('');
}

export default {
  name: 'network',
  section: 'network-panel',
  label: 'Network',
  html,
  setup(c) {
    ctx = c;
    // redrawn at the panel's own width: a phone's, the embed frame's, or a resized window's
    new ResizeObserver(() => { if (stale()) draw(); }).observe($('network-draw'));
  },
  on: {
    /** New data the current model cannot read: it is gone, and the drawing with it until the next model. */
    data(m) {
      if (m.keptModel || m.redrawn || !model) return;
      model = null;
      drawn.model = null;
      $('network-draw').innerHTML = '';
      $('network-total').textContent = 'No model for this data yet.';
      $('network-list').innerHTML = '';
    },
    model(m) {
      model = m;
      describe();
      draw();
    },
  },
  refresh() {
    if (!$('network-panel').hidden && stale()) draw();
  },
};
