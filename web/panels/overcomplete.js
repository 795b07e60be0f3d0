// Undercomplete or overcomplete: the Worker (worker/overcomplete.js) trains four autoencoders of their own,
// one undercomplete and three overcomplete (plain, sparse, denoising), and scores each on noise it never saw
// and on test images; this panel shows a few of each with every model's reconstructions beneath, the errors,
// and what they say (web/copying.js words it from the numbers).
import { $, drawTiles } from '../common.js';

const html = `
  <section id="overcomplete-panel" aria-labelledby="overcomplete-h">
    <h2 id="overcomplete-h">Undercomplete or overcomplete: which one copies?</h2>
    <p class="muted">An <strong>undercomplete</strong> autoencoder has a code smaller than its input (here 32 numbers); an
      <strong>overcomplete</strong> one has a code as large or larger (here about 1.3 hidden units per pixel: 1,000 for 28×28 images). Nothing stops an
      overcomplete one from simply copying its input, digit or not. To see which models copy, four autoencoders of linear units are
      trained on the training digits, then given noise they never saw: each pixel taken from a random training digit, so the noise is
      bright where digits are bright but forms no shape. A model that copies rebuilds the noise; one that learned what digits have in
      common rebuilds it poorly. The sparse model pays for every non-zero code value (an L1 penalty of 0.001 on the code); the denoising one learns to
      restore digits with a fifth of their pixels set to black.</p>
    <div class="row">
      <label>Steps per model <input id="oc-steps" type="number" min="100" max="5000" step="100" value="1000" required></label>
      <button id="oc-run" class="secondary" disabled>Train all four</button>
    </div>
    <p id="oc-status" aria-live="polite">–</p>
    <div class="oc-box"><table id="oc-table" hidden>
      <caption class="sr-only">Noise and test digits (top row) with each model's reconstructions and squared errors</caption>
      <thead><tr><th scope="col">model</th><th scope="col">noise</th><th scope="col">test digits</th><th scope="col">noise error</th>
        <th scope="col">digit error</th></tr></thead><tbody></tbody></table></div>
    <p id="oc-text" aria-live="polite"></p>
  </section>`;

let ctx;
let running = false;
let size = { rows: 28, cols: 28 }; // the images as loaded (the main model may read them drawn at another size)

/** A canvas of n tiles side by side, each the data's size, drawn from data (n, rows·cols). */
function tiles(id, data, n, label) {
  const { rows, cols } = size, c = document.createElement('canvas');
  c.id = id;
  c.width = n * cols;
  c.height = rows;
  c.style.width = `${1.25 * c.width}px`;
  c.setAttribute('aria-label', label);
  drawTiles(c.getContext('2d'), data, n, 0, false, { ...ctx.ui, ...size });
  return c;
}

/** The table: the inputs, then one row per model trained so far. */
function table(rows) {
  const body = $('oc-table').tBodies[0];
  body.replaceChildren();
  const n = rows[0].showNoise.length / (size.rows * size.cols);
  for (const r of rows) {
    const tr = body.insertRow();
    tr.id = `oc-row-${r.key}`;
    const head = document.createElement('th');
    head.scope = 'row';
    // the widths and the regulariser; the whole spec (all linear, squared error) on hover
    head.innerHTML = r.key === 'input' ? 'input' : `${r.name}<br><small class="muted">${r.spec.split(/[: ]/)[0]}${r.train.l1 ? `, L1 ${r.train.l1}` : ''}${r.train.noise ? `, ${r.train.noise} ${r.train.noiseLevel}` : ''}</small>`;
    if (r.key !== 'input') head.title = r.spec;
    tr.append(head);
    const what = r.key === 'input' ? 'input' : `the ${r.name} model's reconstructions`;
    tr.insertCell().append(tiles(`oc-${r.key}-noise`, r.showNoise, n, `Noise: ${what}`));
    tr.insertCell().append(tiles(`oc-${r.key}-digits`, r.showDigits, n, ctx.say(`Test digits: ${what}`)));
    tr.insertCell().textContent = r.key === 'input' ? '–' : r.noise.toFixed(4);
    tr.insertCell().textContent = r.key === 'input' ? '–' : r.digits.toFixed(4);
    if (r.key !== 'input') Object.assign(tr.dataset, { noise: r.noise, digits: r.digits });
  }
  $('oc-table').hidden = false;
}

function stop() {
  running = false;
  $('oc-run').disabled = !ctx.ui.ready;
  if (document.activeElement === document.body) $('oc-run').focus(); // it had focus until it was disabled
}

export default {
  name: 'overcomplete',
  section: 'overcomplete-panel',
  label: 'Undercomplete or overcomplete',
  html,
  setup(c) {
    ctx = c;
    $('oc-run').addEventListener('click', () => {
      if (!$('oc-steps').checkValidity()) {
        ctx.showError(`Steps per model: 100 to 5,000 in steps of 100 (${$('oc-steps').validationMessage})`);
        return;
      }
      ctx.showError('');
      running = true;
      $('oc-run').disabled = true;
      $('oc-status').textContent = 'Training…';
      $('oc-text').textContent = '';
      delete $('oc-text').dataset.copies;
      $('oc-table').hidden = true;
      ctx.send('overcomplete', { steps: Number($('oc-steps').value) });
    });
  },
  on: {
    'overcomplete-step'(m) {
      $('oc-status').textContent = `Training the ${m.model} model (${m.index + 1} of 4): step ${m.step.toLocaleString('en')} of ${m.steps.toLocaleString('en')}…`;
    },
    overcomplete(m) {
      [size.rows, size.cols] = m.size;
      table(m.rows);
      const t = $('oc-text');
      if (!m.done) {
        $('oc-status').textContent = `Training the ${m.next} model (${m.rows.length} of 4)…`;
        return;
      }
      $('oc-status').textContent = ctx.say(`Done: four models, ${m.steps.toLocaleString('en')} steps of 32 training digits each. Squared error per pixel on ${m.rows[0].nEval} noise images and ${m.rows[0].nEval} test digits.`);
      t.textContent = ctx.say(m.text);
      t.dataset.copies = m.copies;
      stop();
    },
    'overcomplete-reset'() {
      $('oc-status').textContent = 'New data: Train all four runs it on them.';
      $('oc-text').textContent = '';
      delete $('oc-text').dataset.copies;
      $('oc-table').hidden = true;
      $('oc-table').tBodies[0].replaceChildren();
      stop();
    },
    'overcomplete-error'(m) {
      ctx.showError(m.message);
      $('oc-status').textContent = '–';
      stop();
    },
  },
  enable(ui) {
    $('oc-run').disabled = !ui.ready || running;
  },
};
