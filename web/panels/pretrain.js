// Autoencoders as pretraining: the lecture's last part as a walkthrough. The Worker (worker/pretrain.js)
// trains one classifier three ways from the same random weights and on the same few labels: greedy
// layer-wise pretraining then two supervised steps, the random-init baseline beside those two steps, and
// end-to-end pretraining; this panel shows the steps in the lecture's order with what each does and why,
// the live view of the step under way, a table and a chart of accuracies, and each layer's gradient.
import { $, drawTiles } from '../common.js';

// what the panel says until a walkthrough has run (again after new data that nothing has run on)
const START = 'The network: the image, 256 and 128 hidden units, one output per class. Run goes through every step; Step runs one.';

const html = `
  <section id="pretrain-panel" aria-labelledby="pretrain-h">
    <h2 id="pretrain-h">Autoencoders as pretraining</h2>
    <p class="muted">Before 2010 a deep network trained from random weights often learned badly. The fix was to train it one
      layer at a time as autoencoders, on images without labels: layer 1 learns to reconstruct the images, layer 2 to
      reconstruct layer 1's codes, and so on (greedy layer-wise pretraining). Then the last layer learns the labels on top
      of the frozen encoder, and finally the whole network is fine-tuned by backpropagation. Below, the same network
      also trains from random weights on the same labels (the baseline), and a second branch pretrains it as one deep
      autoencoder, end to end.</p>
    <div class="row">
      <label>Setting <select id="pt-setting">
        <option value="modern">modern: ReLU units, Adam</option>
        <option value="historical">historical: sigmoid units, plain SGD</option></select></label>
      <label>Labels <select id="pt-labels">
        <option value="few">few: 100 per class (1,000)</option>
        <option value="all">all of them</option></select></label>
      <button id="pt-run" disabled>Run</button>
      <button id="pt-step" class="secondary" disabled>Step</button>
      <button id="pt-pause" class="secondary" disabled>Pause</button>
      <button id="pt-replay" class="secondary" disabled>Replay</button>
    </div>
    <p id="pt-status" aria-live="polite">${START}</p>
    <ol id="pt-steps" class="pt-steps"></ol>
    <p id="pt-why"></p>
    <div id="pt-results" hidden>
    <div class="row">
      <figure><canvas id="pt-recon" width="224" height="56" aria-label="Test digits above their reconstructions by the step under way"></canvas>
        <figcaption id="pt-recon-cap">Reconstructions</figcaption></figure>
      <figure><img id="pt-filters" alt="The first layer's filters" width="448"><figcaption id="pt-filters-cap">First-layer filters</figcaption></figure>
    </div>
    <p id="pt-frozen" aria-live="polite"></p>
    <div class="pt-table-box"><table id="pt-table"><thead><tr><th>recipe</th><th>test accuracy after its top-layer step</th>
      <th>at the end</th><th>on its labelled images</th><th>gap</th></tr></thead><tbody></tbody></table></div>
    <p class="muted">After the top-layer step (<span class="pt-top-step">3</span> for greedy, <span id="pt-e2e-step">6</span> for end to end) the pretrained networks have
      trained only their top layer on the labels; the baseline's number is at the end of step <span class="pt-top-step">3</span>, every layer
      trained for as many batches. The gap is the accuracy on the labelled training images
      minus the test accuracy (with few labels).</p>
    <canvas id="pt-chart" width="480" height="200" aria-label="Test accuracy per supervised epoch: greedy, end to end, baseline"></canvas>
    <p class="legend"><span style="color:#1c7ed6">■ greedy pretraining</span> <span style="color:#2f9e44">■ end to end</span>
      <span style="color:#e8590c">■ random init</span> solid: test, dashed: its labelled images</p>
    <p id="pt-grads"></p>
    </div>
    <details><summary>Why does pretraining help? The lecture's three reasons</summary>
      <ol><li><b>Gradients.</b> In a deep sigmoid network trained from random weights the gradient fades on its way down,
        so the lower layers hardly learn; pretrained layers start where useful features are. Compare each layer's gradient
        above, random init against pretrained.</li>
      <li><b>Few labels.</b> A deep network can remember a small labelled set (high accuracy on its labels, lower on test
        images); features learned from all the unlabelled images regularise it. See the gap column.</li>
      <li><b>Accuracy.</b> In the end what counts is the test accuracy. In the 2006–2010 papers (sigmoid units, plain SGD,
        deeper networks, longer training) pretraining lowered the test error; with ReLU units, Adam and many labels the
        baseline catches up, which is why pretraining went out of use. This short walkthrough's differences are small, in
        either direction: the table reports what this run shows, and docs/experiments.md has full-length runs.</li></ol></details>
  </section>`;

const COLOURS = { greedy: '#1c7ed6', e2e: '#2f9e44', none: '#e8590c' };
const NAMES = { greedy: 'greedy layer-wise', e2e: 'end to end', none: 'random init (baseline)' };
/** What each kind of step does and why, in the lecture's words. */
function why(step, k) {
  if (step.recipe === 'greedy' && step.phase === 0) return 'Layer 1 is trained as a shallow autoencoder on the images alone, no labels: it must squeeze each digit into its code and rebuild it. Its filters (each unit\'s weights as an image) learn parts of the digits: features that are useful whatever the labels turn out to be.';
  if (step.recipe === 'greedy' && step.phase < k) return `Layer ${step.phase + 1} is an autoencoder too, but its data is layer ${step.phase}'s codes of the images: it learns features of features. The reconstructions shown are of those codes, taken back to pixels through the decoders of the layers below.`;
  if (step.phase === k && step.recipe === 'greedy') return 'Now the labels: only the last (softmax) layer learns, on top of the pretrained encoder, which stays frozen (its weights do not move; checked below). Beside it, the same network trains every layer from random weights for as many batches.';
  if (step.recipe === 'greedy') return 'Fine-tuning: every layer learns from the labels by backpropagation, starting from the pretrained weights. The baseline goes on training beside it.';
  if (step.phase === 0) return 'The other branch: the whole deep autoencoder (encoder and a mirrored decoder) is trained at once on the images, end to end; its encoder then initialises the classifier. With sigmoid units and plain SGD a deep autoencoder hardly leaves the average image in one epoch (its reconstructions all look alike): the difficulty that made greedy layer-wise training attractive.';
  return step.phase === 1 ? 'As before: the softmax layer on the labels, the end-to-end pretrained encoder frozen.' : 'And fine-tuning every layer.';
}

let ctx;
let last = null;
let labelled = true; // the loaded data has labels (a classifier needs them)
const pct = (x) => (x === undefined || Number.isNaN(x) ? '–' : `${(100 * x).toFixed(1)}%`);

function send(extra = {}) {
  ctx.send('pretrain-run', { setting: $('pt-setting').value, labels: $('pt-labels').value, ...extra });
}

function drawChart(m) {
  const c = $('pt-chart'), g = c.getContext('2d');
  const W = c.width, H = c.height, pad = 28;
  g.clearRect(0, 0, W, H);
  const len = Math.max(2, ...Object.values(m.runs).map((r) => r.curve.length));
  const x = (i) => pad + ((W - pad - 6) * (i - 1)) / (len - 1), y = (a) => H - pad - (H - pad - 6) * a;
  g.strokeStyle = '#ccc';
  g.fillStyle = '#666';
  g.font = '11px system-ui, sans-serif';
  for (const a of [0, 0.5, 1]) {
    g.beginPath();
    g.moveTo(pad, y(a));
    g.lineTo(W - 6, y(a));
    g.stroke();
    g.fillText(`${a * 100}%`, 0, y(a) + 4);
  }
  g.fillText('supervised epochs →', W - 120, H - 8);
  for (const [name, r] of Object.entries(m.runs)) {
    for (const [col, dash] of [[1, []], [2, [4, 3]]]) {
      const pts = r.curve.filter((p) => !Number.isNaN(p[col]));
      if (!pts.length) continue;
      g.strokeStyle = COLOURS[name];
      g.setLineDash(dash);
      g.beginPath();
      pts.forEach((p, i) => (i ? g.lineTo(x(p[0]), y(p[col])) : g.moveTo(x(p[0]), y(p[col]))));
      g.stroke();
    }
  }
  g.setLineDash([]);
}

/** The menus' choices differ from those of the walkthrough on screen: Run would start a new one. */
const changed = () => !!last && (last.setting !== $('pt-setting').value || last.labels !== $('pt-labels').value);

/** "0.012, 0.034, frozen" for one step's mean gradient norms, layers below frozenBelow marked frozen */
const gradText = (g) => (g ? g.mean.map((v, l) => (l < g.frozenBelow ? 'frozen' : v.toPrecision(2))).join(', ') : '–');

function render(m) {
  last = m;
  const k = m.runs.greedy.sizes.length - 2, top = k; // the greedy run's top-layer step is step k (0-based)
  $('pt-results').hidden = false;
  for (const el of document.querySelectorAll('.pt-top-step')) el.textContent = String(top + 1);
  $('pt-e2e-step').textContent = String(m.steps.findIndex((s) => s.recipe === 'e2e' && s.phase === 1) + 1);
  const list = $('pt-steps');
  list.replaceChildren(...m.steps.map((s, i) => {
    const li = document.createElement('li');
    const r = m.runs[s.recipe];
    const state = i < m.at ? 'done' : i === m.at ? (m.running ? 'running' : 'next') : 'waiting';
    li.className = `pt-${state}`;
    li.dataset.state = state;
    const acc = r.atStep[i];
    const side = s.recipe === 'greedy' && s.phase >= k ? m.runs.none.atStep[i] : null;
    let note = '';
    if (i === m.at && m.running) note = ` (epoch ${r.epoch + 1} of ${r.epochs})`;
    if (acc && (i < m.at || m.running)) note += `: test accuracy ${pct(acc.test)}${side ? `, baseline ${pct(side.test)}` : ''}`;
    li.textContent = `${s.name}${note}`;
    return li;
  }));
  const cur = m.steps[Math.min(m.at, m.steps.length - 1)];
  $('pt-why').textContent = m.at >= m.steps.length ? 'Every step is done. Replay runs it again from the same random weights (the same seed gives the same numbers).' : why(cur, k);
  status();
  // the live view (sent at most a few times a second while it runs)
  if (m.views) {
    const { rows, cols, n } = m;
    const c = $('pt-recon');
    c.width = n * cols;
    c.height = 2 * rows;
    const g = c.getContext('2d');
    drawTiles(g, m.showX, n, 0, false, { rows, cols });
    if (m.recon) drawTiles(g, m.recon, n, rows, false, { rows, cols });
    else g.clearRect(0, rows, c.width, rows);
    const level = m.view.recipe === 'greedy' && m.view.phase < k
      ? `layer ${m.view.phase + 1}'s ${m.view.done ? 'pretrained ' : ''}autoencoder${m.view.phase ? ' and the decoders below it' : ''}`
      : `the ${NAMES[m.view.recipe]} encoder and its decoder`;
    $('pt-recon-cap').textContent = m.recon ? `Test images above their reconstructions by ${level}` : m.reconNote;
    if (m.filters) {
      const old = $('pt-filters').src;
      $('pt-filters').src = URL.createObjectURL(new Blob([m.filters], { type: 'image/png' }));
      if (old.startsWith('blob:')) URL.revokeObjectURL(old);
      $('pt-filters-cap').textContent = `First-layer filters of the ${NAMES[m.view.recipe]} network: each unit's weights as an image`;
    }
  }
  $('pt-frozen').textContent = m.frozen ? `While the top layer trained, the pretrained encoder's weights and biases ${m.frozen.moved ? 'moved: something is wrong' : 'stayed exactly as they were, bit for bit'}.` : '';
  $('pt-frozen').dataset.moved = m.frozen ? String(m.frozen.moved) : '';
  // the table: each recipe's test accuracy at the end of its first supervised step (the baseline: at the same
  // budget, the greedy run's step k) and at the end, with the labelled set's accuracy and the gap
  const firstSup = { greedy: top, none: top, e2e: m.steps.findIndex((s) => s.recipe === 'e2e' && s.phase === 1) };
  const lastSup = { greedy: top + 1, none: top + 1, e2e: m.steps.length - 1 };
  $('pt-table').tBodies[0].innerHTML = Object.entries(m.runs).map(([name, r]) => {
    const a1 = r.atStep[firstSup[name]], a2 = r.atStep[lastSup[name]];
    const lastAcc = a2 ?? a1;
    const gap = lastAcc && !Number.isNaN(lastAcc.train) ? lastAcc.train - lastAcc.test : NaN;
    return `<tr data-recipe="${name}"><td style="color:${COLOURS[name]}">${NAMES[name]}</td><td>${pct(a1?.test)}</td><td>${pct(a2?.test)}</td>`
      + `<td>${pct(lastAcc?.train)}</td><td>${Number.isNaN(gap) ? '–' : `${(100 * gap).toFixed(1)} pts`}</td></tr>`;
  }).join('');
  drawChart(m);
  // the gradients: means per layer over the batches of the top-layer step and of fine-tuning, pretrained
  // against the baseline over the same batches
  const gs = [top, top + 1].filter((i) => m.runs.greedy.grads[i] || m.runs.none.grads[i]);
  $('pt-grads').textContent = gs.length
    ? `Mean gradient size per layer (‖∂loss/∂W‖, first layer first; sampled a few times a second, both networks after the same numbers of batches):\n${gs.map((i) => `during step ${i + 1}: pretrained ${gradText(m.runs.greedy.grads[i])}; random init ${gradText(m.runs.none.grads[i])}`).join('\n')}`
    : '';
  setButtons();
}

function status() {
  const m = last;
  if (!m) return;
  let t = `${m.sizes.replace(/-/g, ' → ')}, ${m.setting === 'modern' ? 'ReLU units and Adam' : 'sigmoid units and plain SGD'}, `
    + `${m.cfg.labelsPerClass ? `${m.cfg.labelsPerClass} labels per class` : 'every label'}: step ${Math.min(m.at + 1, m.steps.length)} of ${m.steps.length}`
    + `${m.running ? ', running' : m.at >= m.steps.length ? ', finished' : ', paused'}.`;
  if (!m.running && changed()) t += ' The settings above have changed: Run starts a new walkthrough with them.';
  $('pt-status').textContent = t;
}

function setButtons() {
  // the main run and the walkthrough share the Worker: one at a time (Start above pauses the walkthrough)
  const ready = ctx.ui.ready && labelled && !ctx.ui.running;
  const running = !!last?.running;
  $('pt-run').disabled = !ready || running;
  $('pt-step').disabled = !ready || running;
  $('pt-pause').disabled = !running;
  $('pt-replay').disabled = !ready || !last || running;
  $('pt-run').title = ctx.ui.running ? 'Pause the training run above first' : '';
  // the menus describe the run on screen: fixed while it runs
  $('pt-setting').disabled = $('pt-labels').disabled = running;
  const started = !!last && last.runs.greedy.step > 0 && last.at < last.steps.length;
  $('pt-run').textContent = started && !running && !changed() ? 'Resume' : 'Run';
}

export default {
  name: 'pretrain',
  section: 'pretrain-panel',
  label: 'Pretraining',
  html,
  setup(c) {
    ctx = c;
    $('pt-run').addEventListener('click', () => send());
    $('pt-step').addEventListener('click', () => send({ step: true }));
    $('pt-pause').addEventListener('click', () => ctx.send('pretrain-pause'));
    $('pt-replay').addEventListener('click', () => send({ replay: true }));
    for (const id of ['pt-setting', 'pt-labels']) {
      $(id).addEventListener('change', () => {
        ctx.writeHash();
        status();
        setButtons();
      });
    }
  },
  on: {
    data(m) {
      labelled = !!m.labelled;
      setButtons();
    },
    pretrain(m) {
      render(m);
    },
    'pretrain-error'(m) {
      ctx.showError(m.message);
    },
    'pretrain-reset'(m) {
      const ran = last !== null; // a walkthrough on the old data: say that this is new data
      last = null;
      labelled = m.labelled;
      $('pt-steps').replaceChildren();
      $('pt-why').textContent = '';
      $('pt-results').hidden = true;
      $('pt-status').textContent = !labelled
        ? 'The walkthrough trains a classifier, so it needs labelled images: load MNIST, Fashion-MNIST or images with labels.'
        : ran ? 'New data: Run starts the walkthrough on it.' : START;
      setButtons();
    },
  },
  enable() {
    setButtons();
  },
};
