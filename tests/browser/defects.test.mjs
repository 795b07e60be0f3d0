// The page as `make serve` serves it (cross-origin isolated, the threads build), on a phone, and embedded by a
// course page on another origin: each test here failed before its fix (issue 8).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { suite, openPage, trainFor, shot, PHONE } from './browser.mjs';

const env = suite({ isolate: true });

const errorText = (page) => page.locator('#error').textContent();
const waitError = (page, re) => page.waitForFunction((src) => new RegExp(src).test(document.getElementById('error').textContent), re.source);

test('threaded page: engine errors reach the user as the engine wrote them', async () => {
  const { page, errors } = await openPage(env.browser, env.server.url);
  assert.match(await page.locator('#engine').textContent(), /SIMD on \d+ threads/);
  // a malformed model file
  await page.setInputFiles('#load', { name: 'broken.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not a model at all') });
  await waitError(page, /safetensors|truncated|header/);
  assert.doesNotMatch(await errorText(page), /TextDecoder|shared/);
  // layer sizes the engine refuses
  await page.fill('#sizes', '784-2000000-784');
  await page.locator('#sizes').dispatchEvent('change');
  await waitError(page, /widths must be/);
  assert.doesNotMatch(await errorText(page), /TextDecoder|shared/);
  await page.fill('#sizes', '784-32-784');
  await page.locator('#sizes').dispatchEvent('change');
  // an IDX file with the wrong magic
  await page.setInputFiles('#data-images', { name: 'bad.idx', mimeType: 'application/octet-stream', buffer: Buffer.from([0, 0, 9, 9, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0]) });
  await page.click('#data-load');
  await waitError(page, /Could not use bad\.idx: .*(element type|magic)/);
  const msg = await errorText(page);
  assert.doesNotMatch(msg, /TextDecoder|shared/);
  assert.doesNotMatch(msg, /[a-z0-9] The current/, `sentences run together: ${msg}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('threaded page: a link with sizes the engine refuses shows its message, names nothing garbled', async () => {
  const { page, errors } = await openPage(env.browser, `${env.server.url}#v=1&sizes=784-0-784`);
  await waitError(page, /widths must be/);
  assert.doesNotMatch(await errorText(page), /TextDecoder|shared/);
  assert.deepEqual(errors, []);
  await page.close();
});

/** A course page on another origin that follows docs/hosting.md: COOP/COEP on itself, allow on the iframe
 * (isolated false: a course page without them, as most are). */
async function coursePage(appUrl, isolated = true) {
  const html = `<!doctype html><title>ML 101</title><h1>Week 7: autoencoders</h1>
<iframe id="app" src="${appUrl}#v=1&sizes=784-32-784&embed=1" width="100%" height="900" allow="cross-origin-isolated" title="aelab" style="border:0"></iframe>`;
  const server = http.createServer((req, res) => {
    const coi = isolated ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {};
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', ...coi });
    res.end(html);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://localhost:${server.address().port}/`, close: () => server.close() };
}

test('embedded with threads in an isolated course page on another origin: the iframe loads, is isolated and trains', async () => {
  // the app is served from 127.0.0.1, the course page from localhost: two sites
  const course = await coursePage(env.server.url);
  try {
    const page = await env.browser.newPage({ viewport: { width: 1000, height: 1000 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(course.url);
    assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'the course page itself is isolated');
    const frame = await (await page.waitForSelector('#app')).contentFrame();
    await frame.waitForFunction(() => document.getElementById('start') && !document.getElementById('start').disabled, null, { timeout: 60000 });
    assert.equal(await frame.evaluate(() => crossOriginIsolated), true);
    assert.match(await frame.locator('#engine').textContent(), /SIMD on \d+ threads/);
    await frame.click('#step');
    await frame.waitForFunction(() => Number(document.getElementById('n-step').textContent) === 1);
    // the embedded page fits the 900 px iframe's width: nothing spills sideways
    const over = await frame.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(over <= 0, `embedded page overflows sideways by ${over} px`);
    // and every field stays inside its panel
    const spill = await frame.evaluate(() => [...document.querySelectorAll('section input, section select')]
      .filter((el) => el.offsetParent && el.getBoundingClientRect().right > el.closest('section').getBoundingClientRect().right + 0.5).map((el) => el.id));
    assert.deepEqual(spill, [], 'fields that spill over their panel');
    await shot(page, 'embedded-cross-origin');
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    course.close();
  }
});

test('embedded in a course page that is not isolated: one thread, and the top line keeps the hosting advice to its tooltip', async () => {
  const course = await coursePage(env.server.url, false);
  try {
    const page = await env.browser.newPage({ viewport: { width: 1000, height: 1000 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(course.url);
    const frame = await (await page.waitForSelector('#app')).contentFrame();
    await frame.waitForFunction(() => document.getElementById('start') && !document.getElementById('start').disabled, null, { timeout: 60000 });
    assert.equal(await frame.evaluate(() => crossOriginIsolated), false);
    const line = await frame.locator('#engine').textContent();
    assert.match(line, /WebAssembly SIMD, 1 thread, in a Web Worker/);
    assert.doesNotMatch(line, /cross-origin/, 'a lesson\'s reader cannot change the hosting');
    assert.match(await frame.locator('#engine').getAttribute('title'), /cross-origin isolated .*docs\/hosting\.md/);
    // a framed page's storage may be refused (headless Chromium refuses it to this frame): said as the course page's doing
    await frame.waitForFunction(() => !document.getElementById('keep-off').hidden);
    assert.match(await frame.locator('#keep-off').textContent(), /inside this course page the browser does not let the lab keep data \(opened on its own, it may\)/);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    course.close();
  }
});

test('phone: 390×844 fits with no horizontal scroll and every control is a usable touch target', async () => {
  const { page, errors } = await openPage(env.browser, env.server.url, { ...PHONE, deviceScaleFactor: 3 });
  const layout = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  assert.equal(layout.inner, 390, `the page is zoomed out to ${layout.inner} px`);
  assert.ok(layout.scroll <= 390, `the page lays out ${layout.scroll} px wide`);
  // every visible control, or the label that wraps it (its touch target), is at least 40 px tall and wide enough
  const small = await page.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll('button, input, select, canvas[tabindex], summary')) {
      const box = (el.closest('label') ?? el).getBoundingClientRect();
      if (el.offsetParent === null && !el.closest('label')?.offsetParent) continue; // hidden
      if (box.width === 0 && box.height === 0) continue;
      if (box.height < 40 || box.width < 40) bad.push(`${el.id || el.name || el.tagName} ${Math.round(box.width)}×${Math.round(box.height)}`);
      if (box.right > 390.5) bad.push(`${el.id || el.tagName} reaches x=${Math.round(box.right)}`);
    }
    return bad;
  });
  assert.deepEqual(small, [], 'controls too small or off-screen on a phone');
  // Load model (a label around a file input) looks like the Save model button beside it
  const [save, load] = [await page.locator('#save').boundingBox(), await page.locator('label.filebtn').boundingBox()];
  assert.ok(save.y === load.y && save.height === load.height, `Save model ${JSON.stringify(save)} and Load model ${JSON.stringify(load)} differ`);
  assert.equal(await page.$eval('label.filebtn', (l) => getComputedStyle(l).fontSize), await page.$eval('#save', (b) => getComputedStyle(b).fontSize));
  // a finger dragged over the latent map moves the decoded point instead of scrolling the page
  assert.equal(await page.evaluate(() => getComputedStyle(document.getElementById('latent')).touchAction), 'none');
  await page.tap('#step');
  await page.waitForFunction(() => Number(document.getElementById('n-step').textContent) === 1);
  await shot(page, 'phone-390');
  assert.deepEqual(errors, []);
  await page.close();
});

test('phone: a run started below the fold shows where it is, and pauses, from a bar at the bottom of the screen', async () => {
  const { page, errors } = await openPage(env.browser, env.server.url, PHONE);
  await page.fill('#epochs', '50'); // long enough to be running throughout
  await page.locator('#epochs').dispatchEvent('change');
  assert.equal(await page.locator('#runbar').isVisible(), false, 'no bar before a run');
  // the form is taller than the screen: Start is at its foot and the numbers under it are out of view
  await page.evaluate(() => document.getElementById('setup').scrollIntoView());
  await page.tap('#start');
  await page.waitForFunction(() => Number(document.getElementById('n-step').textContent) > 0);
  const inView = (id) => page.evaluate((i) => { const r = document.getElementById(i).getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0; }, id);
  assert.equal(await inView('numbers'), false);
  await page.waitForFunction(() => !document.getElementById('runbar').hidden);
  await page.waitForFunction(() => /^Epoch \d+ of 50 · step \d+ · loss \d\.\d{4}/.test(document.getElementById('runbar-text').textContent));
  const bar = await page.locator('#runbar').boundingBox(), toggle = await page.locator('#runbar-toggle').boundingBox();
  assert.ok(bar.y >= 0 && bar.y + bar.height <= 844 && bar.x >= 0 && bar.x + bar.width <= 390, `the bar is at ${JSON.stringify(bar)}`);
  assert.ok(toggle.height >= 44 && toggle.width >= 44, `its button is ${toggle.width}×${toggle.height}`);
  // above the numbers (the page's top), its way back to the controls points down
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForFunction(() => !document.getElementById('runbar').hidden && document.getElementById('runbar-go').textContent === '↓');
  // the time left in whole minutes and seconds (rounding the seconds alone once read '2 min 60 s')
  assert.deepEqual(await page.evaluate(async () => { const { fmtTime } = await import('./panels/loss.js'); return [fmtTime(119.6), fmtTime(59.6), fmtTime(61), fmtTime(7.4)]; }),
    ['2 min 0 s', '1 min 0 s', '1 min 1 s', '7 s']);
  // the bar follows the run while the reader is further down, and pauses it
  await page.evaluate(() => document.getElementById('recon-panel').scrollIntoView());
  await page.waitForFunction(() => document.getElementById('runbar-go').textContent === '↑');
  await page.tap('#runbar-toggle');
  await page.waitForFunction(() => !document.getElementById('resume').disabled);
  await page.waitForFunction(() => /^Paused · Epoch/.test(document.getElementById('runbar-text').textContent));
  assert.equal(await page.locator('#runbar-toggle').textContent(), 'Resume');
  // scrolled back to the numbers, the bar goes; away again, it is back
  await page.evaluate(() => document.getElementById('numbers').scrollIntoView());
  await page.waitForFunction(() => document.getElementById('runbar').hidden);
  await page.evaluate(() => document.getElementById('recon-panel').scrollIntoView());
  await page.waitForFunction(() => !document.getElementById('runbar').hidden);
  // it takes the reader back to the controls, where the numbers are, and goes
  await page.tap('#runbar-go');
  await page.waitForFunction(() => document.getElementById('runbar').hidden);
  assert.equal(await inView('numbers'), true);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'resume');
  // resumed from the bar further down, the run stopped (by the Stop button, from wherever) takes the bar with it
  await page.evaluate(() => document.getElementById('recon-panel').scrollIntoView());
  await page.waitForFunction(() => !document.getElementById('runbar').hidden);
  await page.tap('#runbar-toggle');
  await page.waitForFunction(() => !document.getElementById('pause').disabled);
  assert.equal(await page.locator('#runbar-toggle').textContent(), 'Pause');
  await page.evaluate(() => document.getElementById('stop').click());
  await page.waitForFunction(() => !document.getElementById('start').disabled);
  await page.waitForFunction(() => document.getElementById('runbar').hidden);
  assert.equal(await inView('numbers'), false, 'the page stays where the reader is');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'start', 'focus, which was in the bar, goes to Start');
  assert.deepEqual(errors, []);
  await page.close();
});

test('an invalid field names itself; the preset menu says Custom for a model a link set', async () => {
  const { page, errors } = await openPage(env.browser, `${env.server.url}#v=1&sizes=784-100-784`);
  assert.equal(await page.inputValue('#preset'), 'custom');
  await page.selectOption('#preset', 'deep');
  assert.equal(await page.inputValue('#sizes'), '784-128-64-32-64-128-784');
  await page.fill('#lr', '');
  await page.locator('#lr').dispatchEvent('change');
  await waitError(page, /Learning rate/);
  await page.click('#start');
  await waitError(page, /Learning rate/);
  await page.fill('#lr', '0.001');
  await page.locator('#lr').dispatchEvent('change');
  await page.click('#start');
  await page.waitForFunction(() => Number(document.getElementById('n-step').textContent) >= 1);
  await page.click('#pause');
  await page.waitForFunction(() => !document.getElementById('resume').disabled);
  // paused: the form is locked and the page says what unlocks it
  assert.equal(await page.locator('#sizes').isDisabled(), true);
  assert.match(await page.locator('#form-lock').textContent(), /Stop/);
  assert.equal(await page.locator('#form-lock').isVisible(), true);
  await page.click('#stop');
  await page.waitForFunction(() => !document.getElementById('sizes').disabled);
  assert.equal(await page.locator('#form-lock').isVisible(), false);
  assert.deepEqual(errors, []);
  await page.close();
});

test('loading a model shows its test loss instead of wiping the numbers', async () => {
  const { page, errors } = await openPage(env.browser, env.server.url);
  await trainFor(page, 30);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
  const file = await download.path();
  await page.click('#stop');
  await page.click('#reset');
  await page.waitForFunction(() => document.getElementById('n-step').textContent === '0');
  await page.setInputFiles('#load', file);
  await page.waitForFunction(() => /Loaded/.test(document.getElementById('engine').textContent));
  await page.waitForFunction(() => Number(document.getElementById('n-test').textContent) > 0);
  const loss = Number(await page.locator('#n-test').textContent());
  assert.ok(loss > 0.05 && loss < 0.5, `test loss of the loaded model: ${loss}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a run that explodes without reaching NaN (SGD at lr 1e9) stops with a message and keeps its last good weights', async () => {
  const { page, errors } = await openPage(env.browser, `${env.server.url}#v=1&opt=sgd&lr=1000000000`);
  await page.click('#start');
  await waitError(page, /diverged/);
  assert.match(await errorText(page), /learning rate/);
  await page.waitForFunction(() => !document.getElementById('start').disabled || !document.getElementById('resume').disabled);
  // the numbers show the last sound step, and the kept weights still reconstruct (not a blank or NaN canvas)
  const step = Number(await page.locator('#n-step').textContent());
  assert.ok(step >= 0 && step < 5, `rolled back to step ${step}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a refused edit or file keeps the trained model and a paused run paused; the message is in view', async () => {
  const { page, errors } = await openPage(env.browser, env.server.url);
  await trainFor(page, 20);
  const step = await page.locator('#n-step').textContent();
  // a bad model file while paused: still paused, Resume still there, the message on screen though the
  // control that caused it is far down the page
  await page.locator('#data-panel').scrollIntoViewIfNeeded();
  await page.setInputFiles('#load', { name: 'broken.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not a model at all') });
  await waitError(page, /Could not load broken\.safetensors: .*The current model is unchanged\./);
  assert.equal(await page.locator('#resume').isDisabled(), false, 'the paused run can still be resumed');
  const box = await page.locator('#error').boundingBox();
  assert.ok(box.y >= 0 && box.y < 900, `error message at y=${box.y}, out of view`);
  await page.click('#stop');
  await page.waitForFunction(() => !document.getElementById('sizes').disabled);
  assert.equal(await page.locator('#n-eta').textContent(), 'stopped');
  // sizes the engine refuses: the trained model stays, and can still be saved
  await page.fill('#sizes', '784-0-784');
  await page.locator('#sizes').dispatchEvent('change');
  await waitError(page, /widths must be/);
  assert.equal(await page.locator('#n-step').textContent(), step);
  // a spec the field's pattern refuses gets the engine's words for what is wrong, not the field's whole title
  await page.fill('#sizes', '1x28x28-conv16k3--pool2');
  await page.locator('#sizes').dispatchEvent('change');
  await waitError(page, /an empty item \(a '-' at an end or two in a row\)/);
  assert.doesNotMatch(await page.locator('#error').textContent(), /Fix this field|such as 784-32-784/);
  assert.equal(await page.locator('#n-step').textContent(), step);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
  assert.match(download.suggestedFilename(), /784-32-784/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('unusable values in a link fall back to their defaults, named in one message, and the page has a model', async () => {
  const { page, errors } = await openPage(env.browser, `${env.server.url}#v=1&sizes=abc&hidden=bogus&batch=-5&level=7&epochs=99999`);
  await waitError(page, /Ignored unusable values in the link .*sizes, hidden, batch, epochs, level/);
  assert.equal(await page.inputValue('#sizes'), '784-32-784');
  assert.equal(await page.inputValue('#batch'), '256');
  await page.waitForFunction(() => document.getElementById('n-params').textContent === '50,992');
  assert.deepEqual(errors, []);
  await page.close();
});

test('Start after a refused setting trains nothing under it; Step after Stop starts a run that Resume continues', async () => {
  const { page, errors } = await openPage(env.browser, env.server.url);
  await page.fill('#lr', '0');
  await page.locator('#lr').dispatchEvent('change');
  await waitError(page, /Learning rate must be a positive number/);
  await page.click('#start');
  await waitError(page, /Learning rate must be a positive number/);
  // two round trips through the worker: nothing trained under lr 0
  await page.click('#step');
  await waitError(page, /Learning rate must be a positive number/);
  assert.equal(await page.locator('#n-step').textContent(), '0');
  // the message bar can be dismissed
  await page.click('#error-close');
  assert.equal(await page.locator('#error').isHidden(), true);
  await page.fill('#lr', '0.001');
  await page.locator('#lr').dispatchEvent('change');
  await trainFor(page, 3);
  await page.click('#stop');
  await page.waitForFunction(() => !document.getElementById('start').disabled);
  await page.click('#step');
  await page.waitForFunction(() => document.getElementById('n-step').textContent === '1');
  await page.click('#resume');
  await page.waitForFunction(() => Number(document.getElementById('n-step').textContent) > 3);
  await page.click('#pause');
  await page.waitForFunction(() => !document.getElementById('resume').disabled);
  assert.deepEqual(errors, []);
  await page.close();
});
