// Undercomplete or overcomplete, in headless Chromium as a user drives it: the chapter's link, the panel's
// button, then the four models' reconstructions and errors. The plain overcomplete autoencoder copies: its
// error on noise it never saw is far below the undercomplete model's (and the sparse and denoising ones'),
// and the page says so. Seeded, so the same numbers every run; a clean console.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { suite, openPage, shot, canvasStats } from './browser.mjs';

const env = suite();

test('the plain overcomplete autoencoder rebuilds noise far better than the undercomplete, sparse and denoising ones', async () => {
  const { page, errors } = await openPage(env.browser, `${env.server.url}#v=1&chapter=complete`);
  assert.equal(await page.locator('#overcomplete-panel').isVisible(), true);
  // out of range: said, and nothing runs
  await page.fill('#oc-steps', '50');
  await page.click('#oc-run');
  await page.waitForFunction(() => /Steps per model: 100 to 5,000/.test(document.getElementById('error-text').textContent));
  assert.equal(await page.locator('#oc-run').isEnabled(), true);
  await page.fill('#oc-steps', '1000');
  await page.click('#oc-run');
  await page.waitForFunction(() => /Training the undercomplete model/.test(document.getElementById('oc-status').textContent));
  await page.waitForFunction(() => document.getElementById('oc-text').dataset.copies !== undefined, null, { timeout: 600000 });
  const err = await page.evaluate(() => Object.fromEntries(['under', 'plain', 'sparse', 'denoising'].map((k) => {
    const d = document.getElementById(`oc-row-${k}`).dataset;
    return [k, { noise: Number(d.noise), digits: Number(d.digits) }];
  })));
  for (const k of ['under', 'sparse', 'denoising']) {
    assert.ok(err.plain.noise < err[k].noise / 3, `plain overcomplete's error on noise ${err.plain.noise} is far below the ${k} model's ${err[k].noise}`);
  }
  assert.ok(err.plain.noise < err.under.digits, `and below the undercomplete model's error on digits ${err.under.digits}`);
  // the page shows it: the inputs and every model's reconstructions drawn, the numbers, what they mean
  for (const k of ['input', 'under', 'plain', 'sparse', 'denoising']) {
    for (const what of ['noise', 'digits']) assert.ok((await canvasStats(page, `oc-${k}-${what}`)).sd > 10, `${k} ${what} drawn`);
  }
  assert.equal(await page.locator('#oc-row-plain td').nth(2).textContent(), err.plain.noise.toFixed(4));
  assert.equal(await page.evaluate(() => document.getElementById('oc-text').dataset.copies), 'true');
  assert.match(await page.locator('#oc-text').textContent(), /^The plain overcomplete model copies: it rebuilds noise, .* \d+ times lower than the undercomplete model's/);
  assert.match(await page.locator('#oc-status').textContent(), /^Done: four models, 1,000 steps/);
  assert.equal(await page.locator('#oc-run').isEnabled(), true);
  await shot(page, 'panel-overcomplete', '#overcomplete-panel');
  assert.deepEqual(errors, []);
  await page.close();
});

test('new data stops a run and clears the old numbers; a run on Fashion-MNIST is worded for images and says what it shows', async () => {
  const { page, errors } = await openPage(env.browser, `${env.server.url}#v=1&chapter=complete`);
  await page.check('#show-data');
  await page.click('#oc-run');
  await page.waitForFunction(() => /Training the undercomplete model|Training the plain/.test(document.getElementById('oc-status').textContent));
  await page.click('#data-fashion');
  await page.waitForFunction(() => /New data: Train all four runs it on them\./.test(document.getElementById('oc-status').textContent), null, { timeout: 60000 });
  assert.equal(await page.locator('#oc-table').isHidden(), true);
  await page.waitForFunction(() => !document.getElementById('oc-run').disabled);
  // a short run: whatever it shows, the page words it for clothing and from the numbers
  await page.fill('#oc-steps', '100');
  await page.click('#oc-run');
  await page.waitForFunction(() => document.getElementById('oc-text').dataset.copies !== undefined, null, { timeout: 300000 });
  assert.match(await page.locator('#oc-status').textContent(), /^Done: four models, 100 steps of 32 training images each\. .* 500 test images\.$/);
  assert.deepEqual(await page.locator('#oc-table thead th').allTextContents(), ['model', 'noise', 'test images', 'noise error', 'image error']);
  const copies = await page.evaluate(() => document.getElementById('oc-text').dataset.copies);
  const says = await page.locator('#oc-text').textContent();
  assert.match(says, copies === 'true' ? /^The plain overcomplete model copies/ : /^In this run the plain overcomplete model did not clearly copy/);
  assert.doesNotMatch(says, /digit/);
  assert.ok((await canvasStats(page, 'oc-input-digits')).sd > 10, 'clothing drawn');
  assert.deepEqual(errors, []);
  await page.close();
});
