// The second built-in data set, Fashion-MNIST (Debian's dataset-fashion-mnist, served from the page's
// data/fashion/): one click loads it, the page words itself for images rather than digits (the top line
// too) and names the classes (the latent map's legend), a drawing becomes an input as Fashion-MNIST's items
// were made (filling the frame), the link says so and opens on it, a model trains on it, and MNIST comes back
// (and MNIST's recipe for the drawing); a clean console.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { suite, openPage, canvasStats, drawStroke } from './browser.mjs';

const env = suite();
const text = (page, id) => page.locator(`#${id}`).textContent();

test('Fashion-MNIST: loaded with one click, worded for clothing, kept in the link, trained on; MNIST back', async () => {
  const { page, errors } = await openPage(env.browser, `${env.server.url}#v=1&panels=loss,recon,latent,draw,data`);
  assert.equal(await text(page, 'recon-h'), 'Test digits and their reconstructions');
  assert.match(await text(page, 'engine'), /^Ready: MNIST, 60,000 training and 10,000 test digits/);
  const chart = () => page.$eval('#chart canvas', (c) => c.toDataURL());
  const blankChart = await chart();
  await page.click('#data-fashion');
  await page.waitForFunction(() => /Training on Fashion-MNIST: 60,000 training and 10,000 test images of 28×28 pixels/.test(document.getElementById('data-status').textContent));
  assert.equal(await text(page, 'recon-h'), 'Test images and their reconstructions');
  assert.match(await text(page, 'engine'), /^Ready: Fashion-MNIST, 60,000 training and 10,000 test images/, 'the top line follows the data');
  assert.equal(await text(page, 'draw-text'), 'Draw an image above.');
  assert.match(page.url(), /data=fashion/);
  // the model fits (28×28): it trains on clothing now
  await page.click('#step');
  await page.waitForFunction(() => Number(document.getElementById('n-step').textContent) >= 1);
  const clothes = await canvasStats(page, 'recon');
  assert.ok(clothes.sd > 20, 'clothing drawn');
  // the latent map's legend names the classes, not the digits 0-9
  await page.waitForFunction(() => /ankle boot/.test(document.getElementById('latent-legend').textContent), null, { timeout: 60000 });
  assert.match(await text(page, 'latent-legend'), /^■ T-shirt\/top■ trouser.*■ ankle boot$/);
  // a drawing is made into an input as Fashion-MNIST's were: its ink fills the frame (MNIST's: a 20×20 box)
  assert.match(await text(page, 'draw-recipe'), /as Fashion-MNIST's were made: its ink scaled to fill the frame/);
  await drawStroke(page);
  const inkRows = () => page.evaluate(() => {
    const p = document.getElementById('draw-in').getContext('2d').getImageData(0, 0, 28, 28).data;
    let n = 0;
    for (let y = 0; y < 28; y++) { let m = 0; for (let x = 0; x < 28; x++) m = Math.max(m, p[4 * (y * 28 + x)]); n += m > 60; }
    return n;
  });
  assert.ok((await inkRows()) >= 26, `a vertical stroke fills the frame's height under Fashion-MNIST: ${await inkRows()} rows`);
  // a link with data=fashion opens on it
  const second = await openPage(env.browser, page.url());
  await second.page.waitForFunction(() => /Fashion-MNIST/.test(document.getElementById('engine').textContent + document.getElementById('data-status').textContent));
  assert.equal(await text(second.page, 'recon-h'), 'Test images and their reconstructions');
  assert.deepEqual(second.errors, []);
  await second.page.close();
  await page.click('#data-mnist');
  await page.waitForFunction(() => /Training on MNIST: 60,000/.test(document.getElementById('data-status').textContent));
  assert.equal(await text(page, 'recon-h'), 'Test digits and their reconstructions');
  assert.match(await text(page, 'engine'), /^Ready: MNIST, 60,000 training and 10,000 test digits/);
  assert.doesNotMatch(page.url(), /data=fashion/);
  // the model went on with new data: its loss chart starts empty, as on a fresh page (not the last run's axis)
  await page.waitForFunction(() => document.getElementById('n-step').textContent === '0');
  assert.equal(await chart(), blankChart, 'the loss chart after new data is not a fresh one');
  // the same strokes, made into an input MNIST's way
  assert.match(await text(page, 'draw-recipe'), /as MNIST's were made: its ink scaled into a 20×20 box/);
  await page.waitForFunction(() => {
    const p = document.getElementById('draw-in').getContext('2d').getImageData(0, 0, 28, 28).data;
    let n = 0;
    for (let y = 0; y < 28; y++) { let m = 0; for (let x = 0; x < 28; x++) m = Math.max(m, p[4 * (y * 28 + x)]); n += m > 60; }
    return n >= 18 && n <= 22;
  });
  assert.deepEqual(errors, []);
  await page.close();
});
