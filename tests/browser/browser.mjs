// Headless Chromium (Debian's package) driven by playwright-core, and the site served by our own static
// server on a free local port, optionally under a sub-path.
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const artifacts = path.join(root, 'test-artifacts');

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Serve build/site; returns { url, close }. */
export async function serve({ base = '/', isolate = false } = {}) {
  const port = await freePort();
  const args = [path.join(root, 'scripts/serve.mjs'), path.join(root, 'build/site'), String(port), '--base', base];
  if (isolate) args.push('--isolate');
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => (String(d).includes('serving') ? resolve() : null));
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}${base}`, close: () => proc.kill() };
}

// playwright's launch() starts Chromium with a fresh temporary profile of its own each time.
export async function launch() {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--no-first-run', '--disable-sync', '--disable-quic'],
  });
  return { browser, close: () => browser.close() };
}

/** A phone held upright, for openPage's options. */
export const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/** Open the page (a desktop window unless options say otherwise, e.g. PHONE) and collect console errors and
 * page errors. */
export async function openPage(browser, url, options = { viewport: { width: 1200, height: 900 } }) {
  const page = await browser.newPage(options);
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForFunction(() => !document.getElementById('start').disabled, null, { timeout: 60000 });
  return { page, errors };
}

export async function shot(page, name, selector) {
  fs.mkdirSync(artifacts, { recursive: true });
  const file = path.join(artifacts, `${name}.png`);
  if (selector) await page.locator(selector).screenshot({ path: file });
  else await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Mean and spread of a canvas's pixels (to tell a drawn image from a blank one). */
export async function canvasStats(page, id) {
  return page.evaluate((cid) => {
    const c = document.getElementById(cid);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let sum = 0, sq = 0, n = 0;
    for (let i = 0; i < d.length; i += 4) { sum += d[i]; sq += d[i] * d[i]; n++; }
    const mean = sum / n;
    return { mean, sd: Math.sqrt(sq / n - mean * mean), w: c.width, h: c.height, hash: Array.from(d.filter((_, i) => i % 4 === 0)).reduce((a, v) => (a * 31 + v) >>> 0, 7) };
  }, id);
}

/** For a test file: the site served and Chromium started before its tests and closed after them.
 * Returns { server, browser }, filled in once the tests start. */
export function suite(options) {
  const env = {};
  let chrome;
  before(async () => {
    env.server = await serve(options);
    chrome = await launch();
    env.browser = chrome.browser;
  });
  after(async () => {
    await chrome?.close();
    env.server?.close();
  });
  return env;
}

/** Draw a vertical stroke (a "1") in the Draw panel with the mouse and wait for its reconstruction. */
export async function drawStroke(page) {
  await page.locator('#draw').scrollIntoViewIfNeeded();
  const d = await page.locator('#draw').boundingBox();
  await page.mouse.move(d.x + d.width * 0.5, d.y + d.height * 0.15);
  await page.mouse.down();
  await page.mouse.move(d.x + d.width * 0.52, d.y + d.height * 0.85, { steps: 15 });
  await page.mouse.up();
  await page.waitForFunction(() => document.getElementById('draw-text').dataset.done === '1');
}

/** Start the page's current run, wait until it has trained at least `steps` steps, then pause it. */
export async function trainFor(page, steps) {
  await page.click('#start');
  await page.waitForFunction((s) => Number(document.getElementById('n-step').textContent) >= s, steps, { timeout: 180000 });
  await page.click('#pause');
  await page.waitForFunction(() => !document.getElementById('resume').disabled);
}
