// The enum names JS uses (ACTIVATIONS, LOSSES, INITS, OPTIMIZERS, NOISES, LAYERS, JOBS in aelab.js) are C's: the same kinds,
// the same count, the same name at every index, and each name parses back in C to its index. JS passes
// indices into these lists to C, so a list out of step with C would silently train with another setting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { site, loadAelab, mnist } from './helpers.mjs';

const aelab = await import(path.join(site, 'aelab.js'));
const ae = await loadAelab();
const M = ae.M;
const LISTS = { activation: aelab.ACTIVATIONS, loss: aelab.LOSSES, init: aelab.INITS, optimizer: aelab.OPTIMIZERS, noise: aelab.NOISES,
  layer: aelab.LAYERS, job: aelab.JOBS };

/** Every kind C names, read straight from the exports: { kind: { index, count, names } }. */
function cEnums() {
  const out = {};
  for (let k = 0; ; k++) {
    const kp = M._ae_wasm_enum_kind(k);
    if (!kp) break;
    const count = M._ae_wasm_enum_count(k);
    const names = [];
    for (let i = 0; M._ae_wasm_enum_name(k, i); i++) names.push(ae.readCString(M._ae_wasm_enum_name(k, i)));
    out[ae.readCString(kp)] = { index: k, count, names };
  }
  return out;
}

function parse(k, name) {
  const p = ae.cstr(name);
  try {
    return M._ae_wasm_enum_parse(k, p);
  } finally {
    ae.free(p);
  }
}

test('JS has a list for exactly the enum kinds C names, and every list is C\'s', () => {
  const c = cEnums();
  assert.deepEqual(Object.keys(c).sort(), Object.keys(LISTS).sort());
  for (const [kind, list] of Object.entries(LISTS)) {
    const { index, count, names } = c[kind];
    // every value below C's count has a name, and none past it
    assert.ok(count > 0, `${kind}: C reports ${count} values`);
    assert.equal(names.length, count, `${kind}: C names ${names.length} of its ${count} values`);
    assert.equal(M._ae_wasm_enum_name(index, count), 0, `${kind}: a name past the end`);
    assert.equal(M._ae_wasm_enum_name(index, -1), 0, `${kind}: a name before the start`);
    assert.deepEqual(list, names, `${kind}: JS's list differs from C's`);
    assert.equal(new Set(list).size, list.length, `${kind}: names repeat: ${list}`);
    // each name is the one C's parser maps to that index
    list.forEach((name, i) => assert.equal(parse(index, name), i, `${kind} '${name}' parses to ${parse(index, name)}, not ${i}`));
    assert.ok(parse(index, 'no_such_value') < 0 && /unknown .*'no_such_value'/.test(ae.lastError()), ae.lastError());
  }
  assert.equal(M._ae_wasm_enum_kind(-1), 0);
  assert.ok(M._ae_wasm_enum_count(99) < 0 && /unknown enum kind 99/.test(ae.lastError()));
  assert.ok(M._ae_wasm_enum_parse(99, 0) < 0);
});

test('the names work through the JS API and come back as given', async () => {
  for (const act of aelab.ACTIVATIONS.filter((a) => a !== 'softmax')) {
    const m = ae.model({ sizes: '6-3-6', hidden: act, output: 'linear', loss: 'mse' });
    assert.deepEqual(m.activations, [act, 'linear']);
    m.destroy();
  }
  const heads = { mse: 'linear', bce: 'sigmoid', softmax_ce: 'softmax' };
  for (const loss of aelab.LOSSES) {
    assert.ok(heads[loss], `a loss this test does not know: ${loss}`);
    for (const init of aelab.INITS) {
      const m = ae.model({ sizes: '6-3-6', output: heads[loss], loss, init });
      assert.equal(m.loss, loss);
      assert.equal(m.init, init);
      assert.equal(m.activations[1], heads[loss]);
      m.destroy();
    }
  }
  const data = ae.dataset(await mnist('t10k-images-idx3-ubyte')).limit(64);
  const model = ae.model({ sizes: '784-8-784' });
  for (const optimizer of aelab.OPTIMIZERS) {
    for (const noise of aelab.NOISES) {
      const t = ae.trainer(model, data, { batch: 32, optimizer, noise });
      assert.equal(t.run(1).steps, 1);
      t.destroy();
    }
  }
  for (const noise of aelab.NOISES) assert.equal(ae.corrupt(new Float32Array(8).fill(0.5), noise, 0.3).length, 8);
  model.destroy();
  data.destroy();
});
