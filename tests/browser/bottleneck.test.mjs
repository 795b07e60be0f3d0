// The lecture's bottleneck slide on the page (issue 12): the "Bottleneck: 10,000 → 20 → 10,000" preset draws
// MNIST at 100×100 for the model and trains it, its loss falling; going back to a 784-wide model goes back
// to 28×28; your own PNG and JPEG pictures load at a chosen size and train; bad pictures among them (text named
// .png, a PNG cut short, an empty file, a JPEG claiming 60,000×60,000 pixels) are left out, each named with its
// reason; and with fewer than 2 readable the load is refused, naming them, leaving the data and model as they were.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { suite, openPage, trainFor, root } from './browser.mjs';

const env = suite();
const text = (page, id) => page.locator(`#${id}`).textContent();

/** A grey PNG of w×h bytes px (filter 0 on every row), made here so the test needs no image library. */
function png(px, w, h) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b) => { let c = 0xffffffff; for (const x of b) c = crcTable[(c ^ x) & 255] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const b = Buffer.alloc(12 + data.length);
    b.writeUInt32BE(data.length, 0);
    b.write(type, 4, 'ascii');
    data.copy(b, 8);
    b.writeUInt32BE(crc(b.subarray(4, 8 + data.length)), 8 + data.length);
    return b;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 0; // 8-bit grey
  const raw = Buffer.alloc(h * (w + 1));
  for (let y = 0; y < h; y++) Buffer.from(px.subarray(y * w, (y + 1) * w)).copy(raw, y * (w + 1) + 1);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** The first n MNIST test digits as PNG files d00.png… */
function digits(n) {
  const img = zlib.gunzipSync(fs.readFileSync(path.join(root, 'build/site/data/t10k-images-idx3-ubyte.gz')));
  return Array.from({ length: n }, (_, i) => ({ name: `d${String(i).padStart(2, '0')}.png`, mimeType: 'image/png', buffer: png(img.subarray(16 + i * 784, 16 + (i + 1) * 784), 28, 28) }));
}

// a 16×16 JPEG (flat grey), whose start-of-frame marker the last test rewrites to claim 60,000×60,000 pixels
const JPEG = Buffer.from('/9j/4AAQSkZJRgABAQAAAQABAAD/2wCEAAIBAQEBAQIBAQECAgICAgQDAgICAgUEBAMEBgUGBgYFBgYGBwkIBgcJBwYGCAsICQoKCgoKBggLDAsKDAkKCgoBAgICAgICBQMDBQoHBgcKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCv/AABEIABAAEAMBEQACEQEDEQH/xAGiAAABBQEBAQEBAQAAAAAAAAAAAQIDBAUGBwgJCgsQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+gEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoLEQACAQIEBAMEBwUEBAABAncAAQIDEQQFITEGEkFRB2FxEyIygQgUQpGhscEJIzNS8BVictEKFiQ04SXxFxgZGiYnKCkqNTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqCg4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2dri4+Tl5ufo6ery8/T19vf4+fr/2gAMAwEAAhEDEQA/ACgAoAKACgD/2Q==', 'base64');

test('the Bottleneck preset trains 10000-20-10000 on MNIST drawn at 100×100, and a 784 model goes back to 28×28', async () => {
  const { page, errors } = await openPage(env.browser, env.server.url);
  await page.selectOption('#preset', 'bottleneck');
  assert.equal(await page.inputValue('#sizes'), '10000-20-10000');
  await page.waitForFunction(() => /100×100 pixels \(stored at 28×28/.test(document.getElementById('data-status').textContent));
  await page.waitForFunction(() => document.getElementById('network-total').dataset.params === '410020');
  assert.match(await text(page, 'built'), /410,020 parameters/);
  // one batch, then a few dozen more: the loss the page shows falls well below the first batch's
  await page.click('#step');
  await page.waitForFunction(() => Number(document.getElementById('n-step').textContent) === 1);
  const first = Number(await text(page, 'n-loss'));
  await trainFor(page, 60);
  const later = Number(await text(page, 'n-loss'));
  assert.ok(later < 0.8 * first, `the loss did not fall: ${first} -> ${later}`);
  // the reconstructions are 100×100 tiles
  await page.waitForFunction(() => document.getElementById('recon').height % 100 === 0 && document.getElementById('recon').width === 16 * 100);
  assert.equal(await page.inputValue('#preset'), 'bottleneck', 'the preset is still recognised with the data drawn at its size');

  // back to a 784-wide model: the stored 28×28 digits, no longer drawn
  await page.click('#stop');
  await page.waitForFunction(() => !document.getElementById('preset').disabled);
  await page.selectOption('#preset', 'simple');
  assert.equal(await page.inputValue('#sizes'), '784-32-784');
  await page.waitForFunction(() => /of 28×28 pixels\.$/.test(document.getElementById('data-status').textContent));
  await page.waitForFunction(() => document.getElementById('network-total').dataset.params === '50992');
  assert.deepEqual(errors, []);
  await page.close();

  // the same model from a link: drawn at its size, not turned into 784-20-784
  const linked = await openPage(env.browser, `${env.server.url}#v=1&sizes=10000-20-10000`);
  await linked.page.waitForFunction(() => document.getElementById('network-total').dataset.params === '410020');
  assert.equal(await linked.page.inputValue('#sizes'), '10000-20-10000');
  assert.match(await text(linked.page, 'data-status'), /100×100 pixels \(stored at 28×28/);
  assert.deepEqual(linked.errors, []);
  await linked.page.close();
});

test('your own pictures: PNG files at 64×64 train; unreadable files are left out and named; with none readable nothing changes', async () => {
  const { page, errors } = await openPage(env.browser, env.server.url);
  const files = digits(20);
  // at 28×28 the Simple preset's untrained model is kept: its batch and epochs follow the 17 training pictures
  await page.selectOption('#data-size', '28');
  await page.setInputFiles('#data-pictures', files);
  await page.click('#data-load-pictures');
  await page.waitForFunction(() => document.getElementById('data-status').textContent.startsWith('Training on your 20 pictures'));
  assert.deepEqual([await page.inputValue('#preset'), await page.inputValue('#batch'), await page.inputValue('#epochs')], ['simple', '8', '67']);
  assert.match(await text(page, 'data-status'), /With this few images the preset's Batch size and Epochs are now 8 and 67 \(3 steps an epoch, 201 in all\)/);
  assert.doesNotMatch(await text(page, 'data-status'), /model was kept/, 'an untrained model is simply the preset\'s');
  assert.match(page.url(), /batch=8&epochs=67/);
  assert.match(await text(page, 'engine'), /^Ready: your 20 pictures, 17 training and 3 test images of 28×28 pixels/);
  // back to MNIST untrained: the preset's own batch and epochs again, said as such
  await page.click('#data-mnist');
  await page.waitForFunction(() => /Training on MNIST: 60,000/.test(document.getElementById('data-status').textContent));
  assert.deepEqual([await page.inputValue('#preset'), await page.inputValue('#batch'), await page.inputValue('#epochs')], ['simple', '256', '5']);
  assert.match(await text(page, 'data-status'), /The preset's own Batch size and Epochs are back, 256 and 5\.$/);
  await page.setInputFiles('#data-pictures', files);
  await page.click('#data-load-pictures');
  await page.waitForFunction(() => document.getElementById('data-status').textContent.startsWith('Training on your 20 pictures'));
  assert.equal(await page.inputValue('#batch'), '8');
  // once it has trained, a kept model keeps the form (another batch would be another model); the panel says so
  await page.click('#step');
  await page.waitForFunction(() => Number(document.getElementById('n-step').textContent) === 1);
  await page.click('#stop');
  await page.waitForFunction(() => !document.getElementById('preset').disabled);
  await page.click('#data-mnist');
  await page.waitForFunction(() => /Training on MNIST: 60,000/.test(document.getElementById('data-status').textContent));
  assert.deepEqual([await page.inputValue('#batch'), await page.inputValue('#epochs'), await page.inputValue('#preset')], ['8', '67', 'custom']);
  assert.match(await text(page, 'data-status'), /model was kept.*For this data the preset's Batch size and Epochs would be 256 and 5: choose the preset again/);
  await page.selectOption('#preset', 'simple');
  assert.deepEqual([await page.inputValue('#batch'), await page.inputValue('#epochs')], ['256', '5'], 'on MNIST the preset is as it is');
  await page.selectOption('#data-size', '64');
  await page.setInputFiles('#data-pictures', files);
  await page.click('#data-load-pictures');
  await page.waitForFunction(() => document.getElementById('data-status').textContent.startsWith('Training on your 20 pictures'));
  assert.match(await text(page, 'data-status'), /17 training and 3 test images of 64×64 pixels, without labels/);
  await page.waitForFunction(() => document.getElementById('sizes').value === '4096-32-4096');
  // 17 pictures would be one batch of the preset's 256: the preset takes batch 8 (3 steps an epoch) and 67
  // epochs instead, about 200 steps
  assert.deepEqual([await page.inputValue('#preset'), await page.inputValue('#batch'), await page.inputValue('#epochs')], ['simple', '8', '67']);
  for (let k = 1; k <= 3; k++) {
    await page.click('#step');
    await page.waitForFunction((s) => Number(document.getElementById('n-step').textContent) === s, k);
  }
  await page.waitForFunction(() => document.getElementById('recon').width === 3 * 64); // the 3 test pictures

  const cut = files[3].buffer.subarray(0, 50);
  const bomb = Buffer.from(JPEG);
  const sof = bomb.indexOf(Buffer.from([0xff, 0xc0]));
  bomb.writeUInt16BE(60000, sof + 5); bomb.writeUInt16BE(60000, sof + 7);
  const bads = [
    [{ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('a text file, named as a picture') }, 'notes.png: not a PNG or JPEG picture'],
    [{ name: 'cut.png', mimeType: 'image/png', buffer: cut }, 'cut.png: the PNG picture is damaged or cut short'],
    [{ name: 'empty.png', mimeType: 'image/png', buffer: Buffer.alloc(0) }, 'empty.png: the file is empty'],
    [{ name: 'bomb.jpg', mimeType: 'image/jpeg', buffer: bomb }, 'bomb.jpg: the picture claims 60000×60000 pixels; at most 16384 per side'],
  ];
  // one bad file among good ones: left out, named with its reason; the good ones load
  for (const [bad, named] of bads) {
    await page.evaluate(() => { document.getElementById('data-status').textContent = ''; }); // so that the wait below sees this load's
    await page.setInputFiles('#data-pictures', [files[0], bad, files[1], files[2]]);
    await page.click('#data-load-pictures');
    await page.waitForFunction(() => document.getElementById('data-status').textContent.startsWith('Training on your 3 pictures'));
    const st = await text(page, 'data-status');
    assert.ok(st.includes(`1 file was left out. ${named}`), st);
    assert.match(st, /2 training and 1 test image of 64×64 pixels/);
    assert.equal(await page.locator('#error').isVisible(), false, 'a partial load is not an error');
    assert.equal(await page.locator('#data-left').isVisible(), false, 'one file left out is named in the line itself');
  }
  // all of them at once, with a good one: each named with its reason
  await page.setInputFiles('#data-pictures', [files[0], ...bads.map(([b]) => b), files[1]]);
  await page.click('#data-load-pictures');
  await page.waitForFunction(() => /4 files were left out\. notes\.png: not a PNG or JPEG picture[^.]*\. cut\.png: the PNG picture is damaged[^.]*\. empty\.png: the file is empty\. bomb\.jpg: the picture claims 60000×60000 pixels/.test(document.getElementById('data-status').textContent));
  assert.match(await text(page, 'data-status'), /^Training on your 2 pictures: 1 training and 1 test image of/);
  // and one by one in a list that opens (the line names at most 3 a reason)
  assert.equal(await page.locator('#data-left summary').textContent(), 'Every file left out: 4');
  await page.click('#data-left summary');
  assert.deepEqual(await page.locator('#data-left li').allTextContents(), ['notes.png: not a PNG or JPEG picture.',
    'cut.png: the PNG picture is damaged or cut short (a part of it runs past the end of the file).', 'empty.png: the file is empty.',
    'bomb.jpg: the picture claims 60000×60000 pixels; at most 16384 per side and 24 million in all are read.']);
  // one test picture is shown at most 4 screen pixels a pixel, not stretched to the column's width
  await page.waitForFunction(() => document.getElementById('recon').width === 64);
  assert.ok((await page.locator('#recon').boundingBox()).width <= 4 * 64 + 2, 'the one test picture is not stretched across the column');
  // nothing readable but one: the load fails, says why, and changes nothing; with over 50 files the
  // progress shown in the top line while reading gives way to the data's line again
  const status = await text(page, 'data-status'), top = await text(page, 'engine');
  const many = [files[0], ...Array.from({ length: 60 }, (_, i) => ({ name: `junk${i}.png`, mimeType: 'image/png', buffer: Buffer.from(`not a picture ${i}`) }))];
  await page.setInputFiles('#data-pictures', many);
  await page.click('#data-load-pictures');
  await page.waitForFunction(() => /^Could not use/.test(document.getElementById('data-status').textContent));
  assert.match(await text(page, 'error'), /Could not use those pictures: only d00\.png could be read, and at least 2 pictures are needed\. junk0\.png, junk1\.png, junk2\.png and 57 more: not a PNG or JPEG picture[^;.]*\. The current data and model are unchanged/);
  assert.match(await text(page, 'data-status'), /^Could not use those pictures/, 'the reason is beside the buttons too (an embedded page may not show the error bar)');
  // the failed load's files, every one, in the list under the line
  assert.equal(await page.locator('#data-left summary').textContent(), 'Every file left out: 60');
  assert.equal(await page.locator('#data-left li').count(), 60);
  assert.equal(await text(page, 'engine'), top, 'the top line is the data\'s again, not "Read 50 of 61 pictures…"');
  await page.setInputFiles('#data-pictures', [bads[0][0], bads[1][0]]);
  await page.click('#data-load-pictures');
  await page.waitForFunction(() => /neither file could be read/.test(document.getElementById('error').textContent));
  assert.match(await text(page, 'error'), /neither file could be read\. notes\.png: not a PNG or JPEG picture[^.]*\. cut\.png: the PNG picture is damaged or cut short/);
  await page.evaluate((s) => { document.getElementById('data-status').textContent = s; }, status);
  assert.equal(await page.inputValue('#sizes'), '4096-32-4096', 'the model is as it was');
  // trained a step, then the 20 good ones again at 28×28: the 64×64 model does not read them, so a new one is built, and
  // the panel says so (its loss at step 0 is no surprise)
  await page.click('#step');
  await page.waitForFunction(() => Number(document.getElementById('n-step').textContent) === 1);
  await page.click('#stop');
  await page.waitForFunction(() => !document.getElementById('preset').disabled);
  await page.selectOption('#data-size', '28');
  await page.setInputFiles('#data-pictures', files);
  await page.click('#data-load-pictures');
  await page.waitForFunction(() => /^Training on your 20 pictures.*28×28/.test(document.getElementById('data-status').textContent));
  assert.match(await text(page, 'data-status'), /The model trained before takes images of another size, so a new, untrained model was built for these\./);
  // the Bottleneck preset on them: its batch and epochs follow the pictures' number too (new data ends the
  // stepped run, so the form is free)
  await page.waitForFunction(() => !document.getElementById('preset').disabled);
  await page.selectOption('#preset', 'bottleneck');
  assert.deepEqual([await page.inputValue('#sizes'), await page.inputValue('#batch'), await page.inputValue('#epochs')], ['10000-20-10000', '8', '67']);
  // trained a step, then MNIST: drawn at the model's 100×100, the model kept, and the panel says so
  await page.click('#step');
  await page.waitForFunction(() => Number(document.getElementById('n-step').textContent) === 1);
  await page.click('#stop');
  await page.waitForFunction(() => !document.getElementById('preset').disabled);
  await page.click('#data-mnist');
  await page.waitForFunction(() => /^Training on MNIST: .*100×100 pixels \(stored at 28×28/.test(document.getElementById('data-status').textContent));
  assert.match(await text(page, 'data-status'), /The current model was kept/);
  assert.equal(await page.inputValue('#sizes'), '10000-20-10000');
  // one picture is not enough
  await page.setInputFiles('#data-pictures', [files[0]]);
  await page.click('#data-load-pictures');
  assert.match(await text(page, 'error'), /at least 2 pictures/);
  assert.match(await text(page, 'data-status'), /^Choose at least 2 pictures/, 'beside the buttons too, not the last load\'s words');
  assert.deepEqual(errors, []);
  await page.close();
});
