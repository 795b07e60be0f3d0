// Keeping the run across a reload (web/persist.js): the Worker keeps the model, its settings and its loss
// curves in IndexedDB as it trains; after a reload the page offers them back, Restore brings back the same
// weights, counters and curves and training goes on, Discard forgets them, and Start with the offer
// unanswered sets the offered run aside for the next reload and keeps the new one; leaving the page warns
// only when trained steps would be lost; without IndexedDB the page still works and says so once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { suite, serve, openPage, trainFor, canvasStats } from './browser.mjs';

const env = suite();

const text = (page, id) => page.locator(`#${id}`).textContent();
const keptAll = (page) => page.waitForFunction(() => document.getElementById('restore').dataset.kept === document.getElementById('n-step').textContent);
const barState = (page, s) => page.waitForFunction((want) => document.getElementById('restore').dataset.state === want, s, { timeout: 60000 });

async function reload(page) {
  await page.reload();
  await page.waitForFunction(() => !document.getElementById('start').disabled, null, { timeout: 60000 });
}

/** Everything Restore must bring back, and the weights as Save model downloads them. */
async function runState(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
  const weights = fs.readFileSync(await download.path());
  const chart = await page.evaluate(() => {
    const c = document.querySelector('#chart canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    return d.reduce((a, v) => (a * 31 + v) >>> 0, 7);
  });
  const fields = {};
  for (const id of ['preset', 'sizes', 'hidden', 'code', 'outloss', 'optimizer', 'lr', 'batch', 'epochs', 'seed', 'noise', 'noiseLevel']) fields[id] = await page.inputValue(`#${id}`);
  return {
    weights,
    shown: {
      step: await text(page, 'n-step'), epoch: await text(page, 'n-epoch'), loss: await text(page, 'n-loss'), test: await text(page, 'n-test'),
      points: await page.locator('#chart').getAttribute('data-points'), chart, recon: (await canvasStats(page, 'recon')).hash, fields,
    },
  };
}

/** Leave the page as a user following a link would, accepting any dialog; the dialogs it raised. (With
 * Debian's Chromium 156, page.close({ runBeforeUnload: true }) closes without ever showing the dialog, so
 * a navigation stands in for closing the tab; the handler is the same.) */
async function leave(page) {
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.type()); d.accept(); });
  await page.goto('about:blank');
  await page.close();
  return dialogs;
}

/** Train, reload, restore, compare, train on. */
async function reloadAndRestore(url, variant) {
  const { page, errors } = await openPage(env.browser, url);
  assert.equal(await page.locator('#engine').getAttribute('data-variant'), variant);
  await page.fill('#seed', '7');
  await page.locator('#seed').dispatchEvent('change');
  await page.fill('#lr', '0.002');
  await page.locator('#lr').dispatchEvent('change');
  await trainFor(page, 250); // past the end of the first epoch (235 steps), so the curve has a test loss
  await keptAll(page);
  const before = await runState(page);
  assert.notEqual(before.shown.test, '–');
  assert.equal(before.shown.fields.seed, '7');
  // reload the bare address: the settings must come from the kept run, not from the link
  await page.evaluate(() => history.replaceState(null, '', location.pathname));
  await reload(page);
  await barState(page, 'offer');
  assert.equal(await page.locator('#restore').isVisible(), true);
  assert.equal(await text(page, 'restore-text'),
    `Restore the model you were training: 784-32-784, epoch ${Math.ceil(before.shown.step / 235)} of 5, step ${before.shown.step}, saved just now.`);
  assert.equal(await page.inputValue('#seed'), '1', 'a fresh page starts from the defaults');
  await page.click('#restore-yes');
  await barState(page, 'restored');
  assert.equal(await page.locator('#restore').isVisible(), false);
  const after = await runState(page);
  assert.deepEqual(after.shown, before.shown);
  assert.ok(after.weights.equals(before.weights), 'the restored weights differ from the ones before the reload');
  assert.match(page.url(), /seed=7/);
  // training goes on from the restored step, and the next epoch ends where the total reaches 2 × 235
  const step = Number(before.shown.step);
  await page.click('#resume');
  await page.waitForFunction((s) => document.getElementById('n-step').textContent !== String(s), step);
  assert.ok(Number(await text(page, 'n-step')) > step, 'the step counter started again from 0');
  await page.waitForFunction(() => Number(document.getElementById('n-step').textContent) > 470, null, { timeout: 180000 });
  await page.click('#pause');
  await page.waitForFunction(() => !document.getElementById('resume').disabled);
  assert.equal(await text(page, 'n-epoch'), '3 of 5');
  assert.notEqual(await text(page, 'n-test'), before.shown.test, 'no test loss at the end of the second epoch');
  assert.ok(Number(await page.locator('#chart').getAttribute('data-points')) > Number(before.shown.points));
  assert.deepEqual(errors, []);
  await keptAll(page);
  await page.close();
}

test('a reload offers the run back; Restore brings back the weights, settings, counters and curves, and training goes on', async () => {
  await reloadAndRestore(env.server.url, 'simd');
});

test('the same on the cross-origin isolated page (threads build)', async () => {
  const iso = await serve({ isolate: true });
  try {
    await reloadAndRestore(iso.url, 'threads');
  } finally {
    iso.close();
  }
});

test('Discard forgets the kept run: the next reload offers nothing', async () => {
  const { page, errors } = await openPage(env.browser, env.server.url);
  await barState(page, 'none'); // a fresh browser: nothing to offer
  await trainFor(page, 5);
  await keptAll(page);
  await reload(page);
  await barState(page, 'offer');
  // an error at the same time stays in view below the question, not over it
  await page.evaluate(() => window.scrollTo(0, 600));
  await page.fill('#sizes', '784-0-784');
  await page.locator('#sizes').dispatchEvent('change');
  await page.waitForFunction(() => /widths must be/.test(document.getElementById('error').textContent));
  const [q, err] = [await page.locator('#restore').boundingBox(), await page.locator('#error').boundingBox()];
  assert.ok(q.y >= 0 && err.y >= q.y + q.height, `the error line (${JSON.stringify(err)}) covers the restore bar (${JSON.stringify(q)})`);
  await page.fill('#sizes', '784-32-784');
  await page.locator('#sizes').dispatchEvent('change');
  await page.waitForFunction(() => document.getElementById('error').hidden);
  await page.click('#restore-no');
  await barState(page, 'discarded');
  assert.equal(await page.locator('#restore').isVisible(), false);
  await reload(page);
  await barState(page, 'none');
  assert.equal(await page.locator('#restore').isVisible(), false);
  assert.deepEqual(errors, []);
  await page.close();
});

test('Start with the offer unanswered sets the offered run aside: the new run is kept, the next reload offers both', async () => {
  const { page, errors } = await openPage(env.browser, env.server.url);
  await trainFor(page, 240); // into the second epoch, so the two runs differ
  await keptAll(page);
  const first = Number(await text(page, 'n-step'));
  await reload(page);
  await barState(page, 'offer');
  assert.equal(await page.locator('#restore-earlier').isVisible(), false, 'Restore earlier offered with no earlier run');
  await trainFor(page, 3); // ignore the bar and train
  await barState(page, 'declined');
  assert.equal(await page.locator('#restore').isVisible(), false, 'the offer stayed up over a new run, where Restore would throw it away');
  assert.equal(await page.locator('#keep-note').isVisible(), true);
  assert.equal(await text(page, 'keep-note'), `The run offered at the top (784-32-784, step ${first}) is set aside, not lost: the next reload offers it again.`);
  await keptAll(page); // Pause wrote the new run, as it would with no offer
  const second = Number(await text(page, 'n-step'));
  assert.ok(second < first);
  await reload(page);
  await barState(page, 'offer');
  const run = (step) => `784-32-784, epoch ${Math.ceil(step / 235)} of 5, step ${step}, saved [^.]+`; // "just now", "1 minute ago"
  const offered = (latest, earlier) => new RegExp(`^Restore the model you were training: ${run(latest)}\\. An earlier run is kept too: ${run(earlier)}\\.$`);
  assert.match(await text(page, 'restore-text'), offered(second, first));
  await page.click('#restore-earlier');
  await barState(page, 'restored');
  assert.equal(await text(page, 'n-step'), String(first));
  await reload(page); // the restored run is now the current one, the other the earlier one
  await barState(page, 'offer');
  assert.match(await text(page, 'restore-text'), offered(first, second));
  assert.deepEqual(errors, []);
  await page.close();
});

test('leaving warns while trained steps are not kept, and not on an untouched page or once they are kept', async () => {
  const fresh = await openPage(env.browser, env.server.url);
  await fresh.page.click('#show-filters'); // a user gesture, so a beforeunload dialog could show
  await fresh.page.click('#show-filters');
  assert.deepEqual(await leave(fresh.page), [], 'a page where nothing was trained asks before closing');

  const busy = await openPage(env.browser, env.server.url);
  await busy.page.click('#start');
  // the first write comes a few seconds into training: until then the steps are only in the page
  await busy.page.waitForFunction(() => Number(document.getElementById('n-step').textContent) > Number(document.getElementById('restore').dataset.kept ?? 0));
  assert.deepEqual(await leave(busy.page), ['beforeunload']);

  const paused = await openPage(env.browser, env.server.url);
  await trainFor(paused.page, 5); // Pause writes the run
  await keptAll(paused.page);
  assert.deepEqual(await leave(paused.page), [], 'a kept run still asks before closing');
});

/** The page as in a third-party iframe with storage blocked: opening the database is refused. */
async function openWithoutStorage() {
  const page = await env.browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.route('**/persist.js', async (route) => {
    const res = await route.fetch();
    const body = `const indexedDB = { open() { throw new DOMException('The user denied permission to access the database.', 'SecurityError'); } };\n${await res.text()}`;
    await route.fulfill({ response: res, body });
  });
  await page.goto(env.server.url);
  await page.waitForFunction(() => !document.getElementById('start').disabled, null, { timeout: 60000 });
  return { page, errors };
}

test('without IndexedDB the page trains, says once that restore is off, and warns until the model is downloaded', async () => {
  const a = await openWithoutStorage();
  await barState(a.page, 'off');
  assert.equal(await a.page.locator('#keep-off').isVisible(), true);
  assert.match(await text(a.page, 'keep-off'), /^Restore after a reload is off/);
  await trainFor(a.page, 5);
  assert.equal(await a.page.locator('#restore').isVisible(), false);
  assert.deepEqual(a.errors, []);
  assert.deepEqual(await leave(a.page), ['beforeunload'], 'trained steps kept nowhere, and no warning');

  const b = await openWithoutStorage();
  await trainFor(b.page, 5);
  const [download] = await Promise.all([b.page.waitForEvent('download'), b.page.click('#save')]);
  await download.path();
  assert.deepEqual(b.errors, []);
  assert.deepEqual(await leave(b.page), [], 'a downloaded model still asks before closing');
});
