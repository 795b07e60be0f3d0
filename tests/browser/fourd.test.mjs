// 4-D to 2-D in headless Chromium, as the lecture states it: a linear 4-2-4 autoencoder reconstructs points
// of a flat plane almost exactly and fails on a curved surface; a non-linear 4-32-2-32-4 one does well on
// both. The numbers come from the page's own text; the views are drawn; a clean console.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { suite, openPage, shot, canvasStats } from './browser.mjs';

const env = suite();

test('linear succeeds on the plane and fails on the surface; non-linear does well on both', async () => {
  const { page, errors } = await openPage(env.browser, `${env.server.url}#v=1&panels=fourd`);
  await page.click('#fourd-train');
  await page.waitForFunction(() => document.getElementById('fourd-surface-text').dataset.nonlinear !== undefined, null, { timeout: 120000 });
  const got = await page.evaluate(() => Object.fromEntries(['plane', 'surface'].map((k) => {
    const d = document.getElementById(`fourd-${k}-text`).dataset;
    return [k, { linear: Number(d.linear), nonlinear: Number(d.nonlinear) }];
  })));
  // the bounds docs/instructors.md quotes: under a millionth, over 20%, under 1%
  assert.ok(got.plane.linear < 1e-6, `linear on the plane leaves ${got.plane.linear} of the variance`);
  assert.ok(got.surface.linear > 0.2, `linear on the surface leaves ${got.surface.linear}`);
  assert.ok(got.plane.nonlinear < 0.01 && got.surface.nonlinear < 0.01, `non-linear leaves ${got.plane.nonlinear} and ${got.surface.nonlinear}`);
  assert.ok(got.surface.nonlinear < got.surface.linear / 10, 'the non-linear model does ten times better on the surface');
  for (const id of ['fourd-plane', 'fourd-surface', 'fourd-surface-linear', 'fourd-surface-nonlinear']) {
    assert.ok((await canvasStats(page, id)).sd > 5, `${id} drawn`);
  }
  assert.match(await page.locator('#fourd-surface-text').textContent(), /linear \d+\.\d%, non-linear \d/);
  await shot(page, 'panel-fourd', '#fourd-panel');
  assert.deepEqual(errors, []);
  await page.close();
});
