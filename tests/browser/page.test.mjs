// The page as a user sees it, in headless Chromium: MNIST loads in the Worker, the 784-32-784
// autoencoder trains there for a few hundred steps, the loss falls, the reconstruction grid is drawn,
// the controls behave, and the console stays clean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { suite, serve, openPage, shot, canvasStats, trainFor } from './browser.mjs';

const env = suite();

/** Set the noise demo's level and wait for the worker's answer for exactly that level. */
async function demoAt(page, level) {
  await page.locator('#demo-level').fill(level);
  await page.waitForFunction((l) => Number(document.getElementById('demo-numbers').dataset.level) === Number(l), level);
}

const num = (page, id) => page.locator(`#${id}`).textContent().then((t) => Number(t.replace(/,/g, '')));

test('trains a few hundred steps in the Worker: loss falls, reconstructions drawn, no console errors', async () => {
  const { page, errors } = await openPage(env.browser, env.server.url);
  assert.match(await page.locator('#engine').textContent(), /60,000 training and 10,000 test digits/);
  assert.match(await page.locator('#engine').textContent(), /WebAssembly SIMD/);
  const blank = await canvasStats(page, 'recon');
  await page.click('#start');
  await page.waitForFunction(() => Number(document.getElementById('n-step').textContent) >= 20);
  const early = await num(page, 'n-loss');
  await page.waitForFunction(() => Number(document.getElementById('n-step').textContent) >= 300, null, { timeout: 120000 });
  await page.click('#pause');
  await page.waitForFunction(() => !document.getElementById('resume').disabled);
  const late = await num(page, 'n-loss');
  assert.ok(late < early - 0.03, `train loss should fall: ${early} -> ${late}`);
  // a test loss was reported after the first epoch (235 steps)
  const testLoss = await num(page, 'n-test');
  assert.ok(testLoss > 0 && testLoss < 0.2, `test loss ${testLoss}`);
  const recon = await canvasStats(page, 'recon');
  assert.ok(recon.sd > 30 && recon.hash !== blank.hash, `reconstruction canvas looks blank: ${JSON.stringify(recon)}`);
  const filters = await canvasStats(page, 'filters');
  assert.ok(filters.sd > 10, 'filters drawn');
  // the main thread stayed responsive: the page answers instantly while the worker works
  const speed = await num(page, 'n-speed');
  assert.ok(speed > 0);
  await shot(page, 'page-after-training');
  await shot(page, 'panel-reconstructions', '#recon-panel');
  await shot(page, 'panel-loss', '#curves');
  await shot(page, 'panel-model', '#setup');
  await shot(page, 'panel-filters', '#filters-panel');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the time left comes from the page\'s clock, test passes and pictures included, not from the steps alone', async () => {
  // The page's clock made to run three times as fast as the Worker's: a time left from the page's clock
  // reads about three times one worked out from Samples/s (the steps' own time); the old one read the same.
  const page = await env.browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript(() => {
    const now = performance.now.bind(performance);
    performance.now = () => 3 * now();
  });
  await page.goto(env.server.url);
  await page.waitForFunction(() => !document.getElementById('start').disabled, null, { timeout: 60000 });
  await trainFor(page, 400); // a page-clock second at least, so the time left is the clock's
  const r = await page.evaluate(() => ({
    step: Number(document.getElementById('n-step').textContent),
    speed: Number(document.getElementById('n-speed').textContent.replace(/,/g, '')),
    eta: document.getElementById('n-eta').textContent,
    batch: Number(document.getElementById('batch').value),
    epochs: Number(document.getElementById('epochs').value),
  }));
  const m = r.eta.match(/^(?:(\d+) min )?(\d+) s$/);
  assert.ok(m, `time left reads '${r.eta}'`);
  const eta = Number(m[1] ?? 0) * 60 + Number(m[2]);
  const fromSteps = ((r.epochs * Math.ceil(60000 / r.batch) - r.step) * r.batch) / r.speed;
  assert.ok(eta >= 2 * fromSteps, `time left ${eta} s against ${fromSteps.toFixed(1)} s from Samples/s alone (${JSON.stringify(r)})`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('start, pause, step and resume move the step counter as expected', async () => {
  const { page, errors } = await openPage(env.browser, env.server.url);
  await trainFor(page, 5);
  const paused = await num(page, 'n-step');
  // two round trips through the worker (noise-demo requests answered in order): a run that kept going
  // after Pause would post progress between them
  for (const level of ['0.3', '0.4']) await demoAt(page, level);
  assert.equal(await num(page, 'n-step'), paused, 'no steps while paused');
  await page.click('#step');
  await page.waitForFunction((p) => Number(document.getElementById('n-step').textContent) === p + 1, paused);
  await page.click('#resume');
  await page.waitForFunction((p) => Number(document.getElementById('n-step').textContent) > p + 3, paused);
  await page.click('#stop');
  await page.waitForFunction(() => document.getElementById('start').disabled === false);
  await page.click('#reset');
  await page.waitForFunction(() => document.getElementById('n-step').textContent === '0');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the page works served under a sub-path', async () => {
  const sub = await serve({ base: '/courses/ml101/aelab/' });
  try {
    const { page, errors } = await openPage(env.browser, sub.url);
    await page.click('#step');
    await page.waitForFunction(() => Number(document.getElementById('n-step').textContent) === 1);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    sub.close();
  }
});

test('save then load gives identical reconstructions; a bad model file shows an error and training still works', async () => {
  const { page, errors } = await openPage(env.browser, env.server.url);
  await trainFor(page, 40);
  const trained = await canvasStats(page, 'recon');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
  assert.match(download.suggestedFilename(), /^aelab-784-32-784\.safetensors$/);
  const file = await download.path();
  await page.click('#stop');
  await page.click('#reset'); // fresh weights: the reconstructions change
  await page.waitForFunction(() => document.getElementById('recon').dataset.step === '0');
  assert.notEqual((await canvasStats(page, 'recon')).hash, trained.hash);
  await page.setInputFiles('#load', file);
  // the worker sends the loaded model's images before it says Loaded
  await page.waitForFunction(() => /Loaded .*: 784-32-784/.test(document.getElementById('engine').textContent));
  assert.equal((await canvasStats(page, 'recon')).hash, trained.hash, 'reconstructions after loading differ from before saving');
  // a corrupt file: clear message, the loaded model stays
  await page.setInputFiles('#load', { name: 'broken.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not a model at all') });
  await page.waitForFunction(() => !document.getElementById('error').hidden);
  assert.match(await page.locator('#error').textContent(), /safetensors|truncated|header/);
  assert.equal((await canvasStats(page, 'recon')).hash, trained.hash);
  await page.click('#step');
  await page.waitForFunction(() => Number(document.getElementById('n-step').textContent) === 1);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a shared URL reopens the same configuration; embed=1 hides the chrome', async () => {
  const { page, errors } = await openPage(env.browser, env.server.url);
  await page.selectOption('#preset', 'deep');
  await page.fill('#seed', '42');
  await page.locator('#seed').dispatchEvent('change');
  await page.selectOption('#noise', 'gaussian');
  const url = page.url();
  assert.match(url, /#v=1&.*sizes=784-128-64-32-64-128-784.*seed=42.*noise=gaussian/);
  const other = await openPage(env.browser, url);
  assert.equal(await other.page.inputValue('#sizes'), '784-128-64-32-64-128-784');
  assert.equal(await other.page.inputValue('#seed'), '42');
  assert.equal(await other.page.inputValue('#noise'), 'gaussian');
  await other.page.click('#step');
  await other.page.waitForFunction(() => document.getElementById('n-params').textContent === '222,384');
  const embed = await openPage(env.browser, `${env.server.url}#v=1&sizes=784-16-784&embed=1`);
  assert.equal(await embed.page.locator('h1').isVisible(), false);
  assert.equal(await embed.page.inputValue('#sizes'), '784-16-784');
  await shot(embed.page, 'embed-mode');
  const stale = await openPage(env.browser, `${env.server.url}#v=99&sizes=784-16-784`);
  assert.match(await stale.page.locator('#error').textContent(), /different version/);
  assert.deepEqual([...errors, ...other.errors, ...embed.errors, ...stale.errors], []);
  for (const p of [page, other.page, embed.page, stale.page]) await p.close();
});

/** The float32 parameters of a .safetensors file aelab wrote (the data after the header). */
function params(file) {
  const b = fs.readFileSync(file);
  const data = b.subarray(8 + Number(b.readBigUInt64LE(0)));
  return new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
}

const built = (page, re) => page.waitForFunction((s) => new RegExp(s).test(document.getElementById('built').textContent), re.source);
const hashParams = (page) => new URLSearchParams(new URL(page.url()).hash.slice(1));

test('the layer field is the model: a menu rewrites it, its keys set the menus, init= reaches the engine, the built spec shows', async () => {
  const { page, errors } = await openPage(env.browser, env.server.url);
  await built(page, /^Built: 784-32-784 · relu, sigmoid · 50,992 parameters$/);
  // a menu rewrites the field's keys; the link carries the field alone
  await page.selectOption('#outloss', 'linear/mse');
  assert.equal(await page.inputValue('#sizes'), '784-32-784 output=linear');
  await built(page, /^Built: 784-32-784:linear · relu, linear · /);
  assert.equal(hashParams(page).get('sizes'), '784-32-784 output=linear');
  assert.deepEqual(['hidden', 'code', 'out'].filter((k) => hashParams(page).has(k)), []);
  await page.selectOption('#preset', 'deep');
  await page.selectOption('#code', 'linear');
  assert.equal(await page.inputValue('#sizes'), '784-128-64-32-64-128-784 code=linear');
  await built(page, / · relu, relu, linear, relu, relu, sigmoid · /);
  // the field's own keys and activations set the menus; a menu then drops the ':act' it governs
  await page.fill('#sizes', '784-128-*32:linear-128-784 hidden=tanh output=linear');
  assert.deepEqual([await page.inputValue('#hidden'), await page.inputValue('#code'), await page.inputValue('#outloss')], ['tanh', 'linear', 'linear/mse']);
  await page.locator('#sizes').dispatchEvent('change');
  await built(page, / · tanh, linear, tanh, linear · /);
  await page.selectOption('#code', 'relu');
  assert.equal(await page.inputValue('#sizes'), '784-128-*32-128-784 hidden=tanh code=relu output=linear');
  await built(page, / · tanh, relu, tanh, linear · /);
  // an output/loss pair the menu does not list is shown, not left blank
  await page.fill('#sizes', '784-16-784:tanh');
  assert.equal(await page.inputValue('#outloss'), 'tanh/mse');
  // init= is the engine's to use: nothing beside the spec overrides it
  await page.fill('#sizes', '784-32-784 init=he_normal');
  await page.locator('#sizes').dispatchEvent('change');
  await built(page, /^Built: 784-32-784 init=he_normal · /);
  assert.deepEqual(errors, []);
  await page.close();
});

test('links from before the field held the whole spec (hidden=, code=, out=) still build their model', async () => {
  const { page, errors } = await openPage(env.browser, `${env.server.url}#v=1&sizes=784-32-784&hidden=linear&code=linear&out=linear/mse`);
  assert.equal(await page.inputValue('#sizes'), '784-32-784 hidden=linear output=linear');
  assert.equal(await page.inputValue('#preset'), 'linear');
  assert.deepEqual([await page.inputValue('#hidden'), await page.inputValue('#code'), await page.inputValue('#outloss')], ['linear', 'linear', 'linear/mse']);
  await built(page, /^Built: 784-32-784:linear hidden=linear · linear, linear · 50,992 parameters$/);
  // the address bar now holds the link as this version writes it, which reopens the same model
  assert.deepEqual(['hidden', 'code', 'out'].filter((k) => hashParams(page).has(k)), []);
  const again = await openPage(env.browser, page.url());
  assert.equal(await again.page.inputValue('#preset'), 'linear');
  // docs/instructors.md's 2-D code link, as it was written
  const code2 = await openPage(env.browser, `${env.server.url}#v=1&sizes=784-256-64-2-64-256-784&code=linear&batch=128&epochs=10&panels=loss,latent`);
  assert.equal(await code2.page.inputValue('#preset'), 'code2');
  await built(code2.page, / · relu, relu, linear, relu, relu, sigmoid · /);
  assert.deepEqual([...errors, ...again.errors, ...code2.errors], []);
  for (const p of [page, again.page, code2.page]) await p.close();
});

test('a loaded model whose output and loss the menu does not list: its spec fills the field, and training goes on from its weights', async () => {
  const { page, errors } = await openPage(env.browser, env.server.url);
  await page.fill('#sizes', '784-16-784:tanh');
  await page.locator('#sizes').dispatchEvent('change');
  await page.fill('#lr', '0.01');
  await page.locator('#lr').dispatchEvent('change');
  await trainFor(page, 40);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
  assert.equal(download.suggestedFilename(), 'aelab-784-16-784-tanh.safetensors');
  const file = await download.path();
  const saved = params(file);
  await page.click('#stop');
  await page.selectOption('#preset', 'simple');
  await built(page, /^Built: 784-32-784 · /);
  await page.setInputFiles('#load', file);
  await page.waitForFunction(() => /Loaded .*: 784-16-784:tanh/.test(document.getElementById('engine').textContent));
  assert.equal(await page.inputValue('#sizes'), '784-16-784:tanh');
  assert.deepEqual([await page.inputValue('#hidden'), await page.inputValue('#code'), await page.inputValue('#outloss')], ['relu', 'relu', 'tanh/mse']);
  await built(page, /^Built: 784-16-784:tanh · relu, tanh · /);
  // Step, as Start does, goes on from the loaded weights when the form is as the load left it: one Adam
  // step at lr 0.001 moves each weight by about 0.001 (a fresh model would be the seed's initial weights,
  // 40 steps at lr 0.01 away)
  await page.click('#step');
  await page.waitForFunction(() => document.getElementById('n-step').textContent === '1');
  const [again] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
  const now = params(await again.path());
  assert.equal(now.length, saved.length);
  const moved = now.reduce((m, v, i) => Math.max(m, Math.abs(v - saved[i])), 0);
  assert.ok(moved < 0.003, `one step moved a weight by ${moved} from the loaded ones`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('noise demo: the slider changes the corrupted digits; a denoising model restores them; no long tasks while training', async () => {
  const { page, errors } = await openPage(env.browser, env.server.url);
  await page.evaluate(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => window.__longTasks.push(...list.getEntries().map((e) => e.duration))).observe({ type: 'longtask', buffered: false });
  });
  // a plain autoencoder first, kept for comparison
  // the same 784-128-784 network without noise first, kept for comparison
  await page.selectOption('#preset', 'plain128');
  await page.waitForFunction(() => document.getElementById('n-params').textContent === '201,616');
  await page.click('#start');
  await page.waitForFunction(() => Number(document.getElementById('n-step').textContent) >= 235, null, { timeout: 120000 });
  await page.click('#stop');
  await page.click('#pin');
  await page.waitForFunction(() => /Kept for comparison: 784-128-784 plain/.test(document.getElementById('pin-note').textContent));
  // the denoising twin has the same parameter count: wait for its fresh model (step 0), then one epoch each
  await page.selectOption('#preset', 'denoising');
  await page.waitForFunction(() => document.getElementById('n-step').textContent === '0' && /mask/.test(document.getElementById('demo-numbers').textContent));
  await trainFor(page, 235);
  const longTasks = await page.evaluate(() => window.__longTasks);
  assert.ok(longTasks.every((d) => d < 200), `main-thread tasks over 200 ms while training: ${longTasks}`);
  await demoAt(page, '0.2');
  const low = await canvasStats(page, 'demo');
  await demoAt(page, '0.6');
  const high = await canvasStats(page, 'demo');
  assert.notEqual(low.hash, high.hash, 'the corrupted image did not change with the slider');
  const noisy = Number(await page.locator('#demo-numbers').getAttribute('data-noisy'));
  const recon = Number(await page.locator('#demo-numbers').getAttribute('data-recon'));
  assert.ok(recon < noisy, `denoising output (${recon}) should be closer to clean than its input (${noisy})`);
  // same corrupted digits through the kept plain model: the denoising one restores them better
  await demoAt(page, '0.5');
  assert.match(await page.locator('#demo-numbers').textContent(), /kept model/);
  const plain = Number(await page.locator('#demo-numbers').getAttribute('data-pinned'));
  const denoised = Number(await page.locator('#demo-numbers').getAttribute('data-recon'));
  assert.ok(denoised < plain, `denoising model (${denoised}) should beat the plain one (${plain}) on masked digits`);
  // and on cross-entropy, the second measure the panel shows
  const [plainBce, denoisedBce] = await page.evaluate(() => [document.getElementById('demo-numbers').dataset.pinnedBce, document.getElementById('demo-numbers').dataset.reconBce].map(Number));
  assert.ok(denoisedBce < plainBce, `cross-entropy: denoising ${denoisedBce}, plain ${plainBce}`);
  assert.equal(await page.locator('#demo-why').isVisible(), true);
  assert.equal((await canvasStats(page, 'demo')).h, 4 * 28, 'four rows: clean, corrupted, current, kept');
  await shot(page, 'panel-noise', '#noise-panel');
  assert.deepEqual(errors, []);
  await page.close();
});

test('latent space: codes are plotted by digit and a click decodes the point', async () => {
  const { page, errors } = await openPage(env.browser, env.server.url);
  await page.selectOption('#preset', 'code2');
  await page.click('#start');
  await page.waitForFunction(() => Number(document.getElementById('n-step').textContent) >= 60, null, { timeout: 120000 });
  await page.click('#pause');
  await page.waitForFunction(() => /2-unit codes/.test(document.getElementById('latent-note').textContent));
  const scatter = await canvasStats(page, 'latent');
  assert.ok(scatter.sd > 5, 'scatter drawn');
  await page.locator('#latent').scrollIntoViewIfNeeded();
  const box = await page.locator('#latent').boundingBox();
  await page.mouse.click(box.x + box.width * 0.5, box.y + box.height * 0.5);
  await page.waitForFunction(() => /Decoded from/.test(document.getElementById('decoded-at').textContent));
  const a = await canvasStats(page, 'decoded');
  const firstText = await page.locator('#decoded-at').textContent();
  await page.mouse.click(box.x + box.width * 0.15, box.y + box.height * 0.8);
  await page.waitForFunction((h) => document.getElementById('decoded-at').textContent !== h, firstText);
  const b = await canvasStats(page, 'decoded');
  assert.ok(a.sd > 10 && a.hash !== b.hash, 'two latent points decode to different, non-blank images');
  await shot(page, 'panel-latent', '#latent-panel');
  assert.deepEqual(errors, []);
  await page.close();
});

test('cross-origin isolated: the threads build runs and gives the same model as the single-thread build', async () => {
  const iso = await serve({ isolate: true });
  try {
    const a = await openPage(env.browser, iso.url);
    assert.match(await a.page.locator('#engine').textContent(), /SIMD on \d+ threads/);
    const b = await openPage(env.browser, env.server.url);
    assert.match(await b.page.locator('#engine').textContent(), /SIMD, 1 thread/);
    for (const { page } of [a, b]) {
      for (let s = 1; s <= 5; s++) {
        await page.click('#step');
        await page.waitForFunction((n) => Number(document.getElementById('n-step').textContent) === n, s);
      }
      await page.waitForFunction(() => document.getElementById('recon').dataset.step === '5');
    }
    const [ra, rb] = [await canvasStats(a.page, 'recon'), await canvasStats(b.page, 'recon')];
    assert.equal(ra.hash, rb.hash, 'same seed, same reconstructions on 2 threads and on 1');
    assert.equal(await a.page.locator('#n-loss').textContent(), await b.page.locator('#n-loss').textContent());
    await shot(a.page, 'engine-threads', 'header');
    assert.deepEqual([...a.errors, ...b.errors], []);
    await a.page.close();
    await b.page.close();
  } finally {
    iso.close();
  }
});
