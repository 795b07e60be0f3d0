// Convolutional autoencoders on the page, in headless Chromium: the W3 preset (the Keras blog's model) trains
// a few seconds and every panel answers with it (reconstructions, the latent map through PCA of its 8×4×4
// code, corrupt and restore, blending, infilling, drawing, decoding a point); the network drawing shows its
// 13 layers with the code marked, for dense models too; the convolutional denoising preset trains with
// Gaussian noise; own data of another size is refused with the engine's message where the model's pooling
// does not come back to it and trains where it does; a phone's width and the embed layout hold the drawing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { suite, serve, openPage, shot, canvasStats, trainFor, drawStroke, root } from './browser.mjs';

const env = suite();

const W3 = '1x28x28-conv16k3-pool2-conv8k3-pool2-conv8k3-pool2-conv8k3-up2-conv8k3-up2-conv16k3v-up2-conv1k3';
const text = (page, id) => page.locator(`#${id}`).textContent();

/** Pixels of a canvas that something was drawn on (alpha > 0: the latent map starts transparent). */
const inked = (page, id) => page.evaluate((cid) => {
  const c = document.getElementById(cid);
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
  return n;
}, id);

/** The network drawing as the page shows it: its rows (shape and part), the list of layers and the totals. */
const network = (page) => page.evaluate(() => ({
  rows: [...document.querySelectorAll('#network .net-row')].map((g) => [g.dataset.shape, g.dataset.part]),
  list: [...document.querySelectorAll('#network-list li')].map((li) => li.textContent),
  total: document.getElementById('network-total').textContent,
  ...document.getElementById('network-total').dataset,
}));

/** IDX images from the first n MNIST test digits, each moved into a canvas of rows×cols (cropped or padded
 * with black, centred), or the same 784 bytes read as 14×56 when asked. */
function idx(n, rows, cols, { reshape = false } = {}) {
  const img = zlib.gunzipSync(fs.readFileSync(path.join(root, 'build/site/data/t10k-images-idx3-ubyte.gz')));
  const out = Buffer.alloc(16 + n * rows * cols);
  out.writeUInt32BE(0x803, 0); out.writeUInt32BE(n, 4); out.writeUInt32BE(rows, 8); out.writeUInt32BE(cols, 12);
  if (reshape) img.copy(out, 16, 16, 16 + n * 784);
  else {
    const dy = Math.floor((rows - 28) / 2), dx = Math.floor((cols - 28) / 2);
    for (let k = 0; k < n; k++)
      for (let y = 0; y < rows; y++)
        for (let x = 0; x < cols; x++) {
          const sy = y - dy, sx = x - dx;
          if (sy >= 0 && sy < 28 && sx >= 0 && sx < 28) out[16 + k * rows * cols + y * cols + x] = img[16 + k * 784 + sy * 28 + sx];
        }
  }
  return out;
}

async function useData(page, name, buffer) {
  await page.setInputFiles('#data-images', { name, mimeType: 'application/octet-stream', buffer });
  await page.click('#data-load');
  await page.waitForFunction((n) => document.getElementById('data-status').textContent.startsWith(`Training on ${n}`), name);
}

test('W3 preset: the network drawing, a few seconds of training, and every panel answers with the conv model', async () => {
  const { page, errors } = await openPage(env.browser, env.server.url);
  // a dense model is drawn too: 784 → 32 → 784
  await page.waitForFunction(() => document.getElementById('network-total').dataset.params === '50992');
  assert.deepEqual((await network(page)).rows, [['784', 'input'], ['32', 'code'], ['784', 'decoder']]);

  await page.selectOption('#preset', 'w3');
  assert.equal(await page.inputValue('#sizes'), W3);
  assert.equal(await page.inputValue('#batch'), '128');
  assert.equal(await page.inputValue('#optimizer'), 'adam');
  await page.waitForFunction(() => document.getElementById('network-total').dataset.params === '4385');
  // the seven convolutions' activations; pooling and upsampling have none to name
  assert.match(await text(page, 'built'), / · relu, relu, relu, relu, relu, relu, sigmoid · 4,385 parameters$/);
  const net = await network(page);
  assert.equal(net.layers, '13');
  assert.equal(net.list.length, 13);
  assert.equal(net.rows.length, 14, 'the input and one row per layer');
  assert.deepEqual(net.rows.filter(([, part]) => part === 'code'), [['8×4×4', 'code']]);
  assert.deepEqual(net.rows.map(([s]) => s), ['1×28×28', '16×28×28', '16×14×14', '8×14×14', '8×7×7', '8×7×7', '8×4×4', '8×4×4', '8×8×8', '8×8×8',
    '8×16×16', '16×14×14', '16×28×28', '1×28×28']);
  assert.deepEqual(net.rows.slice(1, 6).map(([, p]) => p), Array(5).fill('encoder'));
  assert.deepEqual(net.rows.slice(7).map(([, p]) => p), Array(7).fill('decoder'));
  assert.match(net.list[0], /^conv 3×3, relu: 16×28×28 = 12,544 values, 160 parameters; encoder/);
  assert.match(net.list[5], /^pool 2.*8×4×4.*the code/);
  assert.match(net.list[10], /^conv 3×3 valid.*16×14×14.*1,168 parameters/);
  assert.match(net.list[11], /^up 2.*16×28×28/);
  assert.match(net.total, /13 layers, 4,385 parameters .*Code: 8×4×4 = 128 values, 6\.1 times fewer/);
  // the bars narrow to the code: the code's bar is the narrowest
  const widths = await page.evaluate(() => [...document.querySelectorAll('#network .net-bar')].map((r) => Number(r.getAttribute('width'))));
  assert.equal(Math.min(...widths), widths[6]);
  assert.ok(widths[6] < widths[1] / 1.5, `the code's bar ${widths[6]} against the first layer's ${widths[1]}`);
  await shot(page, 'panel-network-w3', '#network-panel');

  const before = await canvasStats(page, 'recon');
  await trainFor(page, 40); // a few seconds
  await page.waitForFunction(() => /The 128-unit codes of 2,000 test digits, projected onto their two principal components/.test(document.getElementById('latent-note').textContent));
  const recon = await canvasStats(page, 'recon');
  assert.ok(recon.hash !== before.hash && recon.sd > 20 && recon.w === 16 * 28 && recon.h === 2 * 28, `reconstructions ${JSON.stringify(recon)}`);
  assert.ok(await inked(page, 'latent') > 1000, 'the latent map has its points');

  // decoding a point of the PCA plane
  await page.focus('#latent');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /Decoded from/.test(document.getElementById('decoded-at').textContent));
  assert.ok((await canvasStats(page, 'decoded')).sd > 5, 'a decoded image');

  // corrupt and restore
  await page.locator('#demo-level').fill('0.3');
  await page.waitForFunction(() => Number(document.getElementById('demo-numbers').dataset.level) === 0.3);
  assert.match(await text(page, 'demo-numbers'), /current model \(28x28-conv16k3-pool2.* plain, step \d+\)/);
  const demo = await canvasStats(page, 'demo');
  assert.ok(demo.sd > 20 && demo.h === 3 * 28, `noise demo ${JSON.stringify(demo)}`);

  // blending through the code
  await page.waitForFunction(() => /From test digit 0 \(a 7\) to test digit 1 \(a 2\)/.test(document.getElementById('blend-text').textContent));
  const blend = await canvasStats(page, 'blend');
  assert.ok(blend.sd > 20 && blend.w === 280 && blend.h === 56, `blend ${JSON.stringify(blend)}`);
  await page.fill('#blend-b', '4');
  await page.locator('#blend-b').dispatchEvent('change');
  await page.waitForFunction(() => document.getElementById('blend').dataset.b === '4');
  assert.notEqual((await canvasStats(page, 'blend')).hash, blend.hash);

  // infilling
  const fillBefore = await canvasStats(page, 'infill-out');
  await page.click('#infill-left');
  await page.waitForFunction(() => Number(document.getElementById('infill-text').dataset.erased) === 392);
  const fill = await canvasStats(page, 'infill-out');
  assert.ok(fill.sd > 10 && fill.hash !== fillBefore.hash, `infill ${JSON.stringify(fill)}`);
  assert.ok(Number.isFinite(Number(await page.locator('#infill-text').getAttribute('data-fill'))));
  // a fill within a tenth of blank is explained, and only then
  const [fillMse, blankMse] = await Promise.all(['data-fill', 'data-blank'].map(async (a) => Number(await page.locator('#infill-text').getAttribute(a))));
  const little = fillMse >= 0.9 * blankMse;
  assert.equal(await page.locator('#infill-text').getAttribute('data-little'), little ? '1' : '');
  assert.equal(/(little|no) better than leaving the pixels blank: .* a convolutional model fills in least\.$/.test(await text(page, 'infill-text')), little);

  // drawing: reconstructed and placed on the latent map
  const latentBefore = await canvasStats(page, 'latent');
  await drawStroke(page);
  assert.match(await text(page, 'draw-text'), /lands at \(-?\d/);
  assert.ok((await canvasStats(page, 'draw-recon')).sd > 5, 'the drawing is reconstructed');
  assert.notEqual((await canvasStats(page, 'latent')).hash, latentBefore.hash, 'the star is drawn on the latent map');
  await shot(page, 'page-w3-trained');
  assert.deepEqual(errors, []);
  await page.close();
});

test('conv presets: keras.io and its denoising twin; own data of other sizes adapts or is refused with the engine\'s message', async () => {
  const { page, errors } = await openPage(env.browser, env.server.url);
  await page.selectOption('#preset', 'kerasio');
  await page.waitForFunction(() => document.getElementById('network-total').dataset.params === '28353');
  let net = await network(page);
  assert.equal(net.code, '32×7×7');
  assert.match(net.list[4], /^convt 3×3 s2, relu: 32×14×14 = 6,272 values, 9,248 parameters; decoder/);
  await page.selectOption('#preset', 'convdenoising');
  assert.equal(await page.inputValue('#noise'), 'gaussian');
  assert.equal(await page.inputValue('#noiseLevel'), '0.4');
  // corrupt and restore starts at the noise the model trains with, and then keeps what the user picks
  await page.waitForFunction(() => document.getElementById('demo-numbers').dataset.kind === 'gaussian');
  assert.equal(await page.inputValue('#demo-kind'), 'gaussian');
  assert.equal(Number(await page.inputValue('#demo-level')), 0.4);
  await page.locator('#demo-level').fill('0.2');
  await page.waitForFunction(() => Number(document.getElementById('demo-numbers').dataset.level) === 0.2);
  // the corrupted inputs the model trains on are shown between the digits and their reconstructions
  await page.waitForFunction(() => !document.getElementById('noisy-note').hidden);
  await page.click('#step');
  await page.waitForFunction(() => Number(document.getElementById('n-step').textContent) === 1);
  await page.click('#stop');
  await page.click('#reset'); // a fresh model with the same noise: the panel keeps the level the user set
  await page.waitForFunction(() => document.getElementById('n-step').textContent === '0');
  await page.click('#step');
  await page.waitForFunction(() => Number(document.getElementById('n-step').textContent) === 1);
  assert.equal(Number(await page.inputValue('#demo-level')), 0.2);
  assert.equal(await page.inputValue('#demo-kind'), 'gaussian');
  // the latent map projects the 1,568-unit code
  await page.waitForFunction(() => /The 1,568-unit codes/.test(document.getElementById('latent-note').textContent));
  assert.ok(await inked(page, 'latent') > 1000);
  await page.click('#stop');

  // 32×32 images: the keras.io model adapts (32 → 16 → 8 → 16 → 32) and trains
  await useData(page, 'padded.idx', idx(200, 32, 32));
  await page.waitForFunction(() => document.getElementById('network-total').dataset.code === '32×8×8');
  assert.equal(await page.inputValue('#sizes'), '1x32x32-conv32k3-pool2-conv32k3-pool2-convt32k3s2-convt32k3s2-conv1k3');
  assert.equal(await page.inputValue('#preset'), 'convdenoising');
  await page.click('#step');
  await page.waitForFunction(() => Number(document.getElementById('n-step').textContent) === 1);
  assert.equal((await canvasStats(page, 'recon')).w, 16 * 32);
  await page.click('#stop'); // Step leaves the run paused, its settings locked
  // W3 cannot: its 'valid' layer makes 28 of 32
  await page.selectOption('#preset', 'w3');
  await page.waitForFunction(() => !document.getElementById('error').hidden);
  assert.match(await text(page, 'error-text'), /^An autoencoder's output \(784\) must be as wide as its input \(1024\)\. This model turns 1×32×32 images into 1×28×28\.$/);
  // the model that was there stays
  assert.equal((await network(page)).code, '32×8×8');

  // 784 pixels as 14×56: as many values as a 28×28 digit, but a conv model reads them as images, so the W3
  // model is not kept, and its spec for 14×56 is refused by its shapes
  await page.click('#error-close');
  await page.click('#data-mnist');
  await page.waitForFunction(() => /Training on MNIST/.test(document.getElementById('data-status').textContent));
  await page.selectOption('#preset', 'w3');
  await page.waitForFunction(() => document.getElementById('network-total').dataset.params === '4385');
  await page.setInputFiles('#data-images', { name: 'wide.idx', mimeType: 'application/octet-stream', buffer: idx(200, 14, 56, { reshape: true }) });
  await page.click('#data-load');
  await page.waitForFunction(() => !document.getElementById('error').hidden);
  assert.match(await text(page, 'data-status'), /^Training on wide\.idx: .* of 14×56 pixels/);
  assert.doesNotMatch(await text(page, 'data-status'), /kept/);
  assert.equal(await page.inputValue('#sizes'), W3.replace('1x28x28', '1x14x56'));
  assert.match(await text(page, 'error-text'), /^An autoencoder's output \(\d+\) must be as wide as its input \(784\)\. This model turns 1×14×56 images into 1×12×52\.$/);
  assert.equal(await text(page, 'network-total'), 'No model for this data yet.');
  // a dense preset adapts to any size
  await page.selectOption('#preset', 'simple');
  await page.waitForFunction(() => document.getElementById('network-total').dataset.params === '50992');
  assert.equal(await page.inputValue('#sizes'), '784-32-784');
  await page.click('#step');
  await page.waitForFunction(() => Number(document.getElementById('n-step').textContent) === 1);
  assert.deepEqual(errors, []);
  await page.close();
});

test('phone width and the embed layout: the network drawing fits its panel, the page does not scroll sideways', async () => {
  const ctx = await env.browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  // W3; the same embedded; a 2-unit dense code (a bar too narrow for its name); dense and conv mixed
  const links = [[`#v=1&sizes=${W3}&batch=128`, 13], [`#v=1&sizes=${W3}&batch=128&embed=1&panels=network,recon`, 13],
    ['#v=1&sizes=784-256-64-2-64-256-784+code=linear&panels=network', 6], ['#v=1&sizes=1x28x28-conv8k3-pool2-*32:linear-1568-8x14x14-up2-conv1k3&panels=network', 7]];
  for (const [hash, layers] of links) {
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(`${env.server.url}${hash}`);
    await page.waitForFunction((n) => document.getElementById('network-total').dataset.layers === String(n), layers, { timeout: 60000 });
    await page.locator('#network').scrollIntoViewIfNeeded();
    const fit = await page.evaluate(() => {
      const svg = document.getElementById('network').getBoundingClientRect();
      const panel = document.getElementById('network-panel').getBoundingClientRect();
      const texts = [...document.querySelectorAll('#network text')].map((t) => t.getBoundingClientRect());
      // words that overlap each other (a part's name over a shape, say)
      const clash = [...document.querySelectorAll('#network text')].flatMap((a, i, all) => all.slice(i + 1).filter((b) => {
        const [p, q] = [a.getBoundingClientRect(), b.getBoundingClientRect()];
        return p.left < q.right - 1 && q.left < p.right - 1 && p.top < q.bottom - 1 && q.top < p.bottom - 1;
      }).map((b) => `${a.textContent}/${b.textContent}`));
      return { clash, scroll: document.documentElement.scrollWidth, svgLeft: svg.left, svgRight: svg.right, svgWidth: svg.width, left: panel.left, right: panel.right,
        textRight: Math.max(...texts.map((r) => r.right)), textLeft: Math.min(...texts.map((r) => r.left)) };
    });
    assert.ok(fit.scroll <= 390, `${hash}: the page lays out ${fit.scroll} px wide`);
    assert.ok(fit.svgLeft >= fit.left && fit.svgRight <= fit.right && fit.textLeft >= fit.left && fit.textRight <= fit.right, `${hash}: ${JSON.stringify(fit)}`);
    assert.ok(fit.svgWidth > 300, `${hash}: the drawing uses the width: ${fit.svgWidth}`);
    assert.deepEqual(fit.clash, [], `${hash}: overlapping words in the drawing`);
    await shot(page, `phone-network-${links.findIndex(([h]) => h === hash)}`, '#network-panel');
    assert.deepEqual(errors, []);
    await page.close();
  }
  await ctx.close();
});

// What a user of `make serve` gets: the page cross-origin isolated runs the threads build, where each
// convolution shares the batch out between the threads (src/layers/patches.c, ae_patch_pad_conv); the single-
// thread page runs the SIMD build. Both step the keras.io model at batch 128 from the same seed.
test('cross-origin isolated: a convolutional model on 2 threads steps to the same bits as on one', async () => {
  const iso = await serve({ isolate: true });
  const hash = '#v=1&sizes=1x28x28-conv32k3-pool2-conv32k3-pool2-convt32k3s2-convt32k3s2-conv1k3&batch=128';
  try {
    const a = await openPage(env.browser, iso.url + hash);
    assert.match(await text(a.page, 'engine'), /SIMD on [2-9] threads/);
    const b = await openPage(env.browser, env.server.url + hash);
    assert.match(await text(b.page, 'engine'), /SIMD, 1 thread/);
    for (const { page } of [a, b]) {
      await page.waitForFunction(() => document.getElementById('network-total').dataset.params === '28353');
      for (let s = 1; s <= 3; s++) {
        await page.click('#step');
        await page.waitForFunction((n) => Number(document.getElementById('n-step').textContent) === n, s, { timeout: 60000 });
      }
      await page.waitForFunction(() => document.getElementById('recon').dataset.step === '3');
    }
    const [ra, rb] = [await canvasStats(a.page, 'recon'), await canvasStats(b.page, 'recon')];
    assert.ok(ra.sd > 10, 'the reconstructions are drawn');
    assert.equal(ra.hash, rb.hash, 'same seed, same reconstructions on 2 threads and on 1');
    assert.equal(await text(a.page, 'n-loss'), await text(b.page, 'n-loss'));
    assert.deepEqual([...a.errors, ...b.errors], []);
    await a.page.close();
    await b.page.close();
  } finally {
    iso.close();
  }
});
