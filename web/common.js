// What the page's shell (app.js) and its panels (panels/*.js) share and that holds no state: finding an
// element, drawing images as tiles, and showing the engine's names in menus.

export const $ = (id) => document.getElementById(id);
/** The page runs inside another page's iframe (a course page). */
export const framed = window.self !== window.top;

/** Draw n tiles (rows×cols floats each, side by side) into one row of a canvas at y offset y0. Values are
 * in [0,1], or with norm each tile's own range is stretched to black..white (weights have no fixed range). */
export function drawTiles(g, data, n, y0, norm, { rows, cols }) {
  const img = g.createImageData(cols * n, rows);
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
        const g8 = Math.max(0, Math.min(255, Math.round(v * 255)));
        const o = 4 * (y * cols * n + t * cols + x);
        img.data[o] = img.data[o + 1] = img.data[o + 2] = g8;
        img.data[o + 3] = 255;
      }
    }
  }
  g.putImageData(img, 0, y0);
}

// The menus' words for the engine's names, in the menus' order. The names themselves come from C (the
// Worker sends them with its 'engine' message), so a name C drops leaves the menu and one it adds shows
// as itself.
const LABELS = {
  activation: { relu: 'ReLU', leaky_relu: 'leaky ReLU', sigmoid: 'sigmoid', tanh: 'tanh', linear: 'linear (identity)' },
  noise: { none: 'none', gaussian: 'Gaussian', mask: 'masking', salt_pepper: 'salt and pepper' },
  optimizer: { adam: 'Adam', sgd: 'SGD + momentum' },
};

/** Fill a <select> with the engine's names of one kind (all but `skip`), selecting `value` if offered. */
export function fillNames(sel, kind, names, { skip = [], value = null } = {}) {
  const labels = LABELS[kind] ?? {};
  const order = [...Object.keys(labels).filter((n) => names.includes(n)), ...names.filter((n) => !(n in labels))];
  sel.innerHTML = '';
  for (const n of order) if (!skip.includes(n)) sel.add(new Option(labels[n] ?? n, n));
  if (value !== null && order.includes(value) && !skip.includes(value)) sel.value = value;
}

/** The data's size as the page says it: "60,000 training and 10,000 test images of 28×28 pixels". */
export function dataCounts(m) {
  return `${m.train.toLocaleString('en')} training and ${m.test.toLocaleString('en')} test image${m.test === 1 ? '' : 's'} of ${m.rows}×${m.cols} pixels${m.labelled ? '' : ', without labels'}`;
}

// Fashion-MNIST's ten classes, in the order of its labels 0-9 (Xiao, Rasul and Vollgraf 2017).
const FASHION = ['T-shirt/top', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot'];

/** What label l means for the loaded data: Fashion-MNIST's class name, otherwise the number itself. */
export function labelName(ui, l) {
  return ui.dataName === 'Fashion-MNIST' && FASHION[l] ? FASHION[l] : String(l);
}

/** Label l as a phrase after an image's name, "a 7", "an 8" or "ankle boot". */
export function aLabel(ui, l) {
  const name = labelName(ui, l);
  return name !== String(l) ? name : `${/^(8|11|18)/.test(name) ? 'an' : 'a'} ${name}`;
}
