// Feature maps and the first layer's kernels of a convolutional autoencoder (the Keras blog's W3), in headless
// Chromium: every channel of every image-shaped layer drawn for a chosen test digit and redrawn as the model
// trains and when the digit changes; the 16 3×3 kernels in the Filters panel and in the exported PNG; a dense
// model's input and output with a note; a phone's width; a clean console. Screenshots go to test-artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { suite, openPage, shot, canvasStats } from './browser.mjs';

const env = suite();

const W3 = '1x28x28-conv16k3-pool2-conv8k3-pool2-conv8k3-pool2-conv8k3-up2-conv8k3-up2-conv16k3v-up2-conv1k3';
// W3's image-shaped tensors: the input, then each layer's output as [kind, c, h, w]
const W3_MAPS = [['input', 1, 28, 28], ['conv', 16, 28, 28], ['pool', 16, 14, 14], ['conv', 8, 14, 14], ['pool', 8, 7, 7], ['conv', 8, 7, 7],
  ['pool', 8, 4, 4], ['conv', 8, 4, 4], ['up', 8, 8, 8], ['conv', 8, 8, 8], ['up', 8, 16, 16], ['conv', 16, 14, 14], ['up', 16, 28, 28], ['conv', 1, 28, 28]];

const step = (page) => page.locator('#n-step').textContent().then(Number);
const mapsIndex = (page) => page.evaluate(() => document.getElementById('features-maps').dataset.index);

/** Each figure of the feature maps panel as { kind, channels, tiles, caption, w, h, scale, label }: the canvas's size
 * in pixels, each map pixel drawn scale×scale. */
const figures = (page) => page.evaluate(() => [...document.querySelectorAll('#features-maps figure')].map((f) => {
  const c = f.querySelector('canvas');
  return { kind: f.dataset.kind, channels: Number(f.dataset.channels), tiles: Number(f.dataset.tiles), caption: f.querySelector('figcaption').textContent,
    w: c.width, h: c.height, scale: Number(c.dataset.scale), label: c.getAttribute('aria-label') };
}));

test('a dense model: the feature maps panel says they are for convolutional models and shows input and output', async () => {
  const { page, errors } = await openPage(env.browser, env.server.url);
  await page.click('#step');
  await page.waitForFunction(() => /for convolutional models/.test(document.getElementById('features-text').textContent));
  const figs = await figures(page);
  assert.deepEqual(figs.map((f) => [f.kind, f.tiles, f.w, f.h]), [['input', 1, 58, 58], ['dense', 1, 58, 58]]); // 28×28 at 2× and a 1-pixel border
  assert.ok((await canvasStats(page, 'features-0')).sd > 30, 'the input digit drawn');
  assert.equal(await page.locator('#filters').getAttribute('data-kind'), 'dense');
  assert.ok((await canvasStats(page, 'filters')).sd > 10, 'the units\' weights drawn');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a conv model: feature maps of every channel update with training and with the digit; 16 kernels drawn and exported', async () => {
  const { page, errors } = await openPage(env.browser, env.server.url);
  // the W3 preset if the page has it, else its spec typed in: the same model either way
  if (await page.locator('#preset option[value="w3"]').count()) await page.selectOption('#preset', 'w3');
  else await page.fill('#sizes', W3);
  assert.equal((await page.inputValue('#sizes')).trim(), W3);
  await page.click('#start');
  await page.waitForFunction(() => Number(document.getElementById('n-step').textContent) >= 3, null, { timeout: 60000 });
  await page.waitForFunction(() => document.querySelectorAll('#features-maps figure').length === 14);
  const early = await canvasStats(page, 'features-1');
  // redrawn while it trains: the first conv layer's maps of the same digit change as its weights do
  await page.waitForFunction((h) => {
    const c = document.getElementById('features-1');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    return Array.from(d.filter((_, i) => i % 4 === 0)).reduce((a, v) => (a * 31 + v) >>> 0, 7) !== h;
  }, early.hash, { timeout: 60000 });
  const trained = await step(page);
  await page.waitForFunction((s) => Number(document.getElementById('n-step').textContent) >= s + 10, trained, { timeout: 120000 });
  await page.click('#pause');
  await page.waitForFunction(() => !document.getElementById('resume').disabled);

  // one figure per image-shaped tensor, labelled with its kind and shape; one tile per channel (at most 32),
  // 8 to a row with 1-pixel gaps, each about 48 pixels wide whatever the map's size
  const figs = await figures(page);
  assert.deepEqual(figs.map((f) => [f.kind, f.channels]), W3_MAPS.map(([k, c]) => [k, c]));
  figs.forEach((f, i) => {
    const [kind, c, h, w] = W3_MAPS[i];
    assert.equal(f.caption, `${kind} ${c}×${h}×${w}`);
    assert.equal(f.tiles, Math.min(c, 32));
    assert.ok(w * f.scale >= 40 && w * f.scale <= 56, `${f.caption}: drawn ${f.scale}×`);
    assert.equal(f.w, Math.min(f.tiles, 8) * (w * f.scale + 1) + 1, `${f.caption} width`);
    assert.equal(f.h, Math.ceil(f.tiles / 8) * (h * f.scale + 1) + 1, `${f.caption} height`);
    assert.match(f.label, new RegExp(`${c === 1 ? 'its one channel' : `its ${c} channels`} as ${h}×${w} images`));
  });
  for (const id of ['features-0', 'features-1', 'features-4']) assert.ok((await canvasStats(page, id)).sd > 20, `${id} drawn`);

  // another digit, paused: new pictures, on demand
  assert.equal(await mapsIndex(page), '0');
  const before = [await canvasStats(page, 'features-0'), await canvasStats(page, 'features-1')];
  await page.click('#features-next');
  await page.waitForFunction(() => document.getElementById('features-maps').dataset.index === '1');
  assert.match(await page.locator('#features-text').textContent(), /^Test digit 1 \(a 2\)/);
  const after = [await canvasStats(page, 'features-0'), await canvasStats(page, 'features-1')];
  assert.notEqual(after[0].hash, before[0].hash, 'the input changed');
  assert.notEqual(after[1].hash, before[1].hash, 'the first conv layer\'s maps changed');
  await page.fill('#features-index', '1234');
  await page.locator('#features-index').dispatchEvent('change');
  await page.waitForFunction(() => document.getElementById('features-maps').dataset.index === '1234');
  await page.click('#features-random');
  await page.waitForFunction(() => document.getElementById('features-maps').dataset.index === document.getElementById('features-index').value);
  await shot(page, 'panel-features', '#features-panel');

  // the Filters panel: W3's first layer has 16 filters over 1 channel, 16 kernels of 3×3 drawn 8 pixels a
  // weight with 2-pixel gaps
  const filt = await page.evaluate(() => ({ ...document.getElementById('filters').dataset, w: document.getElementById('filters').width, h: document.getElementById('filters').height }));
  assert.deepEqual(filt, { kind: 'conv', tiles: '16', total: '16', w: 16 * 26 + 2, h: 28 });
  assert.ok((await canvasStats(page, 'filters')).sd > 30, 'kernels drawn');
  assert.match(await page.locator('#filters-conv').textContent(), /3×3 kernel of the first convolution.*16 filters over one input channel/);
  assert.equal(await page.locator('#filters-dense').isVisible(), false);
  await shot(page, 'panel-filters-conv', '#filters-panel');
  // Export: the engine's PNG of the same 16 kernels, 3×3 at 8 pixels a weight with 1-pixel gaps, 16 to a row
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#png-filters')]);
  assert.equal(download.suggestedFilename(), 'aelab-filters.png');
  const png = fs.readFileSync(await download.path());
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [16 * 25 + 1, 26], 'PNG width and height');

  // a phone's width: nothing wider than the screen
  await page.setViewportSize({ width: 390, height: 800 });
  // the chart and the drawings follow the width in their resize handlers: let them run, then measure
  await page.waitForFunction(() => document.documentElement.scrollWidth <= 390, null, { timeout: 5000 }).catch(() => {});
  const wide = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, maps: Math.max(...[...document.querySelectorAll('#features-panel canvas, #filters')].map((c) => c.getBoundingClientRect().right)) }));
  assert.ok(wide.page <= 390 && wide.maps <= 390, `wider than a phone: ${JSON.stringify(wide)}`);
  await shot(page, 'panel-features-phone', '#features-panel');
  assert.deepEqual(errors, []);
  await page.close();
});
