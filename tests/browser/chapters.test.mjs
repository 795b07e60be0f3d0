// The page as a lesson, in headless Chromium: a chapter link opens that chapter (its words, its "try this",
// its panels and no others, the Model section always there); the table of contents and the chapter's
// next/previous buttons move between chapters and keep the link in step; "All panels" shows everything again;
// an unknown chapter is reported; a clean console.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { suite, openPage, shot } from './browser.mjs';

const env = suite();

/** The panels' sections that are shown, by id. */
const shown = (page) => page.evaluate(() => [...document.querySelectorAll('main > section')].filter((s) => !s.hidden).map((s) => s.id));

test('a chapter link opens that chapter; the contents and its buttons move between chapters', async () => {
  const { page, errors } = await openPage(env.browser, `${env.server.url}#v=1&chapter=linear`);
  assert.equal(await page.locator('#chapter-h').textContent(), '3. Linear vs non-linear');
  assert.match(await page.locator('#chapter-box').textContent(), /4 dimensions to 2.*Try this:/s);
  assert.deepEqual(await shown(page), ['chapter-box', 'setup', 'fourd-panel', 'linear-panel', 'recon-panel'], 'in the chapter\'s order');
  assert.equal(await page.locator('#toc a[aria-current="page"]').textContent(), '3. Linear vs non-linear');
  await shot(page, 'chapter-linear');
  // the contents: the pretraining chapter
  await page.click('#toc a[data-chapter="pretraining"]');
  assert.equal(await page.locator('#chapter-h').textContent(), '7. Autoencoders as pretraining');
  assert.equal(await page.evaluate(() => window.scrollY), 0, 'on a wide screen the page stays at its top');
  // its panel has its own model and buttons: the autoencoder's Model form comes after it
  assert.deepEqual(await shown(page), ['chapter-box', 'pretrain-panel', 'setup']);
  assert.match(page.url(), /chapter=pretraining/);
  assert.doesNotMatch(page.url(), /panels=/);
  // the previous chapter's button
  await page.click('#chapter-box button[data-go="denoising"]');
  assert.equal(await page.locator('#chapter-h').textContent(), '6. Denoising, infilling and blending');
  assert.deepEqual((await shown(page)).slice(0, 3), ['chapter-box', 'setup', 'noise-panel'], 'the Model form back under the chapter\'s words');
  assert.match(page.url(), /chapter=denoising/);
  // a panel shown by hand on top of the chapter goes into the link too
  await page.check('#show-latent');
  assert.match(page.url(), /chapter=denoising.*panels=.*latent/);
  // a whole link pasted into the open tab is applied as a fresh page would (here: its layer sizes)
  await page.evaluate(() => { location.hash = '#v=1&sizes=784-48-784&chapter=what'; });
  await page.waitForFunction(() => document.getElementById('sizes')?.value === '784-48-784' && document.getElementById('chapter-h')?.textContent.startsWith('1.'),
    null, { timeout: 60000 });
  await page.waitForFunction(() => !document.getElementById('start').disabled, null, { timeout: 60000 });
  // every panel again
  await page.click('#toc a[data-chapter=""]');
  assert.equal(await page.locator('#chapter-box').isHidden(), true);
  assert.doesNotMatch(page.url(), /chapter=|panels=/);
  const all = await shown(page);
  assert.equal(all.length, 1 + (await page.locator('#panels input').count()), all.join(' ')); // the Model section and every panel
  // on a wide screen the switches are always open, their phone-only summary line not drawn
  assert.equal(await page.locator('#panels').isVisible(), true);
  assert.equal(await page.locator('#panels-sum').isVisible(), false);
  // back in page order: as a page opened without a chapter has them
  const order = (pg) => pg.evaluate(() => [...document.querySelectorAll('main > section')].map((x) => x.id));
  const plain = await openPage(env.browser, `${env.server.url}#v=1`);
  assert.deepEqual(await order(page), await order(plain.page));
  await plain.page.close();
  assert.deepEqual(errors, []);
  await page.close();
});

test('an unknown chapter in a link is reported and every panel shown', async () => {
  const { page, errors } = await openPage(env.browser, `${env.server.url}#v=1&chapter=nonsense`);
  await page.waitForFunction(() => /chapter \(nonsense\)/.test(document.getElementById('error-text').textContent));
  assert.equal(await page.locator('#chapter-box').isHidden(), true);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the Sparse code preset sets the code L1 penalty, keeps it in the link, and trains', async () => {
  const { page, errors } = await openPage(env.browser, `${env.server.url}#v=1&chapter=complete`);
  await page.selectOption('#preset', 'sparse');
  assert.equal(await page.inputValue('#l1'), '0.0001');
  await page.click('#step');
  await page.waitForFunction(() => Number(document.getElementById('n-step').textContent) === 1);
  assert.match(page.url(), /l1=0.0001/);
  // a link with the penalty opens with it, and the preset is recognised
  const again = await openPage(env.browser, page.url());
  await again.page.waitForFunction(() => document.getElementById('l1').value === '0.0001');
  assert.equal(await again.page.inputValue('#preset'), 'sparse');
  assert.deepEqual([...errors, ...again.errors], []);
  await again.page.close();
  await page.close();
});

test('on a phone a chapter link opens on the chapter itself; embedded, a chapter keeps its explanations', async () => {
  const phone = await env.browser.newPage({ viewport: { width: 375, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const errors = [];
  phone.on('pageerror', (e) => errors.push(String(e)));
  await phone.goto(`${env.server.url}#v=1&chapter=bottleneck`);
  await phone.waitForFunction(() => !document.getElementById('start').disabled, null, { timeout: 60000 });
  // the panel switches would fill the first screen: a chapter picks its panels, so on a phone they go
  assert.equal(await phone.locator('#panels').isVisible(), false);
  // the contents' links are finger-sized targets, and the line fades at an edge where it goes on
  const heights = await phone.$$eval('#toc a', (as) => as.map((a) => a.getBoundingClientRect().height));
  assert.ok(heights.length >= 8 && heights.every((x) => x >= 44), `the contents' links are ${heights.join(', ')} px tall`);
  assert.match(await phone.$eval('#toc', (t) => getComputedStyle(t).maskImage || getComputedStyle(t).webkitMaskImage), /linear-gradient/);
  const h = await phone.locator('#chapter-h').boundingBox();
  assert.ok(h && h.y < 370, `the chapter's heading is in the top half of the first screen (at ${h?.y})`);
  assert.deepEqual(await shown(phone), ['chapter-box', 'setup', 'curves', 'network-panel', 'recon-panel', 'latent-panel', 'filters-panel', 'data-panel']);
  // the next chapter by the contents: the page scrolls down to it
  await phone.click('#toc a[data-chapter="linear"]');
  const box = await phone.locator('#chapter-h').boundingBox();
  assert.ok(Math.abs(box.y) < 30 && (await phone.evaluate(() => window.scrollY)) > 50, `the chapter is at the top of the screen (at ${box.y})`);
  // the contents' line shows the current chapter's link, even the last one
  await phone.click('#toc a[data-chapter="pretraining"]');
  const link = await phone.locator('#toc a[aria-current="page"]').boundingBox();
  assert.ok(link.x >= 0 && link.x + link.width <= 375, `the current chapter's link is in view (at x ${link.x})`);
  // scrolled that far, earlier links sit off the left edge: that edge fades too
  const edges = () => phone.$eval('#toc', (t) => ({ left: t.hasAttribute('data-left'), right: t.hasAttribute('data-right'),
    mask: getComputedStyle(t).maskImage || getComputedStyle(t).webkitMaskImage }));
  const late = await edges();
  assert.ok(late.left && /^linear-gradient\(to right, (transparent|rgba\(0, 0, 0, 0\))/.test(late.mask), `the left edge fades: ${JSON.stringify(late)}`);
  // back at the start no left fade, and the right one while links are hidden there
  await phone.$eval('#toc', (t) => { t.scrollLeft = 0; });
  await phone.waitForFunction(() => !document.getElementById('toc').hasAttribute('data-left'));
  const start = await edges();
  assert.ok(start.right && !start.left && /^linear-gradient\(to right, rgb\(0, 0, 0\) calc/.test(start.mask), `the right edge alone fades: ${JSON.stringify(start)}`);
  // All panels: the switches come back, folded under one line (sixteen chips would fill the first screen)
  // that says how many are on show; a tap opens them
  await phone.click('#toc a[data-chapter=""]');
  assert.equal(await phone.locator('#panels').isVisible(), false);
  const sum = phone.locator('#panels-sum');
  assert.match(await sum.textContent(), /^Show or hide panels \(all of \d+ shown\)$/);
  assert.ok((await sum.boundingBox()).height >= 44, 'the summary line is a finger-sized target');
  const setupTop = (await phone.locator('#setup').boundingBox()).y + (await phone.evaluate(() => window.scrollY));
  assert.ok(setupTop < 500, `the Model panel starts in the first screen (at ${setupTop})`);
  await sum.tap();
  assert.equal(await phone.locator('#panels').isVisible(), true);
  await phone.uncheck('#show-latent');
  const n = await phone.locator('#panels input').count();
  assert.equal(await sum.textContent(), `Show or hide panels (${n - 1} of ${n} shown)`);
  // a phone on its side is wider than 760 px and still a phone: folded too
  const side = await env.browser.newPage({ viewport: { width: 844, height: 390 }, isMobile: true, hasTouch: true });
  await side.goto(env.server.url);
  await side.waitForFunction(() => !document.getElementById('start').disabled, null, { timeout: 60000 });
  assert.equal(await side.locator('#panels').isVisible(), false);
  assert.equal(await side.locator('#panels-sum').isVisible(), true);
  await side.close();
  await phone.close();
  // embedded: a chapter's panels keep their explanations; bare panels embedded do not
  const explanation = '#recon-panel p.muted';
  const withChapter = await openPage(env.browser, `${env.server.url}#v=1&chapter=what&embed=1`);
  assert.equal(await withChapter.page.locator(explanation).first().isVisible(), true);
  assert.equal(await withChapter.page.locator('#toc').isVisible(), false);
  await withChapter.page.close();
  const bare = await openPage(env.browser, `${env.server.url}#v=1&panels=recon&embed=1`);
  assert.equal(await bare.page.locator(explanation).first().isVisible(), false);
  await bare.page.close();
  assert.deepEqual([...errors, ...withChapter.errors, ...bare.errors], []);
});

test('new data inside a chapter rewrites the chapter\'s words in place: the panels keep their order and the page its scroll', async () => {
  const { page, errors } = await openPage(env.browser, `${env.server.url}#v=1&chapter=denoising&panels=noise,infill,blend,draw,recon,data`);
  await page.waitForFunction(() => !document.getElementById('start').disabled, null, { timeout: 60000 });
  assert.match(await page.locator('#chapter-box').textContent(), /every epoch sees each digit corrupted afresh/);
  const before = await shown(page);
  // where the reader sees the button, once the panels above have drawn what the first model sends
  const buttonY = async () => (await page.locator('#data-fashion').boundingBox()).y;
  let at = NaN;
  for (let was = null; at !== was; await page.waitForTimeout(400)) {
    was = at;
    await page.locator('#data-fashion').scrollIntoViewIfNeeded();
    at = await buttonY();
  }
  const y = await page.evaluate(() => window.scrollY);
  assert.ok(y > 100, `the Data panel is further down the page (scrolled to ${y})`);
  await page.click('#data-fashion');
  await page.waitForFunction(() => /every epoch sees each image corrupted afresh/.test(document.getElementById('chapter-box').textContent));
  assert.match(await page.locator('#chapter-box .try').textContent(), /Erase part of an image in Infilling; blend two images/);
  assert.deepEqual(await shown(page), before, 'the panels kept their order');
  // the words above may change height (scroll anchoring then moves scrollY to hold the view): the button stays put
  const moved = (await buttonY()) - at;
  assert.ok(Math.abs(moved) <= 2, `the page jumped by ${moved} px under the reader`);
  assert.equal(await page.locator('#chapter-h').textContent(), '6. Denoising, infilling and blending');
  assert.deepEqual(errors, []);
  await page.close();
});
