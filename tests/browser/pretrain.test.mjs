// The pretraining walkthrough in headless Chromium, as a student would use it: Step runs exactly one step
// (layer 1's autoencoder: its reconstructions and filters drawn), Run goes through every step to the end in
// the lecture's order with the baseline beside the supervised steps; the frozen encoder is shown not to
// move; the table, the chart and the gradient line are filled; the settings live in the link; a clean
// console. The default setting's wall time is printed (docs/instructors.md quotes it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { suite, openPage, shot, canvasStats } from './browser.mjs';

const env = suite();

const states = (page) => page.evaluate(() => [...document.querySelectorAll('#pt-steps li')].map((li) => li.dataset.state));

test('the walkthrough steps, runs every step, and shows its evidence', async () => {
  const { page, errors } = await openPage(env.browser, `${env.server.url}#v=1&panels=pretrain,data`);
  await page.waitForFunction(() => !document.getElementById('pt-run').disabled);
  // a fresh page's first data is not "new data": the panel says what the walkthrough is
  assert.match(await page.locator('#pt-status').textContent(), /^The network: the image, 256 and 128 hidden units/);
  const t0 = Date.now();
  // Step: layer 1 only, then it pauses with the next step waiting
  await page.click('#pt-step');
  await page.waitForFunction(() => {
    const li = document.querySelectorAll('#pt-steps li');
    return li.length === 7 && li[0].dataset.state === 'done' && !document.getElementById('pt-run').disabled;
  }, null, { timeout: 180000 });
  const after1 = await states(page);
  assert.deepEqual(after1, ['done', 'next', 'waiting', 'waiting', 'waiting', 'waiting', 'waiting']);
  assert.match(await page.locator('#pt-steps li').first().textContent(), /pretrain layer 1 as an autoencoder 784-256:relu-784:sigmoid/);
  assert.equal(await page.locator('#pt-run').textContent(), 'Resume');
  // the bottom row: layer 1's reconstructions of the digits above them, drawn and digit-like
  const recon = await page.evaluate(() => {
    const c = document.getElementById('pt-recon');
    const top = c.getContext('2d').getImageData(0, 0, c.width, c.height / 2).data;
    const bottom = c.getContext('2d').getImageData(0, c.height / 2, c.width, c.height / 2).data;
    let sd = 0, diff = 0, mean = 0;
    for (let i = 0; i < bottom.length; i += 4) mean += bottom[i] / (bottom.length / 4);
    for (let i = 0; i < bottom.length; i += 4) { sd += (bottom[i] - mean) ** 2 / (bottom.length / 4); diff += Math.abs(bottom[i] - top[i]) / (bottom.length / 4); }
    return { sd: Math.sqrt(sd), diff };
  });
  assert.ok(recon.sd > 30 && recon.diff < 40, `layer 1's reconstructions: spread ${recon.sd.toFixed(1)}, mean difference from the digits ${recon.diff.toFixed(1)} of 255`);
  assert.match(await page.locator('#pt-recon-cap').textContent(), /by layer 1's pretrained autoencoder/);
  await page.waitForFunction(() => document.getElementById('pt-filters').naturalWidth > 0);
  // Run: every step to the end
  await page.click('#pt-run');
  await page.waitForFunction(() => [...document.querySelectorAll('#pt-steps li')].every((li) => li.dataset.state === 'done'), null, { timeout: 600000 });
  const secs = (Date.now() - t0) / 1000;
  console.log(`# the default walkthrough (784-256-128-10, modern, 100 labels per class) took ${secs.toFixed(0)} s in headless Chromium here`);
  assert.equal(await page.locator('#pt-frozen').getAttribute('data-moved'), 'false');
  assert.match(await page.locator('#pt-frozen').textContent(), /stayed exactly as they were, bit for bit/);
  const table = await page.evaluate(() => [...document.querySelectorAll('#pt-table tbody tr')].map((tr) => [tr.dataset.recipe, ...[...tr.cells].slice(1).map((c) => c.textContent)]));
  assert.deepEqual(table.map((r) => r[0]), ['greedy', 'none', 'e2e']);
  for (const [recipe, top, fine, train] of table) {
    assert.match(fine, /^\d+\.\d%$/, `${recipe} has a fine-tuned accuracy`);
    assert.ok(parseFloat(fine) > 70, `${recipe}: ${fine} after fine-tuning on 1,000 labels`);
    assert.ok(parseFloat(train) >= parseFloat(fine) - 5, `${recipe}: its labelled images ${train} against test ${fine}`);
    if (recipe !== 'none') assert.ok(parseFloat(top) > 30, `${recipe}: the top layer alone on pretrained features gives ${top}`);
  }
  const grads = await page.locator('#pt-grads').textContent();
  assert.match(grads, /during step 3: pretrained frozen, frozen, [\d.e-]+; random init [\d.e-]+, [\d.e-]+, [\d.e-]+/);
  assert.match(grads, /during step 4: pretrained [\d.e-]+, [\d.e-]+, [\d.e-]+; random init [\d.e-]+/);
  assert.ok((await canvasStats(page, 'pt-chart')).sd > 5, 'the accuracy chart drawn');
  assert.match(await page.locator('#pt-status').textContent(), /step 7 of 7, finished/);
  await shot(page, 'pretrain-walkthrough', '#pretrain-panel');
  // the settings are in the link; changed, they are a new walkthrough (said so), not a resumed one
  await page.selectOption('#pt-setting', 'historical');
  assert.match(page.url(), /pt=historical/);
  assert.match(await page.locator('#pt-status').textContent(), /settings above have changed: Run starts a new walkthrough/);
  assert.equal(await page.locator('#pt-run').textContent(), 'Run');
  // the data can change under a walkthrough: its jobs go with the old data
  await page.click('#data-fashion');
  await page.waitForFunction(() => /Training on Fashion-MNIST/.test(document.getElementById('data-status').textContent));
  assert.equal(await page.locator('#pt-steps li').count(), 0);
  assert.match(await page.locator('#pt-status').textContent(), /New data: Run starts the walkthrough on it/);
  assert.deepEqual(errors, []);
  await page.close();
});
