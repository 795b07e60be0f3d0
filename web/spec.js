// The model spec as text, for the page and its Worker: the parts of the grammar (include/aelab.h, read by
// src/spec.c) that the Model form's menus show and edit. The layer field holds the whole spec and is what
// the engine builds; the menus for the hidden, code and output activations and the loss are views of it,
// and choosing in one rewrites the field. C reads and checks the spec: this only takes the text apart and
// puts it back together, so a spec C refuses stays refused, with C's message.
//
//   spec  := input ('-' layer)+ (sep key '=' value)*     sep: spaces or ','
//   layer := ['*'] token [':' activation]                 '*' marks the code (bottleneck)
//   keys  := hidden, code, output (activations of layers that name none), loss, init

const MENU_KEYS = ['hidden', 'code', 'output', 'loss'];

/** The loss C gives a spec that names none: the one its output activation goes with. */
export const defaultLoss = (output) => (output === 'sigmoid' ? 'bce' : output === 'softmax' ? 'softmax_ce' : 'mse');

/** { input, layers: [{ mark, token, act }], keys: [[key, value]] }; act is null without a ':', value null
 * without an '='. Whatever the text holds is kept, so splitSpec then joinSpec changes only separators. */
export function splitSpec(text) {
  const [chain = '', ...tail] = String(text).split(/[ ,]+/).filter(Boolean);
  const [input, ...tokens] = chain.split('-');
  const layers = tokens.map((t) => {
    const mark = t.startsWith('*');
    const body = mark ? t.slice(1) : t;
    const i = body.indexOf(':');
    return { mark, token: i < 0 ? body : body.slice(0, i), act: i < 0 ? null : body.slice(i + 1) };
  });
  const keys = tail.map((it) => {
    const i = it.indexOf('=');
    return i < 0 ? [it, null] : [it.slice(0, i), it.slice(i + 1)];
  });
  return { input, layers, keys };
}

export function joinSpec({ input, layers, keys }) {
  const chain = [input, ...layers.map((l) => `${l.mark ? '*' : ''}${l.token}${l.act !== null ? `:${l.act}` : ''}`)].join('-');
  return [chain, ...keys.map(([k, v]) => (v === null ? k : `${k}=${v}`))].join(' ');
}

const keyOf = (p, k) => p.keys.find(([n]) => n === k)?.[1] || null;

/** Index (in layers) of the code layer: the one marked '*', else the one C picks (src/spec.c auto_code:
 * the first narrowest interior layer) when that needs no shape inference (one interior layer, or dense
 * widths only); -1 without interior layers or when only C's shape inference could tell. */
export function codeLayer(layers) {
  const marked = layers.findIndex((l) => l.mark);
  if (marked >= 0) return marked;
  if (layers.length < 2) return -1;
  if (layers.length === 2) return 0;
  if (!layers.every((l) => /^[0-9]+$/.test(l.token))) return -1;
  let c = 0;
  for (let l = 1; l < layers.length - 1; l++) if (Number(layers[l].token) < Number(layers[c].token)) c = l;
  return c;
}

/** The layers the hidden activation governs: the interior ones but the code (none when the code is unknown,
 * since any of them might be it). */
function hiddenLayers(layers, code) {
  if (code < 0) return [];
  return layers.slice(0, -1).filter((_, l) => l !== code);
}

/** What the menus show for a spec: { hidden, code, output, loss } as the engine would build them. A layer's
 * own ':act' beats the keys, so it counts where it decides the menu's meaning: the last layer's for the
 * output, the code layer's for the code, the hidden layers' when they all name the same one. */
export function menus(text) {
  const p = splitSpec(text);
  const { layers } = p;
  const code = codeLayer(layers);
  const hiddenKey = keyOf(p, 'hidden') ?? 'relu';
  const acts = hiddenLayers(layers, code).map((l) => l.act);
  const output = layers.at(-1)?.act || keyOf(p, 'output') || 'sigmoid';
  return {
    hidden: acts.length && acts.every((a) => a && a === acts[0]) ? acts[0] : hiddenKey,
    code: (code >= 0 && layers[code].act) || keyOf(p, 'code') || hiddenKey,
    output,
    loss: keyOf(p, 'loss') || defaultLoss(output),
  };
}

/** The spec with the menus' values { hidden, code, output, loss } as its keys, each left out where the
 * grammar's default or a layer's own ':act' already says it. `changed` ('hidden', 'code' or 'output', the
 * menu just chosen) also drops the ':act' of the layers that menu governs, so the choice is what is built. */
export function withMenus(text, m, changed) {
  const p = splitSpec(text);
  const { layers } = p;
  const code = codeLayer(layers);
  const governed = { output: layers.slice(-1), code: code >= 0 ? [layers[code]] : [], hidden: hiddenLayers(layers, code) }[changed] ?? [];
  for (const l of governed) l.act = null;
  p.keys = p.keys.filter(([k]) => !MENU_KEYS.includes(k));
  if (m.hidden !== 'relu') p.keys.push(['hidden', m.hidden]);
  if (m.code !== m.hidden && !(code >= 0 && layers[code].act)) p.keys.push(['code', m.code]);
  if (m.output !== 'sigmoid' && !layers.at(-1)?.act) p.keys.push(['output', m.output]);
  if (m.loss !== defaultLoss(m.output)) p.keys.push(['loss', m.loss]);
  return joinSpec(p);
}

/** The spec with settings from outside it { hidden, code, output, loss, init } folded in as the engine used
 * to take them (links and stored runs from before the field said everything): each fills only what the
 * spec leaves unsaid, and init, as then, replaces the spec's own. Unchanged text when there is nothing to add. */
export function foldSettings(text, s) {
  const p = splitSpec(text);
  const last = p.layers.at(-1)?.act;
  let changed = false;
  const add = (k, v) => { p.keys.push([k, v]); changed = true; };
  if (s.hidden && !keyOf(p, 'hidden') && s.hidden !== 'relu') add('hidden', s.hidden);
  const hidden = keyOf(p, 'hidden') ?? 'relu';
  if (s.code && !keyOf(p, 'code') && s.code !== hidden) add('code', s.code);
  if (s.output && !keyOf(p, 'output') && !last && s.output !== 'sigmoid') add('output', s.output);
  const output = last || keyOf(p, 'output') || 'sigmoid';
  if (s.loss && !keyOf(p, 'loss') && s.loss !== defaultLoss(output)) add('loss', s.loss);
  if (s.init && s.init !== (keyOf(p, 'init') ?? 'glorot_uniform')) {
    p.keys = p.keys.filter(([k]) => k !== 'init');
    if (s.init !== 'glorot_uniform') p.keys.push(['init', s.init]);
    changed = true;
  }
  return changed ? joinSpec(p) : text;
}

/** A page configuration as this version keeps it: the spec alone says the model (the separate activation,
 * loss and init settings empty, so the engine takes only the spec's own defaults). Older stored runs had
 * them set; they are folded into the spec, which then builds the same model. */
export function specConfig(c) {
  return { ...c, sizes: foldSettings(c.sizes, c), hidden: '', code: '', output: '', loss: '', init: '' };
}

/** The spec as a file name: a-z, 0-9, '_', 'x' and '-' ("784-128-*32:linear-128-784" gives
 * "784-128-32-linear-128-784"). */
export const specFileName = (spec) => String(spec).toLowerCase().replace(/[^0-9a-z_x-]+/g, '-').replace(/-{2,}/g, '-').replace(/^-|-$/g, '');

/** The spec for data of rows×cols: the input takes the data's shape (a width, height×width, or
 * channels×height×width keeping the channels), and so does a last layer that is a plain width as wide as
 * the input was (an autoencoder's output). */
export function withDataSize(text, rows, cols) {
  const p = splitSpec(text);
  const dims = p.input.split('x');
  if (!p.layers.length || !dims.every((d) => /^[0-9]+$/.test(d))) return text;
  const was = dims.reduce((a, d) => a * Number(d), 1);
  p.input = dims.length === 1 ? String(rows * cols) : dims.length === 2 ? `${rows}x${cols}` : `${dims[0]}x${rows}x${cols}`;
  const last = p.layers.at(-1);
  if (/^[0-9]+$/.test(last.token) && Number(last.token) === was) last.token = String(dims.length === 3 ? dims[0] * rows * cols : rows * cols);
  const out = joinSpec(p);
  return out === joinSpec(splitSpec(text)) ? text : out;
}
