// Corrupt and restore: test images corrupted on request, the current model's reconstructions of them and,
// for comparison, those of a model kept with Pin (a copy, so training on does not change it).
import { post, stepNow, fitsData } from './core.js';

/** How the noise demo names a model: its widths, its training noise and how far it has trained. */
function describe(w) {
  const { cfg } = w;
  const noise = cfg.noise !== 'none' ? `denoising (${cfg.noise} ${cfg.noiseLevel})` : 'plain';
  return `${w.model.spec} ${noise}, step ${stepNow(w)}`;
}

/** Mean squared error and mean binary cross-entropy per pixel of y against clean targets t, both in [0,1].
 * y is clipped to [1e-6, 1 - 1e-6] for the cross-entropy, so a pixel that is exactly wrong costs 13.8, not ∞. */
function errors(y, t) {
  let mse = 0, bce = 0;
  for (let i = 0; i < y.length; i++) {
    const p = Math.min(1 - 1e-6, Math.max(1e-6, y[i]));
    mse += (y[i] - t[i]) ** 2;
    bce -= t[i] * Math.log(p) + (1 - t[i]) * Math.log(1 - p);
  }
  return { mse: mse / y.length, bce: bce / y.length };
}

function dropPinned(w) {
  w.pinned?.model.destroy();
  w.pinned = null;
}

export const state = () => ({ pinned: null }); // { model, name }: the kept copy

/** A kept model that cannot read the new data's images goes. */
export function onData(w) {
  if (w.pinned && !fitsData(w.pinned.model, w.train)) dropPinned(w);
}
export const onRedraw = onData; // the kept model compares on the images the current model reads

export const handlers = {
  /** Clean, corrupted and reconstructed copies of 8 test digits, with the errors of each. */
  noiseDemo(msg, w) {
    const { ae, model, pinned, train } = w;
    if (!model) return;
    const n = Math.min(8, w.nShow);
    const clean = w.showX.subarray(0, n * train.dim);
    const noisy = ae.corrupt(clean, msg.kind, msg.level, 777);
    const recon = model.forward(noisy, n);
    const pin = pinned ? pinned.model.forward(noisy, n) : null;
    post({
      type: 'noiseDemo', n, clean, noisy, recon, noisyErr: errors(noisy, clean), reconErr: errors(recon, clean), kind: msg.kind, level: msg.level,
      pinned: pin, pinnedErr: pin ? errors(pin, clean) : null, pinnedName: pinned?.name ?? null, currentName: describe(w),
    });
  },
  /** Keep a copy of the current model to compare against (e.g. a plain one beside a denoising one). */
  pin(msg, w) {
    if (!w.model) throw new Error('There is no model to keep yet.');
    const copy = w.ae.loadModel(w.model.save(), 16);
    dropPinned(w);
    w.pinned = { model: copy, name: describe(w) };
    post({ type: 'pinned', name: w.pinned.name });
  },
  unpin(msg, w) {
    dropPinned(w);
    post({ type: 'pinned', name: null });
  },
};
