// The Model section: the settings form and its presets, the training buttons, and saving, loading and
// exporting the model. Always shown, so it has no name under Show. Its menus of activations, noises and
// optimizers are filled from the engine's own names when the Worker reports the engine. The layer field
// holds the whole model spec and is all the Worker builds from; the hidden, code and output/loss menus
// show what it says and, when chosen, rewrite its keys (web/spec.js).
import { $, fillNames } from '../common.js';
import { menus, withMenus, withDataSize } from '../spec.js';

// String.raw: the layer field's pattern keeps its \* (a plain template literal would drop the backslash)
const html = String.raw`
  <section id="setup" aria-labelledby="setup-h">
    <h2 id="setup-h">Model</h2>
    <p class="muted">An <strong>encoder</strong> squeezes each <span class="dims">28×28</span> digit (<span class="npix">784</span> pixels) into a small <strong>code</strong> (the bottleneck);
      a <strong>decoder</strong> rebuilds the digit from it. Training lowers the <strong>reconstruction error</strong>.</p>
    <form id="config" autocomplete="off">
      <label>Preset
        <select id="preset" name="preset">
          <option value="simple">Simple: 784-32-784</option>
          <option value="deep">Deep: 784-128-64-32-64-128-784</option>
          <option value="linear">Linear (finds the PCA subspace): 784-32-784</option>
          <option value="overcomplete">Overcomplete: 784-1000-784</option>
          <option value="denoising">Denoising: 784-128-784, masking noise</option>
          <option value="code2">2-D code (latent map): 784-256-64-2-64-256-784</option>
          <option value="plain128">Plain twin of Denoising: 784-128-784, no noise</option>
          <option value="sparse">Sparse code: 784-32-784, L1 0.0001 on the code</option>
          <option value="w3">Convolutional (W3, Keras blog): 4,385 parameters, code 8×4×4</option>
          <option value="kerasio">Convolutional (keras.io): 28,353 parameters, code 32×7×7</option>
          <option value="convdenoising">Convolutional denoising (keras.io): Gaussian noise 0.4</option>
          <option value="bottleneck">Bottleneck: 10,000 → 20 → 10,000 (images drawn at 100×100)</option>
          <option value="custom">Custom (set by a link, a loaded model or your edits)</option>
        </select>
      </label>
      <label>Layer sizes <input id="sizes" name="sizes" value="784-32-784" pattern="[ ,]*[0-9]+(x[0-9]+){0,2}(-\*?[0-9a-z_.]+(:[a-z_]+)?)+([ ,]+[a-z_]+=[a-z0-9_.]+)*[ ,]*" title="the model spec: widths joined by dashes, such as 784-32-784, or image layers after a C×H×W input, such as 1x28x28-conv16k3-pool2-conv1k3 (conv: filters and kernel; pool, up: factor); mark the code with * (784-*64-784), give a layer its activation (784-32:linear-784), add settings (784-32-784 hidden=tanh loss=mse); the menus below edit these settings" required autocomplete="off" spellcheck="false"></label>
      <label>Hidden activation <select id="hidden" name="hidden"></select></label>
      <label>Code activation <select id="code" name="code"></select></label>
      <label>Output / loss
        <select id="outloss" name="outloss">
          <option value="sigmoid/bce">sigmoid, cross-entropy</option>
          <option value="sigmoid/mse">sigmoid, squared error</option>
          <option value="linear/mse">linear, squared error</option>
        </select>
      </label>
      <label>Optimizer <select id="optimizer" name="optimizer"></select></label>
      <label>Learning rate <input id="lr" name="lr" type="number" value="0.001" step="any" min="0" required></label>
      <label>Batch size <input id="batch" name="batch" type="number" value="256" min="1" max="4096" required></label>
      <label>Epochs <input id="epochs" name="epochs" type="number" value="5" min="1" max="1000" required></label>
      <label>Seed <input id="seed" name="seed" type="number" value="1" min="0" max="4294967295" required></label>
      <label>Training noise
        <select id="noise" name="noise"></select>
      </label>
      <label>Noise level <input id="noiseLevel" name="noiseLevel" type="number" value="0.3" step="0.05" min="0" max="1"></label>
      <label title="a sparse code: this times the batch's mean sum of |code values| is added to the loss (0: none)">Code L1 (sparsity) <input id="l1" name="l1" type="number" value="0" step="any" min="0" max="1000000"></label>
    </form>
    <p id="built" class="muted" aria-live="polite"></p>
    <div class="buttons" role="group" aria-label="Training controls">
      <button id="start" disabled>Start</button>
      <button id="pause" disabled>Pause</button>
      <button id="resume" disabled>Resume</button>
      <button id="step" disabled>Step</button>
      <button id="stop" disabled>Stop</button>
      <button id="reset" disabled>Reset</button>
    </div>
    <p id="form-lock" class="note" aria-live="polite" hidden></p>
    <div class="buttons" role="group" aria-label="Files">
      <button id="save" class="secondary" disabled>Save model</button>
      <label class="filebtn">Load model <input id="load" type="file" accept=".safetensors" disabled></label>
      <button id="png-recon" class="secondary" disabled>Reconstructions PNG</button>
      <button id="png-filters" class="secondary" disabled>Filters PNG</button>
    </div>
    <dl id="numbers" aria-live="polite">
      <dt>Epoch</dt><dd id="n-epoch">–</dd>
      <dt>Step</dt><dd id="n-step">0</dd>
      <dt>Train loss</dt><dd id="n-loss">–</dd>
      <dt>Test loss</dt><dd id="n-test">–</dd>
      <dt>Samples/s</dt><dd id="n-speed">–</dd>
      <dt>Time left</dt><dd id="n-eta">–</dd>
      <dt>Parameters</dt><dd id="n-params">–</dd>
    </dl>
    <div id="runbar" role="group" aria-label="The run" hidden>
      <span id="runbar-text"></span>
      <button id="runbar-toggle" class="secondary">Pause</button>
      <button id="runbar-go" class="secondary" aria-label="Back to the training controls" title="Back to the training controls">↑</button>
    </div>
  </section>`;

let ctx;
let names = { activation: [], loss: [] }; // the engine's, from its 'engine' message

// Each preset's model is its whole spec (the menus show what it says).
const PRESETS = {
  simple: { sizes: '784-32-784', optimizer: 'adam', lr: 0.001, batch: 256, epochs: 5, noise: 'none' },
  deep: { sizes: '784-128-64-32-64-128-784', optimizer: 'adam', lr: 0.001, batch: 256, epochs: 5, noise: 'none' },
  linear: { sizes: '784-32-784 hidden=linear output=linear', optimizer: 'adam', lr: 0.001, batch: 256, epochs: 5, noise: 'none' },
  overcomplete: { sizes: '784-1000-784', optimizer: 'adam', lr: 0.001, batch: 256, epochs: 3, noise: 'none' },
  code2: { sizes: '784-256-64-2-64-256-784 code=linear', optimizer: 'adam', lr: 0.001, batch: 128, epochs: 10, noise: 'none' },
  plain128: { sizes: '784-128-784', optimizer: 'adam', lr: 0.001, batch: 256, epochs: 5, noise: 'none' },
  denoising: { sizes: '784-128-784', optimizer: 'adam', lr: 0.001, batch: 256, epochs: 5, noise: 'mask', noiseLevel: 0.5 },
  // the Keras blog's sparse autoencoder: activity_regularizer l1(1e-4) on the 32-unit code
  sparse: { sizes: '784-32-784', optimizer: 'adam', lr: 0.001, batch: 256, epochs: 5, noise: 'none', l1: 0.0001 },
  // The convolutional ones as published (Adam, cross-entropy, batch 128), but for fewer epochs than their 50
  // (docs/experiments.md has the full runs; `make bench` has their speed: keras.io's about five times W3's time).
  // An image model's input is C×H×W; other data of another size gets H×W (withDataSize), and a model whose
  // pooling does not come back to that size is refused with the engine's message.
  w3: { sizes: '1x28x28-conv16k3-pool2-conv8k3-pool2-conv8k3-pool2-conv8k3-up2-conv8k3-up2-conv16k3v-up2-conv1k3', optimizer: 'adam', lr: 0.001, batch: 128, epochs: 10, noise: 'none' },
  kerasio: { sizes: '1x28x28-conv32k3-pool2-conv32k3-pool2-convt32k3s2-convt32k3s2-conv1k3', optimizer: 'adam', lr: 0.001, batch: 128, epochs: 5, noise: 'none' },
  convdenoising: { sizes: '1x28x28-conv32k3-pool2-conv32k3-pool2-convt32k3s2-convt32k3s2-conv1k3', optimizer: 'adam', lr: 0.001, batch: 128, epochs: 5, noise: 'gaussian', noiseLevel: 0.4 },
  // The lecture's bottleneck slide: 10,000 elements, 20 in the middle, 10,000 again. Its size is its own:
  // the Worker draws the loaded images at 100×100 for it (MNIST's digits, made per batch).
  bottleneck: { sizes: '10000-20-10000', optimizer: 'adam', lr: 0.001, batch: 64, epochs: 1, noise: 'none', ownSize: true },
};
const PRESET_FIELDS = ['sizes', 'optimizer', 'lr', 'batch', 'epochs', 'noise'];
// Own data of a few images: a preset's batch (64 to 256) could make an epoch one step and its run a handful,
// so the batch shrinks to give about 8 steps an epoch (but not below 8 images) and the epochs grow to give
// at least 200 steps in all. MNIST's 60,000 images get every preset as it is (235 steps an epoch or more).
const MIN_STEPS_PER_EPOCH = 8, MIN_BATCH = 8, MIN_STEPS = 200;

/** A preset's value of field k for the loaded data. */
function presetValue(p, k) {
  if (k === 'sizes') return presetSizes(p);
  const n = ctx.ui.nTrain, batch = Math.max(MIN_BATCH, Math.min(p.batch, Math.floor(n / MIN_STEPS_PER_EPOCH)));
  if (k === 'batch') return batch;
  if (k === 'epochs') return Math.max(p.epochs, Math.ceil(MIN_STEPS / Math.ceil(n / batch)));
  return p[k];
}

function applyPreset(name) {
  const p = PRESETS[name];
  if (!p) return; // 'custom' keeps the fields as they are
  for (const k of PRESET_FIELDS) $(k).value = presetValue(p, k);
  $('noiseLevel').value = p.noiseLevel ?? 0.3;
  $('l1').value = p.l1 ?? 0;
  syncMenus();
}

/** A preset's spec for the loaded data: the presets are written for MNIST's 784 pixels, and other data
 * gets the same shape at its own size. */
function presetSizes(p) {
  return p.ownSize ? p.sizes : withDataSize(p.sizes, ctx.ui.baseRows ?? ctx.ui.rows, ctx.ui.baseCols ?? ctx.ui.cols);
}

// Words for output/loss pairs the menu does not list, added while a spec says one (a loaded model's, a typed one).
const LOSS_WORDS = { bce: 'cross-entropy', mse: 'squared error', softmax_ce: 'softmax cross-entropy' };

/** The menus show what the layer field says (web/spec.js menus). A value a menu cannot show (a name the
 * engine does not know, being typed) leaves it as it was: the engine's message says what is wrong. */
function syncMenus() {
  const m = menus($('sizes').value);
  for (const id of ['hidden', 'code']) if ([...$(id).options].some((o) => o.value === m[id])) $(id).value = m[id];
  const sel = $('outloss');
  const pair = `${m.output}/${m.loss}`;
  for (const o of [...sel.options]) if (o.dataset.extra && o.value !== pair) o.remove();
  if (![...sel.options].some((o) => o.value === pair) && names.activation.includes(m.output) && names.loss.includes(m.loss)) {
    const o = new Option(`${m.output}, ${LOSS_WORDS[m.loss] ?? m.loss}`, pair);
    o.dataset.extra = '1';
    sel.add(o);
  }
  if ([...sel.options].some((o) => o.value === pair)) sel.value = pair;
}

/** A menu chosen: the field's keys take the menus' values, and the layers that menu governs lose their own
 * ':act', so what the menus show is what is built. */
function menuChosen(id) {
  const [output, loss] = $('outloss').value.split('/');
  const m = { hidden: $('hidden').value, code: $('code').value, output, loss };
  $('sizes').value = withMenus($('sizes').value, m, id === 'outloss' ? 'output' : id);
  syncMenus();
}

/** The preset menu names the preset the fields match, or Custom (a link, a loaded model or an edit set them). */
function syncPreset() {
  const same = (p) => PRESET_FIELDS.every((k) => String(presetValue(p, k)) === $(k).value) && (p.noise === 'none' || Number($('noiseLevel').value) === (p.noiseLevel ?? 0.3))
    && Number($('l1').value) === (p.l1 ?? 0);
  $('preset').value = Object.keys(PRESETS).find((k) => same(PRESETS[k])) ?? 'custom';
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

/** A spec that only fails the field's pattern goes to the engine, whose message names what is wrong in it
 * ("an empty item (a '-' at an end or two in a row)") where the pattern's could only give the whole title. */
const forEngine = (el) => el.id === 'sizes' && el.value.trim() !== '' && el.validity.patternMismatch && !el.validity.tooLong;

function readConfig() {
  const form = $('config');
  const invalid = [...form.elements].filter((el) => el.willValidate && !el.checkValidity() && !forEngine(el));
  if (invalid.length) {
    form.reportValidity();
    throw new Error(`Fix ${invalid.length === 1 ? 'this field' : 'these fields'} first: ${invalid.map((el) => `${fieldName(el)}: ${validityText(el)}`).join('; ')}.`);
  }
  const num = (id) => Number($(id).value);
  return {
    // the spec says the whole model: no activation, loss or init beside it (the Worker compares configs)
    sizes: $('sizes').value.trim(), hidden: '', code: '', output: '', loss: '', init: '',
    optimizer: $('optimizer').value, lr: num('lr'), momentum: 0.9, weightDecay: 0, batch: num('batch'), epochs: num('epochs'),
    seed: num('seed'), noise: $('noise').value, noiseLevel: num('noiseLevel'), l1: num('l1'),
  };
}

/** Send the form to the worker as the next model's configuration; a bad field is shown, not thrown. */
function configureFromForm() {
  try {
    ctx.send('configure', { config: readConfig() });
  } catch (e) {
    ctx.showError(e.message);
  }
}

function command(type) {
  ctx.showError('');
  try {
    if (type === 'start' || type === 'reset' || type === 'step') ctx.send(type, { config: readConfig() });
    else ctx.send(type);
  } catch (e) {
    ctx.showError(e.message);
  }
}

async function loadModel(e) {
  const file = e.target.files[0];
  e.target.value = '';
  if (!file) return;
  ctx.showError('');
  const bytes = await file.arrayBuffer();
  // the form's settings only matter if there is no model yet; a field being edited must not stop a load
  let config = null;
  try { config = readConfig(); } catch { /* the worker keeps its own */ }
  ctx.send('load', { bytes, name: file.name, config }, [bytes]);
}

// The run bar: while a run is going or paused and the numbers under the form are out of view (on a phone
// the form alone is taller than the screen, so Start scrolls nothing into sight; on any screen the panels
// further down), a bar at the bottom of the window says where the run is and pauses or resumes it.
let numbersInView = true;

/** The way back to the controls points to where the numbers are: up, or down where a chapter puts the Model panel below its own. */
function runbarArrow() {
  $('runbar-go').textContent = $('numbers').getBoundingClientRect().top < 0 ? '↑' : '↓';
}

function runbarText() {
  const t = (id) => $(id).textContent;
  const eta = t('n-eta'), left = !ctx.ui.paused && /\d/.test(eta) ? ` · ${eta} left` : '';
  $('runbar-text').textContent = `${ctx.ui.paused ? 'Paused · ' : ''}Epoch ${t('n-epoch')} · step ${t('n-step')} · loss ${t('n-loss')}${left}`;
}

function runbarShow() {
  const { ui } = ctx, on = ui.ready && (ui.running || ui.paused) && !numbersInView;
  // focus in the bar as it goes (the run ended, or the numbers came into view) goes to the controls it stood
  // for, without scrolling the page away from what the reader is looking at
  if (!on && $('runbar').contains(document.activeElement)) $(ui.running ? 'pause' : ui.paused ? 'resume' : 'start').focus({ preventScroll: true });
  $('runbar').hidden = !on;
  document.body.classList.toggle('has-runbar', on); // room under the last panel, which the bar would cover
  if (!on) return;
  $('runbar-toggle').textContent = ui.running ? 'Pause' : 'Resume';
  runbarArrow();
  $('runbar-toggle').disabled = ui.running ? $('pause').disabled : $('resume').disabled;
  runbarText();
}

function setupRunbar() {
  // last in the page, where it shows, so that Tab and a screen reader reach it after the panels
  document.body.append($('runbar'));
  new IntersectionObserver((entries) => {
    numbersInView = entries.at(-1).isIntersecting;
    runbarShow();
  }).observe($('numbers'));
  // the numbers are written by panels/loss.js: the bar repeats them as they change
  new MutationObserver(() => { if (!$('runbar').hidden) runbarText(); }).observe($('numbers'), { subtree: true, childList: true, characterData: true });
  window.addEventListener('scroll', () => { if (!$('runbar').hidden) runbarArrow(); }, { passive: true });
  $('runbar-toggle').addEventListener('click', () => $(ctx.ui.running ? 'pause' : 'resume').click());
  $('runbar-go').addEventListener('click', () => {
    $('start').scrollIntoView({ block: 'center' });
    $(ctx.ui.running ? 'pause' : 'resume').focus({ preventScroll: true });
  });
}

export default {
  html,
  setup(c) {
    ctx = c;
    setupRunbar();
    $('preset').addEventListener('change', () => {
      ctx.showError('');
      applyPreset($('preset').value);
      ctx.writeHash();
      if (ctx.ui.ready) configureFromForm();
    });
    // the menus edit the field before the form's own change handler below sends it
    for (const id of ['hidden', 'code', 'outloss']) $(id).addEventListener('change', () => menuChosen(id));
    $('sizes').addEventListener('input', syncMenus);
    $('config').addEventListener('change', (e) => {
      ctx.writeHash();
      if (e.target.id !== 'preset') syncPreset();
      if (e.target.id !== 'preset' && ctx.ui.ready && !ctx.ui.running) {
        ctx.showError('');
        configureFromForm();
      }
    });
    $('config').addEventListener('submit', (e) => e.preventDefault());
    for (const id of ['start', 'pause', 'resume', 'step', 'stop', 'reset']) $(id).addEventListener('click', () => command(id));
    $('save').addEventListener('click', () => ctx.send('save'));
    $('png-recon').addEventListener('click', () => ctx.send('exportPng', { what: 'reconstructions' }));
    $('png-filters').addEventListener('click', () => ctx.send('exportPng', { what: 'filters' }));
    $('load').addEventListener('change', loadModel);
  },
  on: {
    /** The engine's names fill the menus; then the defaults, then the link's settings, can be applied. */
    engine(m) {
      names = { activation: m.names.activation, loss: m.names.loss };
      fillNames($('hidden'), 'activation', m.names.activation, { skip: ['softmax'] }); // softmax: output layers only (src/spec.c)
      fillNames($('code'), 'activation', m.names.activation, { skip: ['softmax'] });
      fillNames($('optimizer'), 'optimizer', m.names.optimizer);
      fillNames($('noise'), 'noise', m.names.noise);
      applyPreset('simple');
      const problem = ctx.applyLink();
      if (problem) ctx.showError(problem);
      syncMenus();
      syncPreset();
      if (problem) ctx.writeHash(); // the link in the address bar holds what is used, not the ignored values
    },
    /** New data: the first and last widths follow its size, unless the Worker kept the current model. */
    data(m) {
      if (m.redrawn) return; // the data now has the model's size, not the other way round
      // A preset on show keeps its batch and epochs right for the data's size (presetValue), and the data
      // panel says what changed (ui.presetNote). A kept model that has trained keeps the form: another batch
      // would mean a new model, and that is the user's choice (a preset, or Reset).
      const preset = PRESETS[$('preset').value];
      ctx.ui.presetNote = null;
      if (preset && m.keptModel && ctx.ui.steps.length) {
        if (['batch', 'epochs'].some((k) => String(presetValue(preset, k)) !== $(k).value)) {
          ctx.ui.presetNote = { kept: true, batch: presetValue(preset, 'batch'), epochs: presetValue(preset, 'epochs') };
        }
      } else if (preset) {
        const before = [$('batch').value, $('epochs').value];
        for (const k of ['batch', 'epochs']) $(k).value = presetValue(preset, k);
        if (String(before) !== String([$('batch').value, $('epochs').value])) {
          const batch = Number($('batch').value), epochs = Number($('epochs').value);
          ctx.ui.presetNote = { batch, epochs, few: batch < preset.batch || epochs > preset.epochs }; // or back to its own
          ctx.writeHash();
          if (m.keptModel) configureFromForm(); // an untrained model: built again at the new batch, the same weights
        }
      }
      if (m.keptModel) {
        syncPreset();
        return;
      }
      // a preset of its own size (Bottleneck), from a link or chosen before: the Worker draws the data for it
      const ownSize = Object.values(PRESETS).some((p) => p.ownSize && p.sizes === $('sizes').value);
      const spec = ownSize ? $('sizes').value : withDataSize($('sizes').value, m.rows, m.cols);
      if (spec !== $('sizes').value) {
        $('sizes').value = spec;
        syncPreset();
        ctx.writeHash();
      }
      configureFromForm();
    },
    /** The model the Worker built: C's own spec of it, so a layer's ':act' that differs from a menu shows. */
    model(m) {
      $('n-params').textContent = m.nParams.toLocaleString('en');
      // the activations of the layers that compute (pooling and upsampling pass values on unchanged)
      const acts = m.activations.filter((a, l) => !(m.params?.[l] === 0 && a === 'linear'));
      $('built').textContent = `Built: ${m.spec} · ${acts.join(', ')} · ${m.nParams.toLocaleString('en')} parameters`;
    },
    loaded(m) {
      const c = m.config;
      $('sizes').value = c.sizes;
      syncMenus();
      syncPreset();
      ctx.writeHash();
      $('engine').textContent = `Loaded ${m.name}: ${c.sizes}. Train it further or explore its reconstructions.`;
    },
    restored(m) {
      const c = m.config;
      for (const id of ['sizes', 'optimizer', 'lr', 'batch', 'epochs', 'seed', 'noise', 'noiseLevel']) $(id).value = c[id];
      $('l1').value = c.l1 ?? 0; // runs kept before the setting existed had none
      syncMenus();
      syncPreset();
      ctx.writeHash();
    },
  },
  enable(ui) {
    const r = ui.ready;
    $('start').disabled = !r || ui.running || ui.paused;
    $('pause').disabled = !r || !ui.running;
    $('resume').disabled = !r || ui.running || !ui.paused;
    $('step').disabled = !r || ui.running;
    $('stop').disabled = !r || (!ui.running && !ui.paused);
    $('reset').disabled = !r || ui.running;
    for (const id of ['save', 'png-recon', 'png-filters', 'load']) $(id).disabled = !r || ui.running || !ui.model;
    for (const el of $('config').elements) el.disabled = !r || ui.running || ui.paused;
    $('form-lock').hidden = !r || !(ui.running || ui.paused);
    $('form-lock').textContent = ui.paused
      ? 'Paused: the settings stay locked so the run can resume. Stop ends the run and unlocks them.'
      : 'Training: the settings are locked. Pause or Stop first; Stop unlocks them.';
    runbarShow();
  },
};
