// Your own data: IDX image files (and labels), gzip or not, or PNG/JPEG pictures, handed to the Worker as
// Files; and the built-in sets, MNIST and Fashion-MNIST.
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
    <p class="muted">Or your own pictures (PNG or JPEG, a few or a whole folder): each becomes a grey image, its middle cut
      to a square and resized. Bright parts count as ink: in MNIST the strokes are white on black.</p>
    <div class="row">
      <label>Pictures <input id="data-pictures" type="file" multiple accept="image/png,image/jpeg,.png,.jpg,.jpeg" disabled></label>
      <label>or a folder <input id="data-folder" type="file" webkitdirectory disabled></label>
      <label>Size <select id="data-size" disabled>
        <option value="28">28×28</option><option value="64">64×64</option><option value="100" selected>100×100</option>
      </select></label>
    </div>
    <div class="buttons">
      <button id="data-load" disabled>Use these files</button>
      <button id="data-load-pictures" disabled>Use these pictures</button>
      <button id="data-mnist" class="secondary" disabled>MNIST</button>
      <button id="data-fashion" class="secondary" disabled>Fashion-MNIST</button>
    </div>
    <p id="data-status" aria-live="polite">–</p>
    <details id="data-left" hidden><summary></summary><ul></ul></details>
  </section>`;

let ctx;

/** "3 steps an epoch, 201 in all" for n training images at the note's batch and epochs. */
function stepsText(n, { batch, epochs }) {
  const s = Math.ceil(n / batch);
  return `${s} step${s === 1 ? '' : 's'} an epoch, ${(s * epochs).toLocaleString('en')} in all`;
}

/** Every file a picture load left out, one a line, under a summary that opens it: the status line groups them
 * by reason and names only a few of each. Hidden when the status line names them all (3 or fewer). */
function listLeftOut(m) {
  const box = $('data-left'), list = m.leftOutList ?? [];
  box.hidden = !(m.leftOut > 3);
  if (box.hidden) return;
  const shown = list.length < m.leftOut ? ` (the first ${list.length})` : '';
  box.querySelector('summary').textContent = `Every file left out: ${m.leftOut}${shown}`;
  box.querySelector('ul').replaceChildren(...list.map(({ name, why }) => {
    const li = document.createElement('li');
    li.textContent = `${name}: ${why}.`;
    return li;
  }));
}

function loadData() {
  const img = $('data-images').files[0];
  if (!img) {
    refuse('Choose an IDX image file first.');
    return;
  }
  ctx.showError('');
  const lab = $('data-labels').files[0];
  setStatus(`Reading ${img.name}…`);
  // the Files, not their bytes: the Worker reads them as a stream and refuses one that is too large or
  // inflates too far before holding it, so a huge file or a gzip bomb never fills this thread's memory
  ctx.send('loadData', { images: img, labels: lab ?? null, imagesName: img.name, labelsName: lab?.name ?? null });
}

/** The pictures chosen: the files picked one by one, else a folder's PNG and JPEG files (other files in it
 * are left out, by name), in name order. */
function chosenPictures() {
  const picked = [...$('data-pictures').files];
  if (picked.length) return picked;
  return [...$('data-folder').files].filter((f) => /\.(png|jpe?g)$/i.test(f.name)).sort((a, b) => (a.webkitRelativePath || a.name).localeCompare(b.webkitRelativePath || b.name));
}

/** A refusal before anything is read: in the error bar, and beside the buttons (an embedding page may not
 * show the error bar), replacing what the last load said there. */
function refuse(message) {
  ctx.showError(message);
  setStatus(message);
}

/** The line under the buttons, for a load under way or refused: the last load's list of files left out goes. */
function setStatus(text) {
  $('data-status').textContent = text;
  $('data-left').hidden = true;
}

function loadPictures() {
  const files = chosenPictures();
  if (files.length < 2) {
    const folder = $('data-folder').files.length > 0;
    refuse(files.length ? 'Choose at least 2 pictures: one to train on, one to test.'
      : folder ? 'That folder holds no PNG or JPEG pictures (other files in it are left out).' : 'Choose some PNG or JPEG pictures, or a folder of them, first.');
    return;
  }
  ctx.showError('');
  const side = Number($('data-size').value);
  setStatus(`Reading ${files.length} pictures…`);
  ctx.send('loadPictures', { files, rows: side, cols: side });
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
    $('data-load-pictures').addEventListener('click', () => {
      try { loadPictures(); } catch (e) { ctx.showError(e.message); }
    });
    // one way at a time: picking files clears a chosen folder and the other way round
    $('data-pictures').addEventListener('change', () => { if ($('data-pictures').files.length) $('data-folder').value = ''; });
    $('data-folder').addEventListener('change', () => { if ($('data-folder').files.length) $('data-pictures').value = ''; });
    for (const [id, set, name] of [['data-mnist', 'mnist', 'MNIST'], ['data-fashion', 'fashion', 'Fashion-MNIST']]) {
      $(id).addEventListener('click', () => { ctx.showError(''); setStatus(`Loading ${name}…`); ctx.send('useBuiltin', { set }); });
    }
  },
  on: {
    data(m) {
      const drawn = m.drawnFrom ? ` (stored at ${m.drawnFrom[0]}×${m.drawnFrom[1]} and drawn at the model's size as each batch is made)` : '';
      // what the preset on show did about the data's size (panels/model.js presetValue, ui.presetNote)
      const note = ctx.ui.presetNote;
      const few = !note ? ''
        : note.kept ? ` For this data the preset's Batch size and Epochs would be ${note.batch} and ${note.epochs}: choose the preset again for a new model that uses them.`
        : note.few ? ` With this few images the preset's Batch size and Epochs are now ${note.batch} and ${note.epochs} (${stepsText(m.train, note)}), so that the model sees each image often.`
        : ` The preset's own Batch size and Epochs are back, ${note.batch} and ${note.epochs}.`;
      // a model that has trained was kept (one that has not is simply the preset's, built for this data)
      // a model that has trained and does not fit the new data is replaced by an untrained one (the Model form's
      // spec, at the data's size): said, so that its loss at 0 steps is no surprise
      // (redrawn: the data drawn for the model; kept when a data change keeps a model of its own size, else the
      // model is one the user chose)
      const kept = !ctx.ui.steps.length ? ''
        : m.keptModel ? ' The current model was kept: see how it does on this data, or Reset to train afresh.'
        : m.redrawn ? '' : ' The model trained before takes images of another size, so a new, untrained model was built for these.';
      // pictures that could not be read were left out: named with their reasons (the worker's grouping)
      const out = !m.leftOut ? '' : ` ${m.leftOut === 1 ? '1 file was' : `${m.leftOut} files were`} left out. ${m.leftOutText}`;
      $('data-status').textContent = `Training on ${m.name}: ${dataCounts(m)}${drawn}.${out}${kept}${few}`;
      listLeftOut(m);
    },
    error(m) {
      // the reason, here too: in an embedded page the error bar may be out of the host's view
      if (ctx.ui.ready && /^Could not use/.test(m.message)) {
        $('data-status').textContent = m.message;
        // the list under the line is the failed load's (the line counts what it does not name), or none
        listLeftOut(m);
      }
    },
  },
  enable(ui) {
    for (const id of ['data-images', 'data-labels', 'data-load', 'data-mnist', 'data-fashion', 'data-pictures', 'data-folder', 'data-size', 'data-load-pictures']) $(id).disabled = !ui.ready || ui.running;
  },
};
