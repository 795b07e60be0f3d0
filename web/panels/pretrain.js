// Autoencoders as pretraining: the lecture's last part as a walkthrough. The Worker (worker/pretrain.js)
// trains one classifier three ways from the same random weights and on the same few labels: greedy
// layer-wise pretraining then two supervised steps, the random-init baseline beside those two steps, and
// end-to-end pretraining; this panel shows the steps in the lecture's order with what each does and why,
// the live view of the step under way, a table and a chart of accuracies, and each layer's gradient.
import { $, drawTiles } from '../common.js';

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
    <p id="pt-status" aria-live="polite">The network is 784 → 256 → 128 → 10. Run goes through every step; Step runs one.</p>
    <ol id="pt-steps" class="pt-steps"></ol>
    <p id="pt-why"></p>
    <div class="row">
      <figure><canvas id="pt-recon" width="224" height="56" aria-label="Test digits above their reconstructions by the step under way"></canvas>
        <figcaption id="pt-recon-cap">Reconstructions</figcaption></figure>
      <figure><img id="pt-filters" alt="The first layer's filters" width="256"><figcaption>Layer 1's filters: each unit's weights as an image</figcaption></figure>
    </div>
    <p id="pt-frozen" aria-live="polite"></p>
    <table id="pt-table"><thead><tr><th>recipe</th><th>test accuracy, top layer only</th><th>after fine-tuning</th>
      <th>accuracy on its labels</th><th>gap</th></tr></thead><tbody></tbody></table>
    <canvas id="pt-chart" width="480" height="200" aria-label="Test accuracy per supervised epoch: greedy, end to end, baseline"></canvas>
    <p class="legend"><span style="color:#1c7ed6">■ greedy pretraining</span> <span style="color:#2f9e44">■ end to end</span>
      <span style="color:#e8590c">■ random init</span> solid: test, dashed: its labelled images</p>
    <p id="pt-grads"></p>
    <details><summary>Why does pretraining help? The lecture's three reasons</summary>
      <ol><li><b>Gradients.</b> In a deep sigmoid network trained from random weights the gradient fades on its way down,
        so the lower layers hardly learn; pretrained layers start where useful features are. Compare each layer's gradient
        above, random init against pretrained.</li>
      <li><b>Few labels.</b> A deep network can remember a small labelled set (high accuracy on its labels, lower on test
        images); features learned from all the unlabelled images regularise it. See the gap column.</li>
      <li><b>Accuracy.</b> In the end what counts is the test accuracy. With ReLU units, Adam and many labels the baseline
        often catches up: that is why pretraining went out of use, and why it matters more in the historical setting and with
        few labels. The table reports what this run shows.</li></ol></details>
  </section>`;

const COLOURS = { greedy: '#1c7ed6', e2e: '#2f9e44', none: '#e8590c' };
const NAMES = { greedy: 'greedy layer-wise', e2e: 'end to end', none: 'random init (baseline)' };
/** What each kind of step does and why, in the lecture's words. */
function why(step, k) {
  if (step.recipe === 'greedy' && step.phase === 0) return 'Layer 1 is trained as a shallow autoencoder on the images alone, no labels: it must squeeze each digit into its code and rebuild it. Its filters become strokes and blobs: features that are useful whatever the labels turn out to be.';
  if (step.recipe === 'greedy' && step.phase < k) return `Layer ${step.phase + 1} is an autoencoder too, but its data is layer ${step.phase}'s codes of the images: it learns features of features. The reconstructions shown are of those codes, taken back to pixels through the decoders of the layers below.`;
  if (step.phase === k && step.recipe === 'greedy') return 'Now the labels: only the last (softmax) layer learns, on top of the pretrained encoder, which stays frozen (its weights do not move; checked below). Beside it, the same network trains every layer from random weights for as many batches.';
  if (step.recipe === 'greedy') return 'Fine-tuning: every layer learns from the labels by backpropagation, starting from the pretrained weights. The baseline goes on training beside it.';
  if (step.phase === 0) return 'The other branch: the whole deep autoencoder (encoder and a mirrored decoder) is trained at once on the images, end to end; its encoder then initialises the classifier.';
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

function render(m) {
  last = m;
  const k = m.runs.greedy.sizes.length - 2;
  const list = $('pt-steps');
  list.replaceChildren(...m.steps.map((s, i) => {
    const li = document.createElement('li');
    const r = m.runs[s.recipe];
    const state = i < m.at ? 'done' : i === m.at ? (m.running ? 'running' : 'next') : 'waiting';
    li.className = `pt-${state}`;
    li.dataset.state = state;
    const acc = r.acc[s.phase];
    const side = s.recipe === 'greedy' && s.phase >= k ? m.runs.none.acc[s.phase - k] : null;
    let note = '';
    if (i === m.at && m.running) note = ` (epoch ${r.epoch + 1} of ${r.epochs})`;
    if (acc) note += ` test accuracy ${pct(acc.test)}${side ? `, baseline ${pct(side.test)}` : ''}`;
    li.textContent = `${s.name}${note}`;
    return li;
  }));
  const cur = m.steps[Math.min(m.at, m.steps.length - 1)];
  $('pt-why').textContent = m.at >= m.steps.length ? 'Every step is done. Replay runs it again from the same random weights (the same seed gives the same numbers).' : why(cur, k);
  $('pt-status').textContent = `${m.sizes.replace(/-/g, ' → ')}, ${m.setting === 'modern' ? 'ReLU units and Adam' : 'sigmoid units and plain SGD'}, `
    + `${m.cfg.labelsPerClass ? `${m.cfg.labelsPerClass} labels per class` : 'every label'}: step ${Math.min(m.at + 1, m.steps.length)} of ${m.steps.length}`
    + `${m.running ? ', running' : m.at >= m.steps.length ? ', finished' : ', paused'}.`;
  // live view
  const { rows, cols, n } = m;
  const c = $('pt-recon');
  c.width = n * cols;
  c.height = 2 * rows;
  const g = c.getContext('2d');
  drawTiles(g, m.showX, n, 0, false, { rows, cols });
  if (m.recon) drawTiles(g, m.recon, n, rows, false, { rows, cols });
  else g.clearRect(0, rows, c.width, rows);
  $('pt-recon-cap').textContent = m.recon ? `Test digits above their reconstructions by the ${NAMES[m.view.recipe]} stack` : m.reconNote;
  if (m.filters) {
    const old = $('pt-filters').src;
    $('pt-filters').src = URL.createObjectURL(new Blob([m.filters], { type: 'image/png' }));
    if (old.startsWith('blob:')) URL.revokeObjectURL(old);
  }
  $('pt-frozen').textContent = m.frozen ? `While the top layer trained, the pretrained encoder's weights ${m.frozen.moved ? 'moved: something is wrong' : 'stayed exactly as they were, bit for bit'}.` : '';
  $('pt-frozen').dataset.moved = m.frozen ? String(m.frozen.moved) : '';
  // the table: accuracy after the top layer's phase and after fine-tuning, the labelled set's, the gap
  const rowsHtml = Object.entries(m.runs).map(([name, r]) => {
    const top = name === 'greedy' ? k : name === 'e2e' ? 1 : 0;
    const a1 = r.acc[top], a2 = r.acc[top + 1];
    const lastAcc = a2 ?? a1;
    const gap = lastAcc && !Number.isNaN(lastAcc.train) ? lastAcc.train - lastAcc.test : NaN;
    return `<tr data-recipe="${name}"><td style="color:${COLOURS[name]}">${NAMES[name]}</td><td>${pct(a1?.test)}</td><td>${pct(a2?.test)}</td>`
      + `<td>${pct(lastAcc?.train)}</td><td>${Number.isNaN(gap) ? '–' : `${(100 * gap).toFixed(1)} points`}</td></tr>`;
  });
  $('pt-table').tBodies[0].innerHTML = rowsHtml.join('');
  drawChart(m);
  const gr = (name) => m.runs[name].grads;
  $('pt-grads').textContent = gr('greedy') || gr('none')
    ? `Gradient size per layer (‖∂loss/∂W‖, first layer first) at the last supervised batch: pretrained ${gr('greedy') ? gr('greedy').map((v) => v.toPrecision(2)).join(', ') : '–'}; `
      + `random init ${gr('none') ? gr('none').map((v) => v.toPrecision(2)).join(', ') : '–'}.`
    : '';
  setButtons();
}

function setButtons() {
  const ready = ctx.ui.ready && labelled;
  const running = !!last?.running;
  $('pt-run').disabled = !ready || running;
  $('pt-step').disabled = !ready || running;
  $('pt-pause').disabled = !running;
  $('pt-replay').disabled = !ready || !last;
  $('pt-run').textContent = last && !running && last.at > 0 && last.at < last.steps.length ? 'Resume' : 'Run';
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
    for (const id of ['pt-setting', 'pt-labels']) $(id).addEventListener('change', () => ctx.writeHash());
  },
  on: {
    data(m) {
      labelled = !!m.labelled;
      if (!labelled) $('pt-status').textContent = 'The walkthrough trains a classifier, so it needs labelled images: load MNIST or images with labels.';
      setButtons();
    },
    pretrain(m) {
      render(m);
    },
    'pretrain-error'(m) {
      ctx.showError(m.message);
    },
    'pretrain-reset'() {
      last = null;
      $('pt-steps').replaceChildren();
      $('pt-table').tBodies[0].innerHTML = '';
      setButtons();
    },
  },
  enable() {
    setButtons();
  },
};
