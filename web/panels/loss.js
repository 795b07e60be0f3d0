// The loss chart (uPlot: one point per chunk of training, the test loss where an epoch ends) and the run's
// numbers under the form: epoch, step, losses, samples per second and the time left. Samples/s is the
// engine's: samples over the time spent in training steps. The time left is from the page's clock since
// the run last started: the test pass at each epoch's end and the pictures the panels ask for between
// chunks take time too (for W3 about a sixth), and a time left from the steps alone ran short by that.
import uPlot from '../vendor/uPlot.esm.js';
import { $ } from '../common.js';

const html = `
  <section id="curves" aria-labelledby="curves-h">
    <h2 id="curves-h">Reconstruction error</h2>
    <div id="chart" role="img" aria-label="Training and test loss over training steps"></div>
  </section>`;

let ctx;
let chart = null;
let lastDraw = 0;
let since = null; // { t, step }: when and at which step the run last started or resumed; null while it stands

const readEpochs = () => Number($('epochs').value) || 1;

/** Whole seconds, then minutes and seconds: 119.6 s is 2 min 0 s (rounding the seconds alone said 1 min 60 s). */
export function fmtTime(s) {
  if (!Number.isFinite(s)) return '–';
  const t = Math.round(s);
  return t < 60 ? `${t} s` : `${Math.floor(t / 60)} min ${t % 60} s`;
}

function makeChart() {
  const el = $('chart');
  chart = new uPlot({
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
}

/** Redraw at most every 250 ms while training, unless forced (a pause, a test loss, a restore). */
function drawChart(force) {
  const now = performance.now();
  if (!force && now - lastDraw < 250) return;
  lastDraw = now;
  const { ui } = ctx;
  chart.setData([ui.steps, ui.train, ui.test]);
  $('chart').dataset.points = String(ui.steps.length);
}

function resetCurves() {
  Object.assign(ctx.ui, { steps: [], train: [], test: [], samples: 0, ms: 0 });
  since = null;
  // a chart made afresh: uPlot given no data keeps the last run's step axis and grid and drops the loss axis
  chart.destroy();
  makeChart();
  for (const id of ['n-epoch', 'n-loss', 'n-test', 'n-speed', 'n-eta']) $(id).textContent = '–';
  $('n-step').textContent = '0';
}

export default {
  name: 'loss',
  section: 'curves',
  label: 'Loss',
  html,
  setup(c) {
    ctx = c;
    makeChart();
    const el = $('chart');
    new ResizeObserver(() => chart.setSize({ width: Math.max(280, el.clientWidth), height: 240 })).observe(el);
  },
  on: {
    model() {
      resetCurves();
    },
    progress(m) {
      const { ui } = ctx;
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
      // the page's clock once a second has passed since the run started; until then the steps' own time
      const now = performance.now();
      const msPerStep = since && now - since.t >= 1000 && m.step > since.step
        ? (now - since.t) / (m.step - since.step) : ui.ms / Math.max(1, m.step);
      $('n-eta').textContent = fmtTime(((readEpochs() * m.stepsPerEpoch - m.step) * msPerStep) / 1000);
      drawChart(false);
    },
    test(m) {
      const { ui } = ctx;
      $('n-test').textContent = m.loss.toFixed(4);
      if (!ui.steps.length) { // a loaded model: its test loss is the curve's first point
        ui.steps.push(0);
        ui.train.push(null);
        ui.test.push(m.loss);
      } else ui.test[ui.test.length - 1] = m.loss;
      drawChart(true);
    },
    state(m) {
      since = m.running ? { t: performance.now(), step: Number($('n-step').textContent) || 0 } : null;
      if (m.finished) $('n-eta').textContent = m.stopped ? 'stopped' : 'done';
      drawChart(true);
    },
    diverged(m) {
      $('n-step').textContent = String(m.step);
    },
    /** A kept run: its curves and numbers as they were (the form, filled first, gives its epochs). */
    restored(m) {
      const h = m.history;
      Object.assign(ctx.ui, { steps: h.steps, train: h.train, test: h.test, samples: h.samples, ms: h.ms });
      const last = (a) => a.findLast((v) => v !== null)?.toFixed(4) ?? '–';
      $('n-step').textContent = String(m.step);
      $('n-epoch').textContent = m.step ? `${Math.ceil(m.step / m.stepsPerEpoch)} of ${readEpochs()}` : '–';
      $('n-loss').textContent = last(h.train);
      $('n-test').textContent = last(h.test);
      $('n-eta').textContent = m.finished ? (m.step >= readEpochs() * m.stepsPerEpoch ? 'done' : 'stopped') : '–';
      drawChart(true);
    },
  },
};
