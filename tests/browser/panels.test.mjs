// The exploration panels as a user works them, in headless Chromium: a linear and a non-linear
// autoencoder on a curve, blending two digits through the code, erasing part of a digit and having it filled in, drawing a digit, bringing one's own IDX files
// (good, bad, of another size, a gzip bomb and broken gzip), choosing the visible panels by link, the page's
// first frame (the sections the panels' modules declare already in place), the keyboard on the latent map, and
// the scalar build. A screenshot of each panel goes to test-artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import os from 'node:os';
import { suite, serve, openPage, shot, canvasStats, trainFor, drawStroke, root } from './browser.mjs';

const env = suite();

const text = (page, id) => page.locator(`#${id}`).textContent();
const data = (page, id, key) => page.locator(`#${id}`).getAttribute(`data-${key}`).then(Number);

/** IDX files cut from the MNIST test set: the first n images, optionally 2×2 average-pooled to 14×14. */
function idxFiles(n, pool) {
  const img = zlib.gunzipSync(fs.readFileSync(path.join(root, 'build/site/data/t10k-images-idx3-ubyte.gz')));
  const lab = zlib.gunzipSync(fs.readFileSync(path.join(root, 'build/site/data/t10k-labels-idx1-ubyte.gz')));
  const side = pool ? 14 : 28;
  const out = Buffer.alloc(16 + n * side * side);
  out.writeUInt32BE(0x803, 0); out.writeUInt32BE(n, 4); out.writeUInt32BE(side, 8); out.writeUInt32BE(side, 12);
  for (let k = 0; k < n; k++)
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) {
        const px = (yy, xx) => img[16 + k * 784 + yy * 28 + xx];
        out[16 + k * side * side + y * side + x] = pool
          ? Math.round((px(2 * y, 2 * x) + px(2 * y, 2 * x + 1) + px(2 * y + 1, 2 * x) + px(2 * y + 1, 2 * x + 1)) / 4)
          : px(y, x);
      }
  const labels = Buffer.concat([Buffer.from([0, 0, 8, 1, (n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255]), lab.subarray(8, 8 + n)]);
  return { images: out, labels };
}

test('blending, infilling and drawing give reconstructions from the trained model', async () => {
  const { page, errors } = await openPage(env.browser, env.server.url);
  await trainFor(page, 240); // just over one epoch of the simple preset
  // blending: two rows (decoded path, cross-fade), both drawn; another pair changes them
  await page.waitForFunction(() => /From test digit 0 \(a 7\) to test digit 1 \(a 2\)/.test(document.getElementById('blend-text').textContent));
  const blend = await canvasStats(page, 'blend');
  assert.ok(blend.sd > 30 && blend.h === 56 && blend.w === 280, `blend canvas ${JSON.stringify(blend)}`);
  await page.fill('#blend-b', '4');
  await page.locator('#blend-b').dispatchEvent('change');
  await page.waitForFunction(() => document.getElementById('blend').dataset.b === '4');
  assert.notEqual((await canvasStats(page, 'blend')).hash, blend.hash);
  await shot(page, 'panel-blend', '#blend-panel');

  // infilling: erase the left half by button, then more with the mouse; the fill beats leaving it blank
  await page.click('#infill-left');
  await page.waitForFunction(() => Number(document.getElementById('infill-text').dataset.erased) === 392);
  assert.ok((await data(page, 'infill-text', 'fill')) < (await data(page, 'infill-text', 'blank')), await text(page, 'infill-text'));
  // Simple's fill is well below blank (scripts/infill.mjs): no excuse given
  assert.ok((await data(page, 'infill-text', 'fill')) < 0.9 * (await data(page, 'infill-text', 'blank')), await text(page, 'infill-text'));
  assert.equal(await page.locator('#infill-text').getAttribute('data-little'), '');
  assert.doesNotMatch(await text(page, 'infill-text'), /better than leaving|black already/);
  const filled = await canvasStats(page, 'infill-out');
  await page.click('#infill-restore');
  await page.waitForFunction(() => Number(document.getElementById('infill-text').dataset.erased) === 0);
  await page.locator('#infill-in').scrollIntoViewIfNeeded();
  const box = await page.locator('#infill-in').boundingBox();
  await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.55);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.55, { steps: 12 });
  await page.mouse.up();
  await page.waitForFunction(() => Number(document.getElementById('infill-text').dataset.erased) > 40);
  const erased = await data(page, 'infill-text', 'erased');
  assert.ok(erased < 392, `a mouse stroke erases a band, not everything: ${erased}`);
  assert.ok((await data(page, 'infill-text', 'fill')) < (await data(page, 'infill-text', 'blank')), await text(page, 'infill-text'));
  assert.ok(filled.sd > 20 && (await canvasStats(page, 'infill-out')).hash !== filled.hash);
  // erasing the black margin above the digit: nothing to restore, and the panel says so
  await page.click('#infill-restore');
  await page.waitForFunction(() => Number(document.getElementById('infill-text').dataset.erased) === 0);
  await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.04);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.04, { steps: 12 });
  await page.mouse.up();
  await page.waitForFunction(() => Number(document.getElementById('infill-text').dataset.erased) > 20);
  assert.equal(await page.locator('#infill-text').getAttribute('data-little'), 'dark');
  assert.match(await text(page, 'infill-text'), /The erased pixels were black already: there was little to restore\.$/);
  await shot(page, 'panel-infill', '#infill-panel');

  // drawing: a vertical stroke (a "1"), reconstructed and placed on the latent map
  const latentBefore = await canvasStats(page, 'latent');
  await drawStroke(page);
  assert.match(await text(page, 'draw-text'), /lands at \(-?\d/);
  const input = await canvasStats(page, 'draw-in');
  const recon = await canvasStats(page, 'draw-recon');
  assert.ok(input.sd > 20 && recon.sd > 20, 'drawing and its reconstruction are not blank');
  // the reconstruction resembles the drawing: a thin vertical stroke in the middle columns
  const cols = await page.evaluate(() => {
    const c = document.getElementById('draw-recon');
    const p = c.getContext('2d').getImageData(0, 0, 28, 28).data;
    const sum = (x0, x1) => { let s = 0; for (let y = 0; y < 28; y++) for (let x = x0; x < x1; x++) s += p[4 * (y * 28 + x)]; return s; };
    return { middle: sum(11, 17), sides: sum(0, 6) + sum(22, 28) };
  });
  assert.ok(cols.middle > 4 * cols.sides, `reconstruction of a drawn 1 should be a central stroke: ${JSON.stringify(cols)}`);
  assert.notEqual((await canvasStats(page, 'latent')).hash, latentBefore.hash, 'the star is drawn on the latent map');
  await shot(page, 'panel-draw', '#draw-panel');
  await page.click('#draw-clear');
  assert.equal(await page.locator('#draw-text').getAttribute('data-done'), null);
  assert.deepEqual(errors, []);
  await page.close();
});

test('own data: a bad file is refused with the data kept; good IDX files (gzip or not, other sizes) train', async () => {
  const { page, errors } = await openPage(env.browser, env.server.url);
  await page.click('#step');
  await page.waitForFunction(() => Number(document.getElementById('n-step').textContent) === 1);
  // bad: not IDX at all
  await page.setInputFiles('#data-images', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('these are not images') });
  await page.click('#data-load');
  await page.waitForFunction(() => !document.getElementById('error').hidden);
  assert.match(await text(page, 'error'), /Could not use notes\.txt: .*(IDX|magic|short|truncated).*unchanged/s);
  assert.match(await text(page, 'data-status'), /unchanged/);
  // bad: labels that do not match the images
  const small = idxFiles(300, false);
  await page.setInputFiles('#data-images', { name: 'digits.idx', mimeType: 'application/octet-stream', buffer: small.images });
  await page.setInputFiles('#data-labels', { name: 'wrong-labels.idx', mimeType: 'application/octet-stream', buffer: idxFiles(200, false).labels });
  await page.click('#data-load');
  await page.waitForFunction(() => /wrong-labels/.test(document.getElementById('error').textContent));
  assert.match(await text(page, 'error'), /200 labels but the image file has 300/);
  // training still works on MNIST
  await page.click('#step');
  await page.waitForFunction(() => Number(document.getElementById('n-step').textContent) === 2);

  // good, gzip-compressed, same size: the model is kept and tried on the new data
  await page.setInputFiles('#data-images', { name: 'digits.idx.gz', mimeType: 'application/gzip', buffer: zlib.gzipSync(small.images) });
  await page.setInputFiles('#data-labels', { name: 'digits-labels.idx.gz', mimeType: 'application/gzip', buffer: zlib.gzipSync(small.labels) });
  await page.click('#data-load');
  await page.waitForFunction(() => /Training on digits\.idx\.gz: 257 training and 43 test images of 28×28/.test(document.getElementById('data-status').textContent));
  assert.match(await text(page, 'data-status'), /model was kept.*For this data the preset's Batch size and Epochs would be 32 and 23: choose the preset again/);
  assert.equal(await page.inputValue('#sizes'), '784-32-784');
  // the page words itself for the data it has: images, not digits
  assert.equal(await text(page, 'recon-h'), 'Test images and their reconstructions');
  assert.equal(await text(page, 'draw-h'), 'Draw an image');
  assert.equal(await page.locator('#recon').getAttribute('aria-label'), 'Test images above their reconstructions');

  // good, plain, 14×14: the layer sizes follow the data, and it trains
  const pooled = idxFiles(700, true);
  await page.setInputFiles('#data-images', { name: 'small-digits.idx', mimeType: 'application/octet-stream', buffer: pooled.images });
  await page.setInputFiles('#data-labels', []);
  await page.click('#data-load');
  await page.waitForFunction(() => /small-digits\.idx: 600 training and 100 test images of 14×14 pixels, without labels/.test(document.getElementById('data-status').textContent));
  await page.waitForFunction(() => document.getElementById('sizes').value === '196-32-196');
  assert.match(page.url(), /sizes=196-32-196/);
  // the form is no preset's since the trained model was kept on 257 images (a preset there would take a
  // smaller batch): its batch and epochs stay as they are, 5 epochs of 3 steps
  assert.deepEqual([await page.inputValue('#preset'), await page.inputValue('#batch'), await page.inputValue('#epochs')], ['custom', '256', '5']);
  await page.click('#start');
  await page.waitForFunction(() => document.getElementById('n-eta').textContent === 'done');
  assert.equal(await text(page, 'n-step'), '15');
  const recon = await canvasStats(page, 'recon');
  assert.ok(recon.w === 16 * 14 && recon.h === 2 * 14 && recon.sd > 20, `14×14 reconstructions drawn: ${JSON.stringify(recon)}`);
  await shot(page, 'panel-data', '#data-panel');
  await page.click('#data-mnist');
  await page.waitForFunction(() => /Training on MNIST: 60,000/.test(document.getElementById('data-status').textContent));
  await page.waitForFunction(() => document.getElementById('sizes').value === '784-32-784');
  assert.equal(await text(page, 'recon-h'), 'Test digits and their reconstructions');
  assert.deepEqual(errors, []);
  await page.close();
});

test('own data: a gzip bomb is refused as it inflates past its IDX header, broken gzip is named, on the one-thread and the threaded page', async () => {
  // an IDX header for 10 images of 28×28, then 64 MB of zeros: 62 KB of gzip
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aelab-bomb-'));
  const head = Buffer.alloc(16);
  head.writeUInt32BE(0x803, 0); head.writeUInt32BE(10, 4); head.writeUInt32BE(28, 8); head.writeUInt32BE(28, 12);
  const bomb = path.join(dir, 'bomb.idx.gz');
  fs.writeFileSync(bomb, zlib.gzipSync(Buffer.concat([head, Buffer.alloc(64 << 20)]), { level: 9 }));
  const broken = Buffer.from(zlib.gzipSync(head));
  broken.fill(0x55, 10, broken.length - 8);
  const isolated = await serve({ isolate: true });
  try {
    for (const url of [env.server.url, isolated.url]) {
      const { page, errors } = await openPage(env.browser, url);
      assert.match(await text(page, 'engine'), url === isolated.url ? /SIMD on \d+ threads/ : /SIMD, 1 thread/);
      await page.click('#step');
      await page.waitForFunction(() => Number(document.getElementById('n-step').textContent) === 1);
      await page.setInputFiles('#data-images', bomb);
      await page.click('#data-load');
      await page.waitForFunction(() => /bomb/.test(document.getElementById('error').textContent));
      assert.match(await text(page, 'error'), /^Could not use bomb\.idx\.gz: it inflates past the 7,856 bytes its IDX header declares \(10 × 28 × 28 values and 16 bytes of header\); refused\. The current data and model are unchanged/);
      assert.match(await text(page, 'data-status'), /unchanged/);
      await page.setInputFiles('#data-images', { name: 'broken.idx.gz', mimeType: 'application/gzip', buffer: broken });
      await page.click('#data-load');
      await page.waitForFunction(() => /broken/.test(document.getElementById('error').textContent));
      assert.match(await text(page, 'error'), /^Could not use broken\.idx\.gz: it is not valid gzip: it starts like gzip but does not inflate \(.*\)\. The current data and model are unchanged/);
      // MNIST and the model are still there and train
      await page.click('#step');
      await page.waitForFunction(() => Number(document.getElementById('n-step').textContent) === 2);
      assert.match(await text(page, 'data-status'), /unchanged/);
      assert.deepEqual(errors, []);
      await page.close();
    }
  } finally {
    isolated.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('panels chosen by link; keyboard on the latent map; the scalar build runs where SIMD is missing', async () => {
  const { page, errors } = await openPage(env.browser, `${env.server.url}#v=1&panels=recon,latent`);
  assert.equal(await page.locator('#recon-panel').isVisible(), true);
  assert.equal(await page.locator('#blend-panel').isVisible(), false);
  assert.equal(await page.locator('#curves').isVisible(), false);
  await page.check('#show-blend');
  assert.match(page.url(), /panels=recon,latent,blend/);
  await page.check('#show-loss');
  for (const k of ['network', 'noise', 'linear', 'fourd', 'overcomplete', 'memorise', 'infill', 'draw', 'filters', 'features', 'data', 'pretrain']) await page.check(`#show-${k}`);
  assert.doesNotMatch(page.url(), /panels=/, 'all panels shown: no panels parameter');

  // keyboard only: Tab to the latent map, arrows move the decoded point
  await page.click('#step');
  await page.waitForFunction(() => /principal components/.test(document.getElementById('latent-note').textContent));
  await page.focus('#latent');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /Decoded from/.test(document.getElementById('decoded-at').textContent));
  const first = await text(page, 'decoded-at');
  await page.keyboard.press('Shift+ArrowRight');
  await page.waitForFunction((t) => document.getElementById('decoded-at').textContent !== t, first);
  // every control in the page has an accessible name
  const unnamed = await page.evaluate(() => [...document.querySelectorAll('input, select, button, canvas[tabindex]')]
    .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.textContent.trim()))
    .map((el) => el.id || el.outerHTML.slice(0, 60)));
  assert.deepEqual(unnamed, []);

  const scalar = await openPage(env.browser, `${env.server.url}#engine=scalar`);
  assert.match(await text(scalar.page, 'engine'), /WebAssembly scalar/);
  await scalar.page.click('#step');
  await scalar.page.waitForFunction(() => Number(document.getElementById('n-step').textContent) === 1);
  assert.ok(Number(await text(scalar.page, 'n-loss')) > 0);
  assert.deepEqual([...errors, ...scalar.errors], []);
  await page.close();
  await scalar.page.close();
});

test('the page is first drawn as it stays: the panels\' sections in page order, the Show switches, the embed layout, even with app.js slow to arrive', async () => {
  const page = await env.browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  // the page as the first animation frame finds it, which comes just before the first paint
  const layout = () => ({
    sections: [...document.querySelectorAll('main > section')].map((s) => `${s.id}${s.hidden ? ' hidden' : ''}`),
    show: [...document.querySelectorAll('#panels input')].map((i) => i.id),
    embed: document.body.classList.contains('embed'),
  });
  await page.addInitScript(`requestAnimationFrame(() => { window.firstFrame = (${layout})(); });`);
  await page.route('**/app.js', async (r) => { await new Promise((s) => setTimeout(s, 500)); await r.continue(); });
  await page.goto(`${env.server.url}#v=1&panels=loss,noise&embed=1`);
  await page.waitForFunction(() => document.getElementById('start')?.disabled === false, null, { timeout: 60000 });
  const now = await page.evaluate(layout);
  assert.deepEqual(now.sections, ['chapter-box hidden', 'setup', 'curves', 'network-panel hidden', 'recon-panel hidden', 'latent-panel hidden', 'noise-panel',
    'linear-panel hidden', 'fourd-panel hidden', 'overcomplete-panel hidden', 'memorise-panel hidden', 'blend-panel hidden', 'infill-panel hidden', 'draw-panel hidden', 'data-panel hidden',
    'filters-panel hidden', 'features-panel hidden', 'pretrain-panel hidden']);
  assert.deepEqual(now.show, ['show-loss', 'show-network', 'show-recon', 'show-latent', 'show-noise', 'show-linear', 'show-fourd', 'show-overcomplete', 'show-memorise', 'show-blend',
    'show-infill', 'show-draw', 'show-data', 'show-filters', 'show-features', 'show-pretrain']);
  assert.equal(now.embed, true);
  assert.deepEqual(await page.evaluate(() => window.firstFrame), now);
  assert.deepEqual(errors, []);
  await page.close();
});

test('linear or non-linear: the linear autoencoder finds the first principal component, the non-linear one follows the curve', async () => {
  const { page, errors } = await openPage(env.browser, env.server.url);
  await page.click('#curve-train');
  await page.waitForFunction(() => document.getElementById('curve-text').dataset.angle !== undefined, null, { timeout: 60000 });
  const angle = await data(page, 'curve-text', 'angle');
  const lin = await data(page, 'curve-text', 'linear');
  const non = await data(page, 'curve-text', 'nonlinear');
  assert.ok(angle < 3, `linear decoder ${angle}° from the first principal component`);
  assert.ok(non < lin / 3, `non-linear error ${non} should be far below linear ${lin}`);
  assert.ok((await canvasStats(page, 'curve')).sd > 5);
  await shot(page, 'panel-linear', '#linear-panel');
  assert.deepEqual(errors, []);
  await page.close();
});
