// The model spec grammar (include/aelab.h, src/spec.c) through the wasm boundary: a randomised sweep of
// absurd and malformed specs, each of which must either be refused with a message (an AelabError) or build a
// model that works and prints back to a spec that builds the same model. A wasm trap, a RangeError from a
// wild pointer or a hang fails the sweep, and the engine must still train afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAelab, AelabError } from './helpers.mjs';

const ae = await loadAelab();

/** mulberry32: a small seeded generator, so that a failure names a spec that can be replayed. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ACTS = ['relu', 'linear', 'sigmoid', 'tanh', 'leaky_relu', 'softmax', 'identity', 'swish', '', 'RELU'];
const WIDTHS = ['1', '2', '3', '7', '16', '33', '64', '0', '-1', '00', '+5', '1e3', '2.5', '1048577', '4294967297', '99999999999999999999',
  'x', '', ' ', 'NaN', '0x10', '٣', '\u00e9', '\u0000', '\n', '32\t'];
const SHAPES = ['784', '28x28', '1x28x28', '3x4x5', '1x1', '2x2x2', '5'];
const BAD_SHAPES = ['x28', '28x', '28xx28', '1x2x3x4', '0x28', '1025x1024', '+5', '28X28'];
const OPTIONS = ['loss=mse', 'loss=bce', 'loss=softmax_ce', 'loss=', 'init=he', 'init=he_normal', 'init=bogus', 'hidden=tanh', 'code=linear',
  'output=linear', 'output=softmax', 'foo=1', '=', 'loss', 'loss=mse=mse', 'hidden=relu,hidden=tanh'];
const TOKENS = ['conv16k3', 'pool2', 'up2', '[784]', '(', ')', '((784))', '-', '--', '*', '**', ':', '::', 'dense', 'flat', ',', ' '];

function pick(r, list) {
  return list[Math.floor(r() * list.length)];
}

/** One random spec: mostly near the grammar (so that many build), often broken in one place. */
function randomSpec(r) {
  const parts = [r() < 0.9 ? pick(r, SHAPES) : r() < 0.5 ? pick(r, BAD_SHAPES) : pick(r, WIDTHS)];
  const n = r() < 0.1 ? 15 + Math.floor(r() * 25) : 1 + Math.floor(r() * 5); // sometimes past the 16-layer cap
  for (let i = 0; i < n; i++) {
    let layer = r() < 0.95 ? pick(r, WIDTHS.slice(0, 7)) : r() < 0.5 ? pick(r, WIDTHS) : pick(r, TOKENS);
    if (r() < 0.1) layer = `*${layer}`;
    if (r() < 0.25) layer += `:${r() < 0.8 ? pick(r, ACTS.slice(0, 5)) : pick(r, ACTS)}`;
    parts.push(layer);
  }
  let spec = parts.join(r() < 0.97 ? '-' : pick(r, ['--', '_', '- ', '/']));
  const k = r() < 0.3 ? 1 + Math.floor(r() * 2) : 0;
  for (let i = 0; i < k; i++) spec += pick(r, [' ', ',', '  ']) + (r() < 0.7 ? pick(r, OPTIONS.slice(0, 9)) : pick(r, OPTIONS));
  if (r() < 0.03) spec = spec.repeat(200); // thousands of characters
  if (r() < 0.03) spec = spec.slice(0, Math.floor(r() * spec.length));
  return spec;
}

/** What the engine must do with a spec: refuse it with a message, or build a model that runs. */
function tryOne(spec, defaults) {
  let m;
  try {
    m = ae.model({ sizes: spec, maxBatch: 3, seed: 5, ...defaults });
  } catch (e) {
    assert.ok(e instanceof AelabError, `spec ${JSON.stringify(spec)}: ${e?.constructor?.name}: ${e?.message}`);
    assert.ok(e.message.length > 10 && e.message.length < 2000 && !/\u0000/.test(e.message), `spec ${JSON.stringify(spec)}: message ${JSON.stringify(e.message)}`);
    return 'refused';
  }
  try {
    // it runs: finite outputs for a batch, shapes that multiply out to the widths
    const x = Float32Array.from({ length: 3 * m.inputSize }, (_, i) => (i % 7) / 7);
    const y = m.forward(x, 3);
    assert.equal(y.length, 3 * m.outputSize);
    assert.ok(y.every(Number.isFinite), `spec ${JSON.stringify(spec)}: outputs not finite`);
    m.shapes.forEach((s, i) => assert.equal(s[0] * s[1] * s[2], m.sizes[i], `spec ${JSON.stringify(spec)}: shape ${s} vs width ${m.sizes[i]}`));
    // the spec it prints builds the same model, with no defaults from the caller
    const back = ae.model({ sizes: m.spec, hidden: '', output: '', maxBatch: 3, seed: 5 });
    try {
      assert.equal(back.spec, m.spec);
      assert.deepEqual([back.sizes, back.activations, back.code, back.loss, back.init, back.shapes],
        [m.sizes, m.activations, m.code, m.loss, m.init, m.shapes], `spec ${JSON.stringify(spec)} printed as ${m.spec}`);
      assert.deepEqual(back.params(), m.params(), `spec ${JSON.stringify(spec)}: the same seed gives other weights`);
    } finally {
      back.destroy();
    }
    return 'built';
  } finally {
    m.destroy();
  }
}

test('a randomised sweep of absurd and malformed specs: each is refused with a message or builds a working model', () => {
  const r = rng(20261127);
  const seen = { refused: 0, built: 0 };
  for (let i = 0; i < 3000; i++) {
    const defaults = r() < 0.2 ? { hidden: pick(r, ACTS), output: pick(r, ACTS), loss: pick(r, ['', 'mse', 'bce', 'softmax_ce', 'l1']) } : {};
    seen[tryOne(randomSpec(r), defaults)]++;
  }
  // both outcomes are common, so the sweep tests the parser and the models it builds alike
  assert.ok(seen.refused > 500 && seen.built > 500, JSON.stringify(seen));
  // and the engine is intact
  const m = ae.model({ sizes: '16-4-16', maxBatch: 8 });
  const data = ae.floatDataset(Float32Array.from({ length: 64 * 16 }, (_, i) => (i * 37 % 101) / 101), 64, 1, 16);
  const t = ae.trainer(m, data, { batch: 8 });
  assert.ok(Number.isFinite(t.run(10).loss));
  t.destroy();
  m.destroy();
  data.destroy();
});

test('the spec forms the issue names: today\'s widths, images, marked codes, activations, keys, a classifier head', () => {
  const cases = [
    ['784-32-784', '784-32-784', [784, 32, 784], 1, ['relu', 'sigmoid'], 'bce'],
    ['784-*1000-784', '784-1000-784', [784, 1000, 784], 1, ['relu', 'sigmoid'], 'bce'], // the only interior layer: no mark needed
    ['784-*1000-64-784', '784-*1000-64-784', [784, 1000, 64, 784], 1, ['relu', 'relu', 'sigmoid'], 'bce'],
    ['1024x1024-1', '1024x1024-1', [1048576, 1], 0, ['sigmoid', 'sigmoid'], 'bce'], // the widest input; no interior layer, no code
    ['28x28-32-784', '28x28-32-784', [784, 32, 784], 1, ['relu', 'sigmoid'], 'bce'],
    ['1x28x28-32-784', '28x28-32-784', [784, 32, 784], 1, ['relu', 'sigmoid'], 'bce'],
    ['784-128-*32:linear-128-784', '784-128-32:linear-128-784', [784, 128, 32, 128, 784], 2, ['relu', 'linear', 'relu', 'sigmoid'], 'bce'],
    ['4-2-4 hidden=linear output=linear', '4-2-4:linear hidden=linear', [4, 2, 4], 1, ['linear', 'linear'], 'mse'],
    ['784-256-10:softmax', '784-256-10:softmax', [784, 256, 10], 1, ['relu', 'softmax'], 'softmax_ce'],
    ['784-32-784,loss=mse,init=he_normal', '784-32-784 loss=mse init=he_normal', [784, 32, 784], 1, ['relu', 'sigmoid'], 'mse'],
  ];
  for (const [spec, printed, sizes, code, acts, loss] of cases) {
    const m = ae.model({ sizes: spec, hidden: '', output: '' });
    assert.equal(m.spec, printed, spec);
    assert.deepEqual(m.sizes, sizes, spec);
    assert.equal(m.code, code, spec);
    assert.deepEqual([m.activations[0], m.activations.at(-1)], acts.length === 2 ? acts : [acts[0], acts.at(-1)], spec);
    if (acts.length > 2) assert.deepEqual(m.activations, acts, spec);
    assert.equal(m.loss, loss, spec);
    assert.deepEqual(m.kinds, sizes.slice(1).map(() => 'dense'));
    m.destroy();
  }
  // the page's selects still choose what a bare spec leaves open, and the spec's own words win
  const m = ae.model({ sizes: '784-32-784', hidden: 'tanh', output: 'linear', loss: 'mse' });
  assert.equal(m.spec, '784-32-784:linear hidden=tanh'); // mse is what a linear output gets anyway
  const n = ae.model({ sizes: '784-32:relu-784 loss=bce', hidden: 'tanh', output: 'sigmoid', loss: 'mse' });
  assert.deepEqual([n.activations, n.loss], [['relu', 'sigmoid'], 'bce']);
  m.destroy();
  n.destroy();
});
