// Undercomplete against overcomplete, measured: the four autoencoders of the comparison, the noise they are
// tried on, the error they are scored by and what the errors say. Shared by the page's Worker
// (worker/overcomplete.js, a short run) and scripts/overcomplete.mjs (the measured claim, longer), so that
// both train the same models and word the result the same way. Plain JS: no page, no engine.
//
// Why linear units and squared error (measured with scripts/overcomplete.mjs; docs/instructors.md): a
// linear 784-1000-784 autoencoder can hold the identity exactly and Adam finds it within a few thousand
// steps, so without a regulariser it learns to copy. The page's Overcomplete preset (ReLU code, sigmoid
// output, cross-entropy) does not copy noise in the same budget: it rebuilds digits almost as well but
// noise hardly better than an undercomplete model.

export const CODE = 32; // the undercomplete code, as the Simple preset's 784-32-784
export const OVER = 1000 / 784; // the overcomplete width as a share of the pixels, as the Overcomplete preset's 784-1000-784
export const FACTOR = 3; // "clearly below": a plain overcomplete noise error at most a third of every other model's
// The regularisers' strengths: each model still rebuilds digits better than the undercomplete one.
export const L1 = 1e-3; // the sparse model's λ: λ·(mean over the batch of Σ|code|) joins the loss
export const NOISE = { noise: 'mask', noiseLevel: 0.2 }; // the denoising model's corruption: a fifth of the pixels set to 0

/** Hidden units of the overcomplete models for images of dim pixels (1000 for 784). */
export const overWidth = (dim) => Math.round(dim * OVER);

/**
 * The four models for images of dim pixels, in the order the page and the script show them: { key, name,
 * sizes (a model spec), train (trainer settings beyond batch, lr, seed) }. opts.l1 and opts.noiseLevel
 * replace L1 and NOISE's level.
 */
export function models(dim, opts = {}) {
  const h = overWidth(dim), lin = 'hidden=linear output=linear loss=mse';
  return [
    { key: 'under', name: 'undercomplete', sizes: `${dim}-${Math.min(CODE, dim - 1)}-${dim} ${lin}`, train: {} },
    { key: 'plain', name: 'plain overcomplete', sizes: `${dim}-${h}-${dim} ${lin}`, train: {} },
    { key: 'sparse', name: 'sparse overcomplete', sizes: `${dim}-${h}-${dim} ${lin}`, train: { l1: opts.l1 ?? L1 } },
    { key: 'denoising', name: 'denoising overcomplete', sizes: `${dim}-${h}-${dim} ${lin}`, train: { ...NOISE, noiseLevel: opts.noiseLevel ?? NOISE.noiseLevel } },
  ];
}

/** A seeded generator of numbers in [0, 1) (a 32-bit LCG's state over 2^32): the same noise on every engine. */
export function random(seed) {
  let r = seed >>> 0;
  return () => (r = (Math.imul(r, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

/**
 * n noise images (n, dim) with the data's pixel statistics and nothing else: pixel i of each is pixel i of a
 * training image drawn at random, anew for every pixel. Each pixel has the data's own distribution there
 * (dark where the data are always dark, so no model is asked for a pixel it never saw vary), but the
 * pixels are independent, so no stroke, shape or digit survives. src: (nSrc, dim) training images.
 */
export function noiseImages(src, nSrc, dim, n, seed = 1) {
  const rnd = random(seed), x = new Float32Array(n * dim);
  for (let k = 0; k < n; k++) for (let i = 0; i < dim; i++) x[k * dim + i] = src[Math.floor(rnd() * nSrc) * dim + i];
  return x;
}

/** Mean squared error per pixel between y and x (same length). */
export function mse(y, x) {
  let e = 0;
  for (let i = 0; i < x.length; i++) e += (y[i] - x[i]) ** 2;
  return e / x.length;
}

/** The mean image (dim) of n images x (n, dim): the output of a model that copies nothing. */
export function meanImage(x, n, dim) {
  const m = new Float64Array(dim);
  for (let k = 0; k < n; k++) for (let i = 0; i < dim; i++) m[i] += x[k * dim + i] / n;
  return m;
}

/** err: { under, plain, sparse, denoising }, each { digits, noise } (squared errors). True when the plain
 * overcomplete model's noise error is at most 1/FACTOR of each other model's: it copies, they do not. */
export function copies(err) {
  return ['under', 'sparse', 'denoising'].every((k) => err.plain.noise * FACTOR <= err[k].noise);
}

const NAMES = Object.fromEntries(models(784).map((m) => [m.key, m.name]));
const f4 = (v) => v.toFixed(4);
const times = (a, b) => `${(a / b).toFixed(a / b < 10 ? 1 : 0)} times`;

/** What the errors show, in sentences (with "digits" for the data's items: the page rewords it). err as for
 * copies(); ref: the mean image's error on the noise (a model that copies nothing). */
export function interpret(err, ref) {
  const { under, plain, sparse, denoising } = err;
  const rebuilt = (e) => `${Math.max(0, Math.round(100 * (1 - e.noise / ref)))}%`;
  if (!copies(err)) {
    const not = ['under', 'sparse', 'denoising'].filter((k) => plain.noise * FACTOR > err[k].noise);
    return `In this run the plain overcomplete model did not clearly copy: its error on noise, ${f4(plain.noise)}, is more than a third of `
      + `${not.map((k) => `the ${NAMES[k]} model's ${f4(err[k].noise)}`).join(' and ')}. With more steps it may still learn to copy.`;
  }
  const asDigits = plain.noise <= under.digits ? ` and lower even than the undercomplete model's error on digits (${f4(under.digits)})` : '';
  return `The plain overcomplete model copies: it rebuilds noise, which it never saw, with a squared error of ${f4(plain.noise)} per pixel, `
    + `${times(under.noise, plain.noise)} lower than the undercomplete model's ${f4(under.noise)}${asDigits}; it passes ${rebuilt(plain)} of the noise through. `
    + `(Passed through: how much of the noise's error, measured against the mean training image, a model takes away; a model that copied perfectly would pass 100%.) `
    + `Its low error on digits (${f4(plain.digits)}) says little about what it learned: a copy rebuilds anything, so its code need not capture what makes a digit a digit, which is what an autoencoder is for. The sparse and the denoising models have as many hidden units `
    + `but copy less: their errors on noise are ${f4(sparse.noise)} and ${f4(denoising.noise)} (${rebuilt(sparse)} and ${rebuilt(denoising)} passed through), `
    + `and on digits ${f4(sparse.digits)} and ${f4(denoising.digits)}. The undercomplete model passes ${rebuilt(under)} of the noise through: `
    + `its ${CODE}-number code only has room for what digits have in common.`;
}
