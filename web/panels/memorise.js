// Memorising: the Worker (worker/memorise.js) trains a 784-256-784 autoencoder on a few hundred training
// images for hundreds of epochs; this panel draws its loss on those images and on test images, marks where
// the test loss was lowest, and says what the curves show.
import { $ } from '../common.js';

const html = `
  <section id="memorise-panel" aria-labelledby="memorise-h">
    <h2 id="memorise-h">Sensitive, not memorising</h2>
    <p class="muted">The ideal autoencoder is sensitive enough to its inputs to rebuild them accurately, and insensitive enough
      not to simply memorise or overfit its training data. Give a 784-256-784 autoencoder only a few hundred training
      digits and many epochs: its loss on those digits keeps falling, while its loss on digits it has never seen stops
      falling and turns up. It is learning those particular digits by heart, not what digits look like.</p>
    <div class="row">
      <label>Training digits <input id="memorise-n" type="number" min="10" max="1000" value="300" required></label>
      <label>Epochs <input id="memorise-epochs" type="number" min="10" max="1000" step="5" value="300" required></label>
      <button id="memorise-run" class="secondary" disabled>Train</button>
    </div>
    <canvas id="memorise-chart" width="480" height="220" aria-label="Training and test loss per epoch of an autoencoder trained on a few hundred digits"></canvas>
    <p class="legend"><span style="color:#1c7ed6">■ loss on its training digits</span> <span style="color:#e8590c">■ loss on 1,000 test digits</span></p>
    <p id="memorise-text" aria-live="polite">–</p>
  </section>`;

let ctx;
let running = false;

function draw(m) {
  const c = $('memorise-chart'), g = c.getContext('2d');
  const W = c.width, H = c.height, pad = 34;
  g.clearRect(0, 0, W, H);
  const all = m.points.flatMap((p) => [p[1], p[2]]);
  const lo = Math.min(...all), hi = Math.max(...all);
  const x = (e) => pad + ((W - pad - 8) * e) / m.epochs, y = (v) => H - 20 - ((H - 28) * (v - lo)) / (hi - lo || 1);
  g.fillStyle = '#666';
  g.font = '11px system-ui, sans-serif';
  g.fillText(hi.toFixed(3), 0, 12);
  g.fillText(lo.toFixed(3), 0, H - 20);
  g.fillText('epochs →', W - 60, H - 4);
  for (const [col, colour] of [[1, '#1c7ed6'], [2, '#e8590c']]) {
    g.strokeStyle = colour;
    g.beginPath();
    m.points.forEach((p, i) => (i ? g.lineTo(x(p[0]), y(p[col])) : g.moveTo(x(p[0]), y(p[col]))));
    g.stroke();
  }
  g.strokeStyle = '#999';
  g.setLineDash([3, 3]);
  g.beginPath();
  g.moveTo(x(m.best[0]), 4);
  g.lineTo(x(m.best[0]), H - 20);
  g.stroke();
  g.setLineDash([]);
}

export default {
  name: 'memorise',
  section: 'memorise-panel',
  label: 'Memorising',
  html,
  setup(c) {
    ctx = c;
    $('memorise-run').addEventListener('click', () => {
      const bad = ['memorise-n', 'memorise-epochs'].find((id) => !$(id).checkValidity());
      if (bad) {
        ctx.showError(`Training digits: 10 to 1,000; epochs: 10 to 1,000 in steps of 5 (${$(bad).validationMessage})`);
        return;
      }
      ctx.showError('');
      running = true;
      $('memorise-run').disabled = true;
      $('memorise-text').textContent = 'Training…';
      ctx.send('memorise', { n: Number($('memorise-n').value) || 300, epochs: Number($('memorise-epochs').value) || 300 });
    });
  },
  on: {
    memorise(m) {
      draw(m);
      const last = m.points.at(-1), t = $('memorise-text');
      const up = last[2] - m.best[2];
      t.textContent = `${m.spec} on ${m.n} training ${ctx.say('digits')}, epoch ${last[0]} of ${m.epochs}: training loss ${last[1].toFixed(4)}, test loss ${last[2].toFixed(4)}. `
        + `The test loss was lowest at epoch ${m.best[0]} (${m.best[2].toFixed(4)})`
        + (m.done ? (up > 0 ? `; since then it rose by ${up.toFixed(4)} while the training loss fell by ${(m.points.find((p) => p[0] === m.best[0])[1] - last[1]).toFixed(4)}: memorising.` : ': no memorising showed in this run.') : '.');
      Object.assign(t.dataset, { best: m.best[2], last: last[2], bestTrain: m.points.find((p) => p[0] === m.best[0])[1], lastTrain: last[1], done: m.done });
      if (m.done) {
        running = false;
        $('memorise-run').disabled = !ctx.ui.ready;
        if (document.activeElement === document.body) $('memorise-run').focus(); // it had focus until it was disabled
      }
    },
    'memorise-reset'() {
      running = false;
      $('memorise-text').textContent = 'New data: Train runs it on them.';
      $('memorise-chart').getContext('2d').clearRect(0, 0, 480, 220);
      $('memorise-run').disabled = !ctx.ui.ready;
    },
    'memorise-error'(m) {
      running = false;
      ctx.showError(m.message);
      $('memorise-text').textContent = '–';
      $('memorise-run').disabled = !ctx.ui.ready;
    },
  },
  enable(ui) {
    $('memorise-run').disabled = !ui.ready || running;
  },
};
