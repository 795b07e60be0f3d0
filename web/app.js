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
  denoising: { sizes: '784-128-784', hidden: 'relu', code: 'relu', outloss: 'sigmoid/bce', optimizer: 'adam', lr: 0.001, batch: 256, epochs: 5, noise: 'mask', noiseLevel: 0.5 },
};

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
};

function showError(message) {
  const el = $('error');
  el.textContent = message;
  el.hidden = !message;
}

function fillSelect(sel, opts) {
  sel.innerHTML = '';
  for (const [v, label] of opts) sel.add(new Option(label, v));
}

function applyPreset(name) {
  const p = PRESETS[name];
  for (const k of ['sizes', 'hidden', 'code', 'outloss', 'optimizer', 'lr', 'batch', 'epochs', 'noise']) $(k).value = p[k];
  $('noiseLevel').value = p.noiseLevel ?? 0.3;
}

// ---- shareable state in the URL hash, versioned: #v=1&sizes=784-32-784&hidden=relu&... ----
const HASH_VERSION = '1';
const HASH_FIELDS = { sizes: 'sizes', hidden: 'hidden', code: 'code', out: 'outloss', opt: 'optimizer', lr: 'lr', batch: 'batch', epochs: 'epochs', seed: 'seed', noise: 'noise', level: 'noiseLevel' };

function writeHash() {
  const p = new URLSearchParams({ v: HASH_VERSION });
  for (const [k, id] of Object.entries(HASH_FIELDS)) p.set(k, $(id).value);
  if (document.body.classList.contains('embed')) p.set('embed', '1');
  history.replaceState(null, '', `#${p}`);
}

/** Apply the hash to the form; returns a message if part of it could not be used. */
function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  if (p.get('embed') === '1') document.body.classList.add('embed');
  if (!p.has('v')) return '';
  if (p.get('v') !== HASH_VERSION) return `This link was made by a different version of aelab (v=${p.get('v')}); using the defaults.`;
  const bad = [];
  for (const [k, id] of Object.entries(HASH_FIELDS)) {
    if (!p.has(k)) continue;
    const el = $(id);
    if (el.tagName === 'SELECT' && ![...el.options].some((o) => o.value === p.get(k))) bad.push(k);
    else el.value = p.get(k);
  }
  return bad.length ? `Ignored unknown values in the link: ${bad.join(', ')}.` : '';
}

function readConfig() {
  const form = $('config');
  if (!form.reportValidity()) throw new Error('Fix the highlighted fields first.');
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
  $('start').disabled = !r || ui.running;
  $('pause').disabled = !r || !ui.running;
  $('resume').disabled = !r || ui.running || !ui.paused;
  $('step').disabled = !r || ui.running;
  $('stop').disabled = !r || (!ui.running && !ui.paused);
  $('reset').disabled = !r || ui.running;
  for (const id of ['save', 'png-recon', 'png-filters', 'load']) $(id).disabled = !r || ui.running || !ui.model;
  for (const el of $('config').elements) el.disabled = !r || ui.running || ui.paused;
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
  const n = 16;
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
    ui.engine = `WebAssembly ${m.simd ? 'SIMD' : 'scalar (this browser has no WebAssembly SIMD)'}, in a Web Worker`;
    $('engine').textContent = `Engine: ${ui.engine}.`;
    $('engine').dataset.variant = m.variant;
  },
  status(m) {
    $('engine').textContent = m.message;
  },
  data(m) {
    ui.rows = m.rows;
    ui.cols = m.cols;
    ui.ready = true;
    $('engine').textContent = `Ready: ${m.train.toLocaleString('en')} training and ${m.test.toLocaleString('en')} test digits loaded in ${(m.ms / 1000).toFixed(1)} s. Engine: ${ui.engine}.`;
    send('configure', { config: readConfig() });
    setButtons();
  },
  model(m) {
    ui.model = m;
    $('n-params').textContent = m.nParams.toLocaleString('en');
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
    if (ui.test.length) ui.test[ui.test.length - 1] = m.loss;
    drawChart(true);
  },
  images(m) {
    drawImages(m);
    requestNoiseDemo();
  },
  state(m) {
    ui.running = m.running;
    ui.paused = !!m.paused && !m.running;
    if (m.finished) {
      ui.paused = false;
      $('n-eta').textContent = 'done';
    }
    setButtons();
    drawChart(true);
  },
  file(m) {
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
    c.width = 8 * ui.cols;
    c.height = 3 * ui.rows;
    const ctx = c.getContext('2d');
    drawTiles(ctx, m.clean, 8, 0, false);
    drawTiles(ctx, m.noisy, 8, ui.rows, false);
    drawTiles(ctx, m.recon, 8, 2 * ui.rows, false);
    $('demo-numbers').textContent = `Rows: clean, corrupted, reconstructed. Squared error against the clean digits: corrupted input ${m.noisyMse.toFixed(4)}, reconstruction ${m.reconMse.toFixed(4)}.`;
    $('demo-numbers').dataset.noisy = m.noisyMse;
    $('demo-numbers').dataset.recon = m.reconMse;
  },
  diverged(m) {
    showError(`${m.message}`);
  },
  error(m) {
    showError(m.message);
  },
};

const DIGIT_COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

function drawLatent(m) {
  const c = $('latent');
  const ctx = c.getContext('2d');
  const n = m.labels.length;
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    x0 = Math.min(x0, m.points[2 * i]); x1 = Math.max(x1, m.points[2 * i]);
    y0 = Math.min(y0, m.points[2 * i + 1]); y1 = Math.max(y1, m.points[2 * i + 1]);
  }
  const pad = 0.05 * Math.max(x1 - x0, y1 - y0, 1e-6);
  ui.latent = { x0: x0 - pad, x1: x1 + pad, y0: y0 - pad, y1: y1 + pad };
  const L = ui.latent;
  ctx.clearRect(0, 0, c.width, c.height);
  for (let i = 0; i < n; i++) {
    ctx.fillStyle = DIGIT_COLOURS[m.labels[i]];
    const px = ((m.points[2 * i] - L.x0) / (L.x1 - L.x0)) * c.width;
    const py = (1 - (m.points[2 * i + 1] - L.y0) / (L.y1 - L.y0)) * c.height;
    ctx.fillRect(px - 1.5, py - 1.5, 3, 3);
  }
  $('latent-note').textContent = m.dims === 2
    ? 'The 2-unit codes of 2,000 test digits, coloured by digit. Click or drag anywhere to decode that point.'
    : `The ${m.dims}-unit codes of 2,000 test digits, projected onto their two principal components (PCA), coloured by digit. Click or drag to decode a point of that plane.`;
  $('latent-legend').innerHTML = DIGIT_COLOURS.map((col, d) => `<span style="color:${col}">■ ${d}</span>`).join('');
}

function latentClick(ev) {
  if (!ui.latent || (ev.type === 'pointermove' && !(ev.buttons & 1))) return;
  const c = $('latent');
  const r = c.getBoundingClientRect();
  const L = ui.latent;
  const x = L.x0 + ((ev.clientX - r.left) / r.width) * (L.x1 - L.x0);
  const y = L.y0 + (1 - (ev.clientY - r.top) / r.height) * (L.y1 - L.y0);
  send('decodePoint', { x, y });
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
    if (type === 'start' || type === 'reset') send(type, { config: readConfig() });
    else send(type);
  } catch (e) {
    showError(e.message);
  }
}

function main() {
  fillSelect($('hidden'), ACTS);
  fillSelect($('code'), ACTS);
  applyPreset('simple');
  const hashProblem = readHash();
  if (hashProblem) showError(hashProblem);
  makeChart();
  $('preset').addEventListener('change', () => {
    applyPreset($('preset').value);
    writeHash();
    if (ui.ready) send('configure', { config: readConfig() });
  });
  $('config').addEventListener('change', (e) => {
    writeHash();
    if (e.target.id !== 'preset' && ui.ready && !ui.running) {
      try {
        send('configure', { config: readConfig() });
      } catch (err) {
        showError(err.message);
      }
    }
  });
  $('config').addEventListener('submit', (e) => e.preventDefault());
  for (const id of ['start', 'pause', 'resume', 'step', 'stop', 'reset']) $(id).addEventListener('click', () => command(id));
  $('save').addEventListener('click', () => send('save'));
  $('demo-level').addEventListener('input', requestNoiseDemo);
  $('latent').addEventListener('pointerdown', latentClick);
  $('latent').addEventListener('pointermove', latentClick);
  $('demo-kind').addEventListener('change', requestNoiseDemo);
  $('png-recon').addEventListener('click', () => send('exportPng', { what: 'reconstructions' }));
  $('png-filters').addEventListener('click', () => send('exportPng', { what: 'filters' }));
  $('load').addEventListener('change', async (e) => {
    const file = e.target.files[0];
    e.target.value = '';
    if (!file) return;
    showError('');
    const bytes = await file.arrayBuffer();
    ui.worker.postMessage({ type: 'load', bytes, name: file.name, config: readConfig() }, [bytes]);
  });
  ui.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  ui.worker.onmessage = (ev) => {
    const h = on[ev.data.type];
    if (h) h(ev.data);
  };
  ui.worker.onerror = (ev) => showError(`The training worker failed: ${ev.message ?? 'unknown error'}`);
  send('init');
  setButtons();
}

main();
