// The page's main thread: controls, numbers, the loss chart and the image canvases. All training and
// inference happen in worker.js; this file only sends commands and draws what comes back.
import uPlot from './vendor/uPlot.esm.js';

const $ = (id) => document.getElementById(id);
const ACTS = [['relu', 'ReLU'], ['leaky_relu', 'leaky ReLU'], ['sigmoid', 'sigmoid'], ['tanh', 'tanh'], ['linear', 'linear (identity)']];
const PRESETS = {
  simple: { sizes: '784-32-784', hidden: 'relu', code: 'relu', outloss: 'sigmoid/bce', optimizer: 'adam', lr: 0.001, batch: 256, epochs: 5, noise: 'none' },
  deep: { sizes: '784-128-64-32-64-128-784', hidden: 'relu', code: 'relu', outloss: 'sigmoid/bce', optimizer: 'adam', lr: 0.001, batch: 256, epochs: 5, noise: 'none' },
  linear: { sizes: '784-32-784', hidden: 'linear', code: 'linear', outloss: 'linear/mse', optimizer: 'adam', lr: 0.001, batch: 256, epochs: 5, noise: 'none' },
  overcomplete: { sizes: '784-1000-784', hidden: 'relu', code: 'relu', outloss: 'sigmoid/bce', optimizer: 'adam', lr: 0.001, batch: 256, epochs: 3, noise: 'none' },
  code2: { sizes: '784-256-64-2-64-256-784', hidden: 'relu', code: 'linear', outloss: 'sigmoid/bce', optimizer: 'adam', lr: 0.001, batch: 128, epochs: 10, noise: 'none' },
  plain128: { sizes: '784-128-784', hidden: 'relu', code: 'relu', outloss: 'sigmoid/bce', optimizer: 'adam', lr: 0.001, batch: 256, epochs: 5, noise: 'none' },
  denoising: { sizes: '784-128-784', hidden: 'relu', code: 'relu', outloss: 'sigmoid/bce', optimizer: 'adam', lr: 0.001, batch: 256, epochs: 5, noise: 'mask', noiseLevel: 0.5 },
};

// Panels a link can show or hide (#...&panels=recon,latent): short name -> section id.
const PANELS = { loss: 'curves', recon: 'recon-panel', latent: 'latent-panel', noise: 'noise-panel', linear: 'linear-panel', blend: 'blend-panel', infill: 'infill-panel', draw: 'draw-panel', filters: 'filters-panel', data: 'data-panel' };
const PANEL_LABELS = { loss: 'Loss', recon: 'Reconstructions', latent: 'Latent space', noise: 'Corrupt and restore', linear: 'Linear or not', blend: 'Blending', infill: 'Infilling', draw: 'Drawing', filters: 'Filters', data: 'Your data' };

const ui = {
  worker: null,
  ready: false,
  running: false,
  paused: false,
  model: null,
  steps: [],
  train: [],
  test: [],
  samples: 0,
  ms: 0,
  lastDraw: 0,
  chart: null,
  rows: 28,
  cols: 28,
  nTest: 10000,
  lastLatent: null, // the last latent message, redrawn with the cursor and the drawing's star
  cursor: null, // the decoded point on the latent map, [x, y]
  star: null, // where the drawn digit's code lands
  infill: null, // { index, original, known }
  drawn: false,
  engineParam: null,
  noun: 'digit', // what the data's items are called: 'digit' for MNIST, 'image' otherwise
};

// ---- words: the page says "digit" for MNIST and "image" for any other data ----
const WORDING = [[/coloured by digit/g, 'coloured by label'], [/digit-like/g, 'realistic'], [/\ba digit\b/g, 'an image'], [/\bA digit\b/g, 'An image'],
  [/\bdigit(s?)\b/g, 'image$1'], [/\bDigit(s?)\b/g, 'Image$1']];
/** s in the current data's words. */
function say(s) {
  return ui.noun === 'digit' ? s : WORDING.reduce((t, [re, w]) => t.replace(re, w), s);
}

// The page's own words, read once at start: rewording always starts from them, so going back to MNIST
// restores every one. Text the page writes later goes through say() when it is written.
let wording = null;

/** Reword the page's own text and accessible names for the loaded data. */
function reword() {
  if (!wording) {
    wording = { text: [], labels: [] };
    const walk = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) if (/digit/i.test(n.nodeValue)) wording.text.push([n, n.nodeValue]);
    for (const el of document.querySelectorAll('main [aria-label]')) wording.labels.push([el, el.getAttribute('aria-label')]);
  }
  for (const [n, t] of wording.text) n.nodeValue = say(t);
  for (const [el, t] of wording.labels) el.setAttribute('aria-label', say(t));
}

function showError(message) {
  const el = $('error');
  $('error-text').textContent = message;
  el.hidden = !message;
}

function fillSelect(sel, opts) {
  sel.innerHTML = '';
  for (const [v, label] of opts) sel.add(new Option(label, v));
}

const PRESET_FIELDS = ['sizes', 'hidden', 'code', 'outloss', 'optimizer', 'lr', 'batch', 'epochs', 'noise'];

function applyPreset(name) {
  const p = PRESETS[name];
  if (!p) return; // 'custom' keeps the fields as they are
  for (const k of PRESET_FIELDS) $(k).value = p[k];
  $('sizes').value = presetSizes(p);
  $('noiseLevel').value = p.noiseLevel ?? 0.3;
}

/** A preset's widths for the loaded data: the presets are written for MNIST's 784 pixels, and other data
 * gets the same shape at its own width. */
function presetSizes(p) {
  const dim = ui.rows * ui.cols;
  return dim === 784 ? p.sizes : p.sizes.replace(/^784-/, `${dim}-`).replace(/-784$/, `-${dim}`);
}

/** The preset menu names the preset the fields match, or Custom (a link, a loaded model or an edit set them). */
function syncPreset() {
  const same = (p) => PRESET_FIELDS.every((k) => String(k === 'sizes' ? presetSizes(p) : p[k]) === $(k).value) && (p.noise === 'none' || Number($('noiseLevel').value) === (p.noiseLevel ?? 0.3));
  $('preset').value = Object.keys(PRESETS).find((k) => same(PRESETS[k])) ?? 'custom';
}

// ---- shareable state in the URL hash, versioned: #v=1&sizes=784-32-784&hidden=relu&... ----
const HASH_VERSION = '1';
const HASH_FIELDS = { sizes: 'sizes', hidden: 'hidden', code: 'code', out: 'outloss', opt: 'optimizer', lr: 'lr', batch: 'batch', epochs: 'epochs', seed: 'seed', noise: 'noise', level: 'noiseLevel' };

function writeHash() {
  const p = new URLSearchParams({ v: HASH_VERSION });
  for (const [k, id] of Object.entries(HASH_FIELDS)) p.set(k, $(id).value);
  const shown = Object.keys(PANELS).filter((k) => !$(PANELS[k]).hidden);
  if (shown.length !== Object.keys(PANELS).length) p.set('panels', shown.join(','));
  if (document.body.classList.contains('embed')) p.set('embed', '1');
  if (ui.engineParam) p.set('engine', ui.engineParam);
  // commas and slashes are legal in a fragment: keep the link readable
  history.replaceState(null, '', `#${String(p).replace(/%2C/g, ',').replace(/%2F/g, '/')}`);
}

function showPanels(names) {
  for (const [k, id] of Object.entries(PANELS)) {
    $(id).hidden = !names.includes(k);
    $(`show-${k}`).checked = names.includes(k);
  }
}

/** Apply the hash to the form; returns a message if part of it could not be used. */
function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  if (p.get('embed') === '1') document.body.classList.add('embed');
  if (['threads', 'simd', 'scalar'].includes(p.get('engine'))) ui.engineParam = p.get('engine');
  if (!p.has('v')) return '';
  if (p.get('v') !== HASH_VERSION) return `This link was made by a different version of aelab (v=${p.get('v')}); using the defaults.`;
  const bad = [];
  for (const [k, id] of Object.entries(HASH_FIELDS)) {
    if (!p.has(k)) continue;
    const el = $(id);
    if (el.tagName === 'SELECT' && ![...el.options].some((o) => o.value === p.get(k))) bad.push(k);
    else {
      // a value the field itself refuses (letters for sizes, a level of 7) keeps the default instead
      const before = el.value;
      el.value = p.get(k);
      if (!el.checkValidity()) {
        el.value = before;
        bad.push(k);
      }
    }
  }
  if (p.has('panels')) {
    const names = p.get('panels').split(',').filter(Boolean);
    const unknown = names.filter((k) => !PANELS[k]);
    if (unknown.length) bad.push(`panels (${unknown.join(', ')})`);
    showPanels(names.filter((k) => PANELS[k]));
  }
  return bad.length ? `Ignored unusable values in the link (the defaults are used instead): ${bad.join(', ')}.` : '';
}

/** The label text of a form control, without the text of its own options. */
function fieldName(el) {
  const label = el.closest('label');
  return label ? label.firstChild.textContent.trim() : el.id;
}

/** The browser's own words for what is wrong with a field, or the field's title where the browser only says
 * "match the requested format"; without a final full stop, for a list. */
function validityText(el) {
  const t = el.validity.patternMismatch && el.title ? el.title : el.validationMessage;
  return t.replace(/\.$/, '');
}

function readConfig() {
  const form = $('config');
  const invalid = [...form.elements].filter((el) => el.willValidate && !el.checkValidity());
  if (invalid.length) {
    form.reportValidity();
    throw new Error(`Fix ${invalid.length === 1 ? 'this field' : 'these fields'} first: ${invalid.map((el) => `${fieldName(el)}: ${validityText(el)}`).join('; ')}.`);
  }
  const [output, loss] = $('outloss').value.split('/');
  const num = (id) => Number($(id).value);
  return {
    sizes: $('sizes').value.trim(), hidden: $('hidden').value, code: $('code').value, output, loss, init: 'glorot_uniform',
    optimizer: $('optimizer').value, lr: num('lr'), momentum: 0.9, weightDecay: 0, batch: num('batch'), epochs: num('epochs'),
    seed: num('seed'), noise: $('noise').value, noiseLevel: num('noiseLevel'),
  };
}

function setButtons() {
  const r = ui.ready;
  $('start').disabled = !r || ui.running || ui.paused;
  $('pause').disabled = !r || !ui.running;
  $('resume').disabled = !r || ui.running || !ui.paused;
  $('step').disabled = !r || ui.running;
  $('stop').disabled = !r || (!ui.running && !ui.paused);
  $('reset').disabled = !r || ui.running;
  for (const id of ['save', 'png-recon', 'png-filters', 'load']) $(id).disabled = !r || ui.running || !ui.model;
  $('curve-train').disabled = !r;
  for (const id of ['pin', 'blend-random', 'infill-new', 'infill-top', 'infill-left', 'infill-restore']) $(id).disabled = !r || !ui.model;
  for (const id of ['data-images', 'data-labels', 'data-load', 'data-mnist']) $(id).disabled = !r || ui.running;
  for (const el of $('config').elements) el.disabled = !r || ui.running || ui.paused;
  $('form-lock').hidden = !r || !(ui.running || ui.paused);
  $('form-lock').textContent = ui.paused
    ? 'Paused: the settings stay locked so the run can resume. Stop ends the run and unlocks them.'
    : 'Training: the settings are locked. Pause or Stop first; Stop unlocks them.';
}

/** Send the form to the worker as the next model's configuration; a bad field is shown, not thrown. */
function configureFromForm() {
  try {
    send('configure', { config: readConfig() });
  } catch (e) {
    showError(e.message);
  }
}

function resetCurves() {
  ui.steps = [];
  ui.train = [];
  ui.test = [];
  ui.samples = 0;
  ui.ms = 0;
  ui.chart.setData([[], [], []]);
  for (const id of ['n-epoch', 'n-loss', 'n-test', 'n-speed', 'n-eta']) $(id).textContent = '–';
  $('n-step').textContent = '0';
}

function makeChart() {
  const el = $('chart');
  ui.chart = new uPlot({
    width: Math.max(280, el.clientWidth || 600),
    height: 240,
    scales: { x: { time: false } },
    axes: [{ label: 'step' }, { label: 'loss', size: 60 }],
    series: [
      { label: 'step' },
      { label: 'train', stroke: '#2f6fde', width: 1.5 },
      { label: 'test', stroke: '#d9480f', width: 2, points: { show: true, size: 6 }, spanGaps: true },
    ],
  }, [[], [], []], el);
  new ResizeObserver(() => ui.chart.setSize({ width: Math.max(280, el.clientWidth), height: 240 })).observe(el);
}

function drawChart(force) {
  const now = performance.now();
  if (!force && now - ui.lastDraw < 250) return;
  ui.lastDraw = now;
  ui.chart.setData([ui.steps, ui.train, ui.test]);
  $('chart').dataset.points = String(ui.steps.length);
}

/** Draw n tiles (rows×cols floats each) into one row of a canvas at y offset, with per-tile normalisation if norm. */
function drawTiles(ctx, data, n, y0, norm) {
  const { rows, cols } = ui;
  const img = ctx.createImageData(cols * n, rows);
  for (let t = 0; t < n; t++) {
    let lo = 0;
    let hi = 1;
    if (norm) {
      lo = Infinity;
      hi = -Infinity;
      for (let i = 0; i < rows * cols; i++) {
        const v = data[t * rows * cols + i];
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      if (hi <= lo) hi = lo + 1;
    }
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        const v = (data[t * rows * cols + y * cols + x] - lo) / (hi - lo);
        const g = Math.max(0, Math.min(255, Math.round(v * 255)));
        const o = 4 * (y * cols * n + t * cols + x);
        img.data[o] = img.data[o + 1] = img.data[o + 2] = g;
        img.data[o + 3] = 255;
      }
    }
  }
  ctx.putImageData(img, 0, y0);
}

function drawImages(msg) {
  const c = $('recon');
  const n = msg.n;
  const rowsOfTiles = msg.noisy ? 3 : 2;
  c.width = n * ui.cols;
  c.height = rowsOfTiles * ui.rows;
  const ctx = c.getContext('2d');
  drawTiles(ctx, msg.inputs, n, 0, false);
  if (msg.noisy) drawTiles(ctx, msg.noisy, n, ui.rows, false);
  drawTiles(ctx, msg.recon, n, (rowsOfTiles - 1) * ui.rows, false);
  $('noisy-note').hidden = !msg.noisy;
  c.dataset.step = String(msg.step);
  const f = $('filters');
  if (msg.filters) {
    const k = msg.nFilters;
    const perRow = 16;
    f.width = perRow * ui.cols;
    f.height = Math.ceil(k / perRow) * ui.rows;
    const fctx = f.getContext('2d');
    for (let r = 0; r * perRow < k; r++) {
      const m = Math.min(perRow, k - r * perRow);
      drawTiles(fctx, msg.filters.subarray(r * perRow * ui.rows * ui.cols), m, r * ui.rows, true);
    }
  }
}

function fmtTime(s) {
  if (!Number.isFinite(s)) return '–';
  if (s < 60) return `${Math.round(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

const on = {
  engine(m) {
    if (m.variant === 'threads') ui.engine = `WebAssembly SIMD on ${m.threads} threads (the page is cross-origin isolated), in a Web Worker`;
    else if (m.simd) ui.engine = `WebAssembly SIMD, 1 thread${m.forced ? ' (chosen by the link)' : m.isolated ? '' : ' (more threads need a cross-origin isolated page)'}, in a Web Worker`;
    else ui.engine = `WebAssembly scalar (${m.forced ? 'chosen by the link' : 'this browser has no WebAssembly SIMD'}), in a Web Worker`;
    $('engine').textContent = `Engine: ${ui.engine}.`;
    $('engine').dataset.variant = m.variant;
  },
  status(m) {
    $('engine').textContent = m.message;
  },
  data(m) {
    ui.rows = m.rows;
    ui.cols = m.cols;
    ui.nTest = m.test;
    ui.ready = true;
    for (const el of document.querySelectorAll('.dims')) el.textContent = `${m.rows}×${m.cols}`;
    for (const el of document.querySelectorAll('.npix')) el.textContent = String(m.rows * m.cols);
    const noun = m.name === 'MNIST' ? 'digit' : 'image';
    if (noun !== ui.noun) {
      ui.noun = noun;
      reword();
    }
    ui.lastLatent = null;
    ui.latent = null; // the old map's coordinates mean nothing for the new data
    $('latent').getContext('2d').clearRect(0, 0, $('latent').width, $('latent').height);
    ui.cursor = null;
    ui.star = null;
    const counts = `${m.train.toLocaleString('en')} training and ${m.test.toLocaleString('en')} test images of ${m.rows}×${m.cols} pixels${m.labelled ? '' : ', without labels'}`;
    if (m.first) $('engine').textContent = `Ready: ${counts.replace('images', 'digits')} loaded in ${(m.ms / 1000).toFixed(1)} s. Engine: ${ui.engine}.`;
    $('data-status').textContent = `Training on ${m.name}: ${counts}.${m.keptModel ? ' The current model was kept: see how it does on this data, or Reset to train afresh.' : ''}`;
    for (const id of ['blend-a', 'blend-b']) $(id).max = String(m.test - 1);
    $('blend-a').value = '0';
    $('blend-b').value = String(Math.min(1, m.test - 1));
    const dim = m.rows * m.cols;
    const sizes = $('sizes').value.split('-');
    if (!m.keptModel) {
      if (Number(sizes[0].replace('*', '')) !== dim) {
        sizes[0] = String(dim);
        sizes[sizes.length - 1] = String(dim);
        $('sizes').value = sizes.join('-');
        syncPreset();
        writeHash();
      }
      configureFromForm();
    }
    resizeDrawInputs();
    ui.infill = null;
    setButtons();
  },
  model(m) {
    ui.model = m;
    ui.keptStep = 0; // a new model, or a new run of it: nothing trained, nothing to keep
    $('n-params').textContent = m.nParams.toLocaleString('en');
    if (!ui.infill) send('digit', { index: 0, purpose: 'infill' });
    resetCurves();
    setButtons();
  },
  progress(m) {
    ui.samples += m.samples;
    ui.ms += m.ms;
    ui.steps.push(m.step);
    ui.train.push(m.meanLoss);
    ui.test.push(null);
    $('n-epoch').textContent = `${m.epoch + (m.pos > 0 ? 1 : 0)} of ${readEpochs()}`;
    $('n-step').textContent = String(m.step);
    $('n-loss').textContent = m.meanLoss.toFixed(4);
    const sps = ui.ms > 0 ? ui.samples / (ui.ms / 1000) : 0;
    $('n-speed').textContent = Math.round(sps).toLocaleString('en');
    const msPerStep = ui.ms / Math.max(1, m.step);
    $('n-eta').textContent = fmtTime(((readEpochs() * m.stepsPerEpoch - m.step) * msPerStep) / 1000);
    drawChart(false);
  },
  test(m) {
    $('n-test').textContent = m.loss.toFixed(4);
    if (!ui.steps.length) { // a loaded model: its test loss is the curve's first point
      ui.steps.push(0);
      ui.train.push(null);
      ui.test.push(m.loss);
    } else ui.test[ui.test.length - 1] = m.loss;
    drawChart(true);
  },
  images(m) {
    drawImages(m);
    refreshPanels();
  },
  state(m) {
    ui.running = m.running;
    ui.paused = !!m.paused && !m.running;
    if (m.finished) {
      ui.paused = false;
      $('n-eta').textContent = m.stopped ? 'stopped' : 'done';
    }
    setButtons();
    drawChart(true);
  },
  file(m) {
    if (m.kind === 'model') ui.keptStep = lastStep(); // downloaded: nothing to warn about on leaving
    const url = URL.createObjectURL(new Blob([m.bytes], { type: m.mime }));
    const a = document.createElement('a');
    a.href = url;
    a.download = m.name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  },
  loaded(m) {
    const c = m.config;
    $('sizes').value = c.sizes;
    $('hidden').value = c.hidden;
    $('code').value = c.code;
    $('outloss').value = `${c.output}/${c.loss}`;
    syncPreset();
    writeHash();
    $('engine').textContent = `Loaded ${m.name}: ${c.sizes}. Train it further or explore its reconstructions.`;
  },
  latent(m) {
    drawLatent(m);
  },
  decoded(m) {
    drawTiles($('decoded').getContext('2d'), m.image, 1, 0, false);
    $('decoded-at').textContent = `Decoded from (${m.x.toFixed(2)}, ${m.y.toFixed(2)}).`;
  },
  noiseDemo(m) {
    const c = $('demo');
    const rowsOfTiles = m.pinned ? 4 : 3;
    c.width = m.n * ui.cols;
    c.height = rowsOfTiles * ui.rows;
    const ctx = c.getContext('2d');
    drawTiles(ctx, m.clean, m.n, 0, false);
    drawTiles(ctx, m.noisy, m.n, ui.rows, false);
    drawTiles(ctx, m.recon, m.n, 2 * ui.rows, false);
    if (m.pinned) drawTiles(ctx, m.pinned, m.n, 3 * ui.rows, false);
    const both = (e) => `${e.mse.toFixed(4)} squared error, ${e.bce.toFixed(4)} cross-entropy`;
    const pinText = m.pinned ? ` Fourth row, the kept model (${m.pinnedName}): ${both(m.pinnedErr)}.` : '';
    $('demo-numbers').textContent = `Rows: clean, corrupted, reconstructed by the current model (${m.currentName}). Against the clean images: `
      + `corrupted input ${both(m.noisyErr)}; reconstruction ${both(m.reconErr)}.${pinText}`;
    $('demo-why').hidden = false;
    const d = $('demo-numbers').dataset;
    Object.assign(d, { noisy: m.noisyErr.mse, recon: m.reconErr.mse, pinned: m.pinnedErr?.mse ?? '', noisyBce: m.noisyErr.bce, reconBce: m.reconErr.bce,
      pinnedBce: m.pinnedErr?.bce ?? '', level: m.level, kind: m.kind });
  },
  pinned(m) {
    $('unpin').hidden = !m.name;
    $('pin-note').textContent = m.name ? `Kept for comparison: ${m.name}.` : say('To compare a plain and a denoising autoencoder on the same corrupted digits: train the "Plain twin of Denoising" preset, keep it, then train the Denoising preset: the same 784-128-784 network without and with noise.');
    requestNoiseDemo();
  },
  blend(m) {
    const c = $('blend');
    c.width = m.steps * ui.cols;
    c.height = 2 * ui.rows;
    const ctx = c.getContext('2d');
    drawTiles(ctx, m.path, m.steps, 0, false);
    drawTiles(ctx, m.fade, m.steps, ui.rows, false);
    const name = (i, l) => `${say('test digit')} ${i}${l === null ? '' : ` (a ${l})`}`;
    $('blend-text').textContent = `From ${name(m.a, m.labelA)} to ${name(m.b, m.labelB)} in ${m.steps} steps. Top: decoded from the blended code. Bottom: pixels cross-faded.`;
    c.dataset.a = m.a;
    c.dataset.b = m.b;
  },
  digit(m) {
    if (m.purpose !== 'infill') return;
    ui.infill = { index: m.index, label: m.label, original: m.image, known: new Uint8Array(m.image.length).fill(1) };
    drawTiles($('infill-orig').getContext('2d'), m.image, 1, 0, false);
    drawInfillInput();
    requestInfill();
  },
  infilled(m) {
    drawTiles($('infill-out').getContext('2d'), m.filled, 1, 0, false);
    const t = $('infill-text');
    t.textContent = m.erased
      ? `${m.erased} pixels erased. Mean squared error on them: ${m.fillMse.toFixed(4)} after filling in, against ${m.blankMse.toFixed(4)} if left blank.`
      : say('Nothing erased yet: drag over the digit, or use a button.');
    t.dataset.erased = m.erased;
    t.dataset.fill = m.fillMse;
    t.dataset.blank = m.blankMse;
  },
  curve(m) {
    const c = $('curve');
    const ctx = c.getContext('2d');
    const W = c.width, H = c.height;
    ctx.clearRect(0, 0, W, H);
    const px = (x, y) => [x * W, (1 - y) * H];
    const dots = (pts, colour, size) => {
      ctx.fillStyle = colour;
      for (let i = 0; i < pts.length; i += 2) {
        const [u, v] = px(pts[i], pts[i + 1]);
        ctx.fillRect(u - size / 2, v - size / 2, size, size);
      }
    };
    dots(m.x, '#bbb', 3);
    ctx.strokeStyle = '#333';
    ctx.setLineDash([4, 4]);
    ctx.beginPath();
    ctx.moveTo(...px(m.mean[0] - m.pc[0], m.mean[1] - m.pc[1]));
    ctx.lineTo(...px(m.mean[0] + m.pc[0], m.mean[1] + m.pc[1]));
    ctx.stroke();
    ctx.setLineDash([]);
    dots(m.linear, '#e8590c', 2);
    dots(m.nonlinear, '#1c7ed6', 2);
    const t = $('curve-text');
    t.textContent = `After ${m.steps} steps each. Mean squared error: linear ${m.linearMse.toFixed(5)}, non-linear ${m.nonlinearMse.toFixed(5)}. `
      + `The linear decoder's direction is ${m.angle.toFixed(1)}° from the first principal component.`;
    t.dataset.linear = m.linearMse;
    t.dataset.nonlinear = m.nonlinearMse;
    t.dataset.angle = m.angle;
    $('curve-train').disabled = false;
  },
  drawn(m) {
    drawTiles($('draw-recon').getContext('2d'), m.recon, 1, 0, false);
    ui.star = m.point ? [m.point[0], m.point[1]] : null;
    redrawLatent();
    const where = m.point ? ` Its code lands at (${m.point[0].toFixed(2)}, ${m.point[1].toFixed(2)}) on the latent map (the star).` : '';
    const code = m.code ? ` Code: ${Array.from(m.code, (v) => v.toFixed(2)).join(', ')}.` : '';
    $('draw-text').textContent = `Reconstructed.${where}${code}`;
    $('draw-text').dataset.done = '1';
  },
  diverged(m) {
    showError(m.message);
    $('n-step').textContent = String(m.step);
  },
  error(m) {
    showError(m.message);
    if (ui.ready && /^Could not use/.test(m.message)) $('data-status').textContent = 'Those files were not loaded; the current data and model are unchanged.';
  },
};

const DIGIT_COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** A new projection from the worker: its bounds become the map's coordinates until the next one. */
function drawLatent(m) {
  ui.lastLatent = m;
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < m.points.length; i += 2) {
    x0 = Math.min(x0, m.points[i]); x1 = Math.max(x1, m.points[i]);
    y0 = Math.min(y0, m.points[i + 1]); y1 = Math.max(y1, m.points[i + 1]);
  }
  const pad = 0.05 * Math.max(x1 - x0, y1 - y0, 1e-6);
  ui.latent = { x0: x0 - pad, x1: x1 + pad, y0: y0 - pad, y1: y1 + pad };
  redrawLatent();
}

function redrawLatent() {
  const m = ui.lastLatent;
  if (!m) return;
  const c = $('latent');
  const ctx = c.getContext('2d');
  const n = m.points.length / 2;
  const L = ui.latent;
  ctx.clearRect(0, 0, c.width, c.height);
  for (let i = 0; i < n; i++) {
    ctx.fillStyle = m.labels ? DIGIT_COLOURS[m.labels[i] % 10] : '#555';
    const px = ((m.points[2 * i] - L.x0) / (L.x1 - L.x0)) * c.width;
    const py = (1 - (m.points[2 * i + 1] - L.y0) / (L.y1 - L.y0)) * c.height;
    ctx.fillRect(px - 1.5, py - 1.5, 3, 3);
  }
  const toPx = ([x, y]) => [((x - L.x0) / (L.x1 - L.x0)) * c.width, (1 - (y - L.y0) / (L.y1 - L.y0)) * c.height];
  if (ui.cursor) {
    const [px, py] = toPx(ui.cursor);
    ctx.strokeStyle = '#000';
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(px - 8, py); ctx.lineTo(px + 8, py); ctx.moveTo(px, py - 8); ctx.lineTo(px, py + 8);
    ctx.stroke();
  }
  if (ui.star) {
    const [px, py] = toPx(ui.star);
    ctx.font = '22px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.lineWidth = 3;
    ctx.strokeStyle = '#fff';
    ctx.strokeText('★', px, py);
    ctx.fillStyle = '#000';
    ctx.fillText('★', px, py);
  }
  const some = `${n.toLocaleString('en')} test digits`, by = m.labels ? ', coloured by digit' : '';
  $('latent-note').textContent = say(m.dims === 2
    ? `The 2-unit codes of ${some}${by}. Click or drag anywhere to decode that point.`
    : `The ${m.dims}-unit codes of ${some}, projected onto their two principal components (PCA)${by}. Click or drag to decode a point of that plane.`);
  const classes = m.labels ? Math.min(DIGIT_COLOURS.length, 1 + m.labels.reduce((a, b) => Math.max(a, b), 0)) : 0;
  $('latent-legend').innerHTML = DIGIT_COLOURS.slice(0, classes).map((col, d) => `<span style="color:${col}">■ ${d}</span>`).join('');
}

function latentClick(ev) {
  if (!ui.latent || (ev.type === 'pointermove' && !(ev.buttons & 1))) return;
  const c = $('latent');
  const r = c.getBoundingClientRect();
  const L = ui.latent;
  const x = L.x0 + ((ev.clientX - r.left) / r.width) * (L.x1 - L.x0);
  const y = L.y0 + (1 - (ev.clientY - r.top) / r.height) * (L.y1 - L.y0);
  decodeAt(x, y);
}

function decodeAt(x, y) {
  ui.cursor = [x, y];
  redrawLatent();
  send('decodePoint', { x, y });
}

/** Arrow keys move the decoded point by 2% of the map (10% with Shift); Enter or Space decodes the centre. */
function latentKey(ev) {
  const L = ui.latent;
  if (!L) return;
  const step = ev.shiftKey ? 0.1 : 0.02;
  const [x, y] = ui.cursor ?? [(L.x0 + L.x1) / 2, (L.y0 + L.y1) / 2];
  const dx = { ArrowLeft: -1, ArrowRight: 1 }[ev.key] ?? 0;
  const dy = { ArrowDown: -1, ArrowUp: 1 }[ev.key] ?? 0;
  if (!dx && !dy && ev.key !== 'Enter' && ev.key !== ' ') return;
  ev.preventDefault();
  decodeAt(x + dx * step * (L.x1 - L.x0), y + dy * step * (L.y1 - L.y0));
}

// ---- the panels that ask the worker for images whenever the model changes ----
function refreshPanels() {
  requestNoiseDemo();
  requestBlend();
  requestInfill();
  if (ui.drawn) requestDraw();
}

function requestBlend() {
  if (!ui.model || $('blend-panel').hidden) return;
  const a = $('blend-a').value === '' ? NaN : Number($('blend-a').value), b = $('blend-b').value === '' ? NaN : Number($('blend-b').value);
  if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < 0 || a >= ui.nTest || b >= ui.nTest) {
    $('blend-text').textContent = say(`Pick two test digits from 0 to ${ui.nTest - 1}.`);
    return;
  }
  send('blend', { a, b });
}

function requestInfill() {
  if (!ui.model || !ui.infill || $('infill-panel').hidden) return;
  send('infill', { original: ui.infill.original, known: ui.infill.known });
}

/** The digit with erased pixels in red. */
function drawInfillInput() {
  const { original, known } = ui.infill;
  const c = $('infill-in');
  c.width = ui.cols;
  c.height = ui.rows;
  const ctx = c.getContext('2d');
  const img = ctx.createImageData(ui.cols, ui.rows);
  for (let i = 0; i < original.length; i++) {
    const g = Math.round(255 * original[i]);
    img.data.set(known[i] ? [g, g, g, 255] : [200, 40, 40, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
}

function eraseAt(ev) {
  if (!ui.infill || (ev.type === 'pointermove' && !(ev.buttons & 1))) return;
  const r = $('infill-in').getBoundingClientRect();
  const cx = ((ev.clientX - r.left) / r.width) * ui.cols, cy = ((ev.clientY - r.top) / r.height) * ui.rows;
  let changed = false;
  for (let y = 0; y < ui.rows; y++)
    for (let x = 0; x < ui.cols; x++)
      if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= 2.2 ** 2 && ui.infill.known[y * ui.cols + x]) {
        ui.infill.known[y * ui.cols + x] = 0;
        changed = true;
      }
  if (changed) {
    drawInfillInput();
    requestInfill();
  }
}

function eraseRegion(which) {
  if (!ui.infill) return;
  const { known } = ui.infill;
  for (let y = 0; y < ui.rows; y++)
    for (let x = 0; x < ui.cols; x++) {
      const i = y * ui.cols + x;
      if (which === 'restore') known[i] = 1;
      else if (which === 'top' ? y < ui.rows / 2 : x < ui.cols / 2) known[i] = 0;
    }
  drawInfillInput();
  requestInfill();
}

function newInfillDigit() {
  const index = Math.floor(Math.random() * ui.nTest);
  send('digit', { index, purpose: 'infill' });
}

// ---- drawing: strokes on a 224×224 canvas, reduced to the data's size the way MNIST digits were made ----
function resizeDrawInputs() {
  for (const id of ['draw-in', 'draw-recon', 'infill-in', 'infill-out', 'infill-orig']) {
    $(id).width = ui.cols;
    $(id).height = ui.rows;
  }
}

function clearDrawing() {
  const c = $('draw');
  const ctx = c.getContext('2d');
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, c.width, c.height);
  ui.drawn = false;
  ui.star = null;
  redrawLatent();
  $('draw-text').textContent = 'Draw a digit above.';
  delete $('draw-text').dataset.done;
}

/** MNIST's recipe: the ink's bounding box scaled to fit 20×20 of 28×28 (aspect kept, anti-aliased), then
 * moved so its centre of mass sits at the centre. Returns floats in [0,1] (rows·cols), or null if empty. */
function drawingAsInput() {
  const src = $('draw');
  const d = src.getContext('2d').getImageData(0, 0, src.width, src.height).data;
  let x0 = src.width, x1 = -1, y0 = src.height, y1 = -1;
  for (let y = 0; y < src.height; y++)
    for (let x = 0; x < src.width; x++)
      if (d[4 * (y * src.width + x)] > 20) {
        x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
  if (x1 < 0) return null;
  const { rows, cols } = ui;
  const box = (20 / 28) * Math.min(rows, cols);
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const s = box / Math.max(bw, bh);
  const place = (dx, dy) => {
    const t = document.createElement('canvas');
    t.width = cols;
    t.height = rows;
    const ctx = t.getContext('2d');
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, cols, rows);
    ctx.drawImage(src, x0, y0, bw, bh, dx, dy, bw * s, bh * s);
    const p = ctx.getImageData(0, 0, cols, rows).data;
    return Float32Array.from({ length: rows * cols }, (_, i) => p[4 * i] / 255);
  };
  let img = place((cols - bw * s) / 2, (rows - bh * s) / 2);
  let m = 0, mx = 0, my = 0;
  img.forEach((v, i) => { m += v; mx += v * (i % cols); my += v * Math.floor(i / cols); });
  if (m > 0) img = place((cols - bw * s) / 2 + Math.round((cols - 1) / 2 - mx / m), (rows - bh * s) / 2 + Math.round((rows - 1) / 2 - my / m));
  return img;
}

function requestDraw() {
  if (!ui.model) return;
  const image = drawingAsInput();
  if (!image) return;
  drawTiles($('draw-in').getContext('2d'), image, 1, 0, false);
  send('draw', { image });
}

function setupDrawing() {
  const c = $('draw');
  const ctx = c.getContext('2d');
  let last = null;
  let pending = false;
  clearDrawing();
  const point = (ev) => {
    const r = c.getBoundingClientRect();
    return [((ev.clientX - r.left) / r.width) * c.width, ((ev.clientY - r.top) / r.height) * c.height];
  };
  const stroke = (ev) => {
    if (!(ev.buttons & 1) && ev.type !== 'pointerdown') return;
    const p = point(ev);
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = c.width / 13;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(...(last ?? p));
    ctx.lineTo(...p);
    ctx.stroke();
    last = p;
    ui.drawn = true;
    if (!pending) {
      pending = true;
      requestAnimationFrame(() => { pending = false; requestDraw(); });
    }
  };
  c.addEventListener('pointerdown', (ev) => { c.setPointerCapture(ev.pointerId); last = null; stroke(ev); });
  c.addEventListener('pointermove', stroke);
  c.addEventListener('pointerup', () => { last = null; });
  $('draw-clear').addEventListener('click', clearDrawing);
}

function setupPanels() {
  const fs = $('panels');
  for (const [k, label] of Object.entries(PANEL_LABELS)) {
    const l = document.createElement('label');
    l.innerHTML = `<input type="checkbox" id="show-${k}" checked> ${label}`;
    fs.append(l);
    l.firstChild.addEventListener('change', (e) => {
      $(PANELS[k]).hidden = !e.target.checked;
      writeHash();
      if (e.target.checked) refreshPanels();
    });
  }
}

async function loadData() {
  const img = $('data-images').files[0];
  if (!img) {
    showError('Choose an IDX image file first.');
    return;
  }
  showError('');
  const lab = $('data-labels').files[0];
  $('data-status').textContent = `Reading ${img.name}…`;
  // the Files, not their bytes: the Worker reads them as a stream and refuses one that is too large or
  // inflates too far before holding it, so a huge file or a gzip bomb never fills this thread's memory
  ui.worker.postMessage({ type: 'loadData', images: img, labels: lab ?? null, imagesName: img.name, labelsName: lab?.name ?? null });
}

function requestNoiseDemo() {
  const level = Number($('demo-level').value);
  $('demo-level-text').value = level.toFixed(2);
  send('noiseDemo', { kind: $('demo-kind').value, level });
}

function readEpochs() {
  return Number($('epochs').value) || 1;
}

function send(type, extra = {}) {
  ui.worker.postMessage({ type, ...extra });
}

function command(type) {
  showError('');
  try {
    if (type === 'start' || type === 'reset' || type === 'step') send(type, { config: readConfig() });
    else send(type);
  } catch (e) {
    showError(e.message);
  }
}

// ---- keeping the run across a reload: the worker stores it (persist.js), the page offers it back ----
const lastStep = () => (ui.steps.length ? ui.steps[ui.steps.length - 1] : 0);
/** Steps of the current model held neither by the browser's store nor by a download. */
const unsavedSteps = () => (ui.model ? lastStep() - (ui.keptStep ?? 0) : 0);

function ago(ms) {
  const min = Math.round(ms / 60000);
  if (min < 1) return 'just now';
  if (min < 90) return `${min} minute${min === 1 ? '' : 's'} ago`;
  const h = Math.round(min / 60);
  return h < 48 ? `${h} hours ago` : `${Math.round(h / 24)} days ago`;
}

/** A stored run as the restore bar names it: its layers, data, how far it got and when it was saved. */
function describeRun(r) {
  const end = r.finished ? (r.step >= r.epochs * r.stepsPerEpoch ? ', finished' : ', stopped') : '';
  const where = r.step ? `epoch ${Math.ceil(r.step / r.stepsPerEpoch)} of ${r.epochs}, step ${r.step}${end}` : 'loaded from a file';
  const data = r.data === 'MNIST' ? '' : ` (trained on ${r.data})`;
  return `${r.sizes}${data}, ${where}, saved ${ago(Date.now() - r.at)}`;
}

const keepHandlers = {
  /** At start: the run a reload or a crash interrupted (run) and an earlier one that new work set aside
   * (earlier), either null. Restore takes the latest; Restore earlier, shown when there are both, the other. */
  offer(m) {
    const bar = $('restore');
    bar.dataset.state = m.run || m.earlier ? 'offer' : 'none';
    bar.hidden = !(m.run || m.earlier);
    if (bar.hidden) return;
    bar.dataset.which = m.run ? 'current' : 'previous';
    $('restore-earlier').hidden = !(m.run && m.earlier);
    $('restore-no').textContent = m.run && m.earlier ? 'Discard both' : 'Discard';
    $('restore-text').textContent = m.run
      ? `Restore the model you were training: ${describeRun(m.run)}.${m.earlier ? ` An earlier run is kept too: ${describeRun(m.earlier)}.` : ''}`
      : `Restore an earlier run: ${describeRun(m.earlier)}.`;
  },
  /** Start, Step or Load model with the offer unanswered: the offer goes, its run is kept for the next reload. */
  declined(m) {
    $('restore').hidden = true;
    $('restore').dataset.state = 'declined';
    $('keep-note').textContent = `The run offered at the top (${m.earlier.sizes}, step ${m.earlier.step}) is set aside, not lost: the next reload offers it again.`;
    $('keep-note').hidden = false;
  },
  restored(m) {
    const c = m.config;
    for (const id of ['sizes', 'hidden', 'code', 'optimizer', 'lr', 'batch', 'epochs', 'seed', 'noise', 'noiseLevel']) $(id).value = c[id];
    $('outloss').value = `${c.output}/${c.loss}`;
    syncPreset();
    writeHash();
    const h = m.history;
    Object.assign(ui, { steps: h.steps, train: h.train, test: h.test, samples: h.samples, ms: h.ms, keptStep: m.step });
    const last = (a) => a.findLast((v) => v !== null)?.toFixed(4) ?? '–';
    $('n-step').textContent = String(m.step);
    $('n-epoch').textContent = m.step ? `${Math.ceil(m.step / m.stepsPerEpoch)} of ${readEpochs()}` : '–';
    $('n-loss').textContent = last(h.train);
    $('n-test').textContent = last(h.test);
    $('n-eta').textContent = m.finished ? (m.step >= readEpochs() * m.stepsPerEpoch ? 'done' : 'stopped') : '–';
    drawChart(true);
    $('restore').hidden = true;
    $('restore').dataset.state = 'restored';
    const other = m.data !== m.current ? ` It was trained on ${m.data}, which the browser does not keep: load it under Your own data to train on it again.` : '';
    $('engine').textContent = `Restored ${c.sizes} at step ${m.step}. ${m.finished ? 'Start trains a fresh model.' : 'Resume trains it on.'}${other}`;
  },
  kept(m) {
    ui.keptStep = m.step;
    $('restore').dataset.kept = String(m.step);
  },
  discarded() {
    $('restore').dataset.state = 'discarded';
  },
  keepOff(m) {
    $('keep-off').textContent = 'Restore after a reload is off: this browser does not let the page keep data here. Save model keeps your work.';
    $('keep-off').title = m.reason;
    $('keep-off').hidden = false;
    $('restore').dataset.state = 'off';
  },
};

function setupKeep() {
  Object.assign(on, keepHandlers);
  $('restore-yes').addEventListener('click', () => { showError(''); send('restore', { which: $('restore').dataset.which }); });
  $('restore-earlier').addEventListener('click', () => { showError(''); send('restore', { which: 'previous' }); });
  $('restore-no').addEventListener('click', () => { $('restore').hidden = true; send('discard'); });
  // Warn only when leaving would lose trained steps: not on a fresh page, not once they are kept or downloaded.
  addEventListener('beforeunload', (e) => {
    if (unsavedSteps() <= 0) return;
    e.preventDefault();
    e.returnValue = 'unsaved'; // older browsers ask for a non-empty string
  });
}

function main() {
  reword(); // reads the page's own words before any are replaced
  setupPanels();
  fillSelect($('hidden'), ACTS);
  fillSelect($('code'), ACTS);
  applyPreset('simple');
  const hashProblem = readHash();
  if (hashProblem) showError(hashProblem);
  syncPreset();
  if (hashProblem) writeHash(); // the link in the address bar holds what is used, not the ignored values
  makeChart();
  $('preset').addEventListener('change', () => {
    showError('');
    applyPreset($('preset').value);
    writeHash();
    if (ui.ready) configureFromForm();
  });
  $('config').addEventListener('change', (e) => {
    writeHash();
    if (e.target.id !== 'preset') syncPreset();
    if (e.target.id !== 'preset' && ui.ready && !ui.running) {
      showError('');
      configureFromForm();
    }
  });
  $('config').addEventListener('submit', (e) => e.preventDefault());
  for (const id of ['start', 'pause', 'resume', 'step', 'stop', 'reset']) $(id).addEventListener('click', () => command(id));
  $('save').addEventListener('click', () => send('save'));
  $('error-close').addEventListener('click', () => showError(''));
  $('demo-level').addEventListener('input', requestNoiseDemo);
  $('latent').addEventListener('pointerdown', latentClick);
  $('latent').addEventListener('pointermove', latentClick);
  $('latent').addEventListener('keydown', latentKey);
  $('pin').addEventListener('click', () => send('pin'));
  $('unpin').addEventListener('click', () => send('unpin'));
  for (const id of ['blend-a', 'blend-b']) $(id).addEventListener('change', requestBlend);
  $('blend-random').addEventListener('click', () => {
    $('blend-a').value = String(Math.floor(Math.random() * ui.nTest));
    $('blend-b').value = String(Math.floor(Math.random() * ui.nTest));
    requestBlend();
  });
  $('infill-in').addEventListener('pointerdown', (ev) => { $('infill-in').setPointerCapture(ev.pointerId); eraseAt(ev); });
  $('infill-in').addEventListener('pointermove', eraseAt);
  $('infill-new').addEventListener('click', newInfillDigit);
  $('infill-top').addEventListener('click', () => eraseRegion('top'));
  $('infill-left').addEventListener('click', () => eraseRegion('left'));
  $('infill-restore').addEventListener('click', () => eraseRegion('restore'));
  setupDrawing();
  $('curve-train').addEventListener('click', () => {
    $('curve-train').disabled = true;
    $('curve-text').textContent = 'Training…';
    send('curve');
  });
  $('data-load').addEventListener('click', () => loadData().catch((e) => showError(e.message)));
  $('data-mnist').addEventListener('click', () => { showError(''); $('data-status').textContent = 'Loading MNIST…'; send('useMnist'); });
  $('demo-kind').addEventListener('change', requestNoiseDemo);
  $('png-recon').addEventListener('click', () => send('exportPng', { what: 'reconstructions' }));
  $('png-filters').addEventListener('click', () => send('exportPng', { what: 'filters' }));
  $('load').addEventListener('change', async (e) => {
    const file = e.target.files[0];
    e.target.value = '';
    if (!file) return;
    showError('');
    const bytes = await file.arrayBuffer();
    // the form's settings only matter if there is no model yet; a field being edited must not stop a load
    let config = null;
    try { config = readConfig(); } catch { /* the worker keeps its own */ }
    ui.worker.postMessage({ type: 'load', bytes, name: file.name, config }, [bytes]);
  });
  ui.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  ui.worker.onmessage = (ev) => {
    const h = on[ev.data.type];
    if (h) h(ev.data);
  };
  ui.worker.onerror = (ev) => showError(`The training worker failed: ${ev.message ?? 'unknown error'}`);
  setupKeep();
  send('init', { engine: ui.engineParam });
  setButtons();
}

main();
