// Corrupt and restore: test images, a corrupted copy (the kind and level chosen here) and what the current
// model makes of it, with the errors against the clean images; optionally a kept model's attempt beside it.
import { $, drawTiles, fillNames } from '../common.js';

const html = `
  <section id="noise-panel" aria-labelledby="noise-h">
    <h2 id="noise-h">Corrupt and restore</h2>
    <p class="muted">Corrupt test digits and see what the current model makes of them. A <strong>denoising</strong> autoencoder
      (preset, or any model trained with noise) is trained to map corrupted digits back to clean ones; fresh noise is drawn for every batch.
      For a model trained with noise, the panel starts at that noise.</p>
    <div class="row">
      <label>Corruption <select id="demo-kind"></select></label>
      <label>Level <input id="demo-level" type="range" min="0" max="1" step="0.05" value="0.5" aria-describedby="demo-level-text"></label>
      <output id="demo-level-text" for="demo-level">0.50</output>
    </div>
    <canvas id="demo" width="224" height="84" aria-label="Clean, corrupted and reconstructed test digits"></canvas>
    <p id="demo-numbers" aria-live="polite">–</p>
    <p id="demo-why" class="muted" hidden>Two measures, because they can disagree. Squared error is small for an output that is black
      wherever most pixels are black, so a model that erases what is drawn can score well on it, most of all under salt-and-pepper noise.
      Cross-entropy (the training loss, per pixel) punishes a confident black where the clean image is bright, so it favours the model
      that keeps what is drawn.</p>
    <div class="buttons"><button id="pin" class="secondary" disabled>Keep this model for comparison</button>
      <button id="unpin" class="secondary" hidden>Stop comparing</button></div>
    <p class="muted" id="pin-note">To compare a plain and a denoising autoencoder on the same corrupted digits: train the "Plain twin of
      Denoising" preset, keep it, then train the Denoising preset: the same 784-128-784 network without and with noise. The kept model's
      reconstructions appear as a fourth row.</p>
  </section>`;

let ctx;
let applied = ''; // the training noise last set here ('kind level'): a fresh model with the same noise keeps the user's choice

/** Start at the noise a model trains (or trained) with, unless the panel was last set to it; never at level 0. */
function startAt(kind, level) {
  const key = `${kind} ${level}`;
  if (!kind || kind === 'none' || !(level > 0) || key === applied || ![...$('demo-kind').options].some((o) => o.value === kind)) return;
  applied = key;
  $('demo-kind').value = kind;
  $('demo-level').value = String(level);
  request();
}

function request() {
  const level = Number($('demo-level').value);
  $('demo-level-text').value = level.toFixed(2);
  ctx.send('noiseDemo', { kind: $('demo-kind').value, level });
}

export default {
  name: 'noise',
  section: 'noise-panel',
  label: 'Corrupt and restore',
  html,
  setup(c) {
    ctx = c;
    $('demo-level').addEventListener('input', request);
    $('demo-kind').addEventListener('change', request);
    $('pin').addEventListener('click', () => ctx.send('pin'));
    $('unpin').addEventListener('click', () => ctx.send('unpin'));
  },
  on: {
    engine(m) {
      fillNames($('demo-kind'), 'noise', m.names.noise, { skip: ['none'], value: 'mask' });
    },
    model(m) {
      // a denoising model is first shown the corruption it learns to undo (the convolutional preset's is Gaussian)
      if (m.noise === 'none') applied = ''; // a noisy model after it starts at its noise again
      else if ('noise' in m) startAt(m.noise, m.noiseLevel);
    },
    restored(m) {
      startAt(m.config.noise, m.config.noiseLevel);
    },
    noiseDemo(m) {
      const { ui } = ctx;
      const c = $('demo');
      const rowsOfTiles = m.pinned ? 4 : 3;
      c.width = m.n * ui.cols;
      c.height = rowsOfTiles * ui.rows;
      const g = c.getContext('2d');
      drawTiles(g, m.clean, m.n, 0, false, ui);
      drawTiles(g, m.noisy, m.n, ui.rows, false, ui);
      drawTiles(g, m.recon, m.n, 2 * ui.rows, false, ui);
      if (m.pinned) drawTiles(g, m.pinned, m.n, 3 * ui.rows, false, ui);
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
      $('pin-note').textContent = m.name ? `Kept for comparison: ${m.name}.` : ctx.say('To compare a plain and a denoising autoencoder on the same corrupted digits: train the "Plain twin of Denoising" preset, keep it, then train the Denoising preset: the same 784-128-784 network without and with noise.');
      request();
    },
  },
  enable(ui) {
    $('pin').disabled = !ui.ready || !ui.model;
  },
  refresh() {
    request();
  },
};
