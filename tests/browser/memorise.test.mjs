// Sensitive, not memorising, in headless Chromium: a 784-256-784 autoencoder on 300 training digits for 300
// epochs; its training loss keeps falling while its test loss passes a minimum and rises, which the page
// draws and says. Seeded, so the same curves every run; a clean console.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { suite, openPage, shot, canvasStats } from './browser.mjs';

const env = suite();

test('on a few hundred digits the test loss turns up while the training loss keeps falling', async () => {
  const { page, errors } = await openPage(env.browser, `${env.server.url}#v=1&chapter=complete`);
  // out of range: said, and nothing runs
  await page.fill('#memorise-n', '99999');
  await page.click('#memorise-run');
  await page.waitForFunction(() => /Training digits: 10 to 1,000/.test(document.getElementById('error-text').textContent));
  assert.equal(await page.locator('#memorise-run').isEnabled(), true);
  await page.fill('#memorise-n', '300');
  await page.click('#memorise-run');
  await page.waitForFunction(() => document.getElementById('memorise-text').dataset.done === 'true', null, { timeout: 300000 });
  const d = await page.evaluate(() => ({ ...document.getElementById('memorise-text').dataset }));
  const [best, last, bestTrain, lastTrain] = [d.best, d.last, d.bestTrain, d.lastTrain].map(Number);
  assert.ok(last > best * 1.02, `the test loss rose from its minimum ${best} to ${last}`);
  assert.ok(lastTrain < bestTrain, `while the training loss fell from ${bestTrain} to ${lastTrain}`);
  assert.match(await page.locator('#memorise-text').textContent(), /was lowest at epoch \d+ .* memorising\./);
  assert.ok((await canvasStats(page, 'memorise-chart')).sd > 3, 'the curves drawn');
  await shot(page, 'panel-memorise', '#memorise-panel');
  assert.deepEqual(errors, []);
  await page.close();
});
