// Your own data: IDX image files (and labels), gzip or not, handed to the Worker as Files; and the built-in
// sets, MNIST and Fashion-MNIST.
import { $, dataCounts } from '../common.js';

const html = `
  <section id="data-panel" aria-labelledby="data-h">
    <h2 id="data-h">Data</h2>
    <p class="muted">Two sets are built in: MNIST (handwritten numbers) and Fashion-MNIST (clothing: ten kinds, the same
      28×28 size). Or your own images in IDX format (as MNIST, Fashion-MNIST and EMNIST are shipped), gzip-compressed or not, with an optional
      label file. The files are read in your browser and never uploaded. The last seventh of the images (at most 10,000) becomes the test set.</p>
    <div class="row">
      <label>Images (IDX) <input id="data-images" type="file" disabled></label>
      <label>Labels (optional) <input id="data-labels" type="file" disabled></label>
    </div>
    <div class="buttons">
      <button id="data-load" disabled>Use these files</button>
      <button id="data-mnist" class="secondary" disabled>MNIST</button>
      <button id="data-fashion" class="secondary" disabled>Fashion-MNIST</button>
    </div>
    <p id="data-status" aria-live="polite">–</p>
  </section>`;

let ctx;

function loadData() {
  const img = $('data-images').files[0];
  if (!img) {
    ctx.showError('Choose an IDX image file first.');
    return;
  }
  ctx.showError('');
  const lab = $('data-labels').files[0];
  $('data-status').textContent = `Reading ${img.name}…`;
  // the Files, not their bytes: the Worker reads them as a stream and refuses one that is too large or
  // inflates too far before holding it, so a huge file or a gzip bomb never fills this thread's memory
  ctx.send('loadData', { images: img, labels: lab ?? null, imagesName: img.name, labelsName: lab?.name ?? null });
}

export default {
  name: 'data',
  section: 'data-panel',
  label: 'Data',
  html,
  setup(c) {
    ctx = c;
    $('data-load').addEventListener('click', () => {
      try { loadData(); } catch (e) { ctx.showError(e.message); }
    });
    for (const [id, set, name] of [['data-mnist', 'mnist', 'MNIST'], ['data-fashion', 'fashion', 'Fashion-MNIST']]) {
      $(id).addEventListener('click', () => { ctx.showError(''); $('data-status').textContent = `Loading ${name}…`; ctx.send('useBuiltin', { set }); });
    }
  },
  on: {
    data(m) {
      $('data-status').textContent = `Training on ${m.name}: ${dataCounts(m)}.${m.keptModel ? ' The current model was kept: see how it does on this data, or Reset to train afresh.' : ''}`;
    },
    error(m) {
      if (ctx.ui.ready && /^Could not use/.test(m.message)) $('data-status').textContent = 'Those files were not loaded; the current data and model are unchanged.';
    },
  },
  enable(ui) {
    for (const id of ['data-images', 'data-labels', 'data-load', 'data-mnist', 'data-fashion']) $(id).disabled = !ui.ready || ui.running;
  },
};
