// The page's main thread, as a shell: it starts the Worker (worker/main.js, which owns the engine and does
// all training and inference), keeps the state the page's modules share, hands every message from the
// Worker to each module that handles it, and keeps the link in the address bar. What the page shows and
// asks for lives in panels/*.js, each module with its own <section>: a new panel is one file there, listed
// in panels/index.js (and, if it asks the Worker for something, one file in worker/, listed in its index.js).
import { $, dataCounts, framed } from './common.js';
import { foldSettings } from './spec.js';
import { CHAPTERS, chapterById } from './chapters.js';
import MODULES from './panels/index.js';

// Every module of the page, in page order; a message reaches them in this order, after the shell's own
// handler below. Modules with a `name` are panels a link can show or hide (#...&panels=recon,latent).
const PANELS = MODULES.filter((p) => p.name);

const ui = {
  worker: null,
  ready: false, // the engine and the data are loaded
  running: false,
  paused: false,
  beforeProgress: null, // the top line before a job's progress replaced it (on.status), to go back to on an error
  model: null, // the Worker's last 'model' message: sizes, code, activations, nParams, stepsPerEpoch
  steps: [], // the loss chart's points (panels/loss.js), also how far the run got (panels/keep.js)
  train: [],
  test: [],
  samples: 0,
  ms: 0,
  rows: 28,
  cols: 28,
  nTest: 10000,
  nTrain: 60000,
  presetNote: null, // what the preset on show did about the data's size (panels/model.js, shown by panels/data.js)
  engine: '', // how the engine runs, in words
  engineParam: null, // the build a link asked for (#engine=scalar)
  dataName: 'MNIST', // the data the Worker trains on: 'MNIST', 'Fashion-MNIST' or a file's name
  noun: 'digit', // what the data's items are called: 'digit' for MNIST, 'image' otherwise
  chapter: null, // the lecture's chapter on show (chapters.js), or null for every panel
};

// ---- words: the page says "digit" for MNIST and "image" for any other data ----
const WORDING = [[/coloured by digit/g, 'coloured by label'], [/digit-like/g, 'realistic'], [/\ba digit\b/g, 'an image'], [/\bA digit\b/g, 'An image'],
  [/\bdigit(s?)\b/g, 'image$1'], [/\bDigit(s?)\b/g, 'Image$1']];
/** s in the current data's words. */
function say(s) {
  return ui.noun === 'digit' ? s : WORDING.reduce((t, [re, w]) => t.replace(re, w), s);
}

// The page's own words, read once at start: rewording always starts from them, so going back to MNIST
// restores every one. Text the page writes later goes through say() when it is written.
let wording = null;

/** Reword the page's own text and accessible names for the loaded data. */
function reword() {
  if (!wording) {
    wording = { text: [], labels: [] };
    const walk = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) if (/digit/i.test(n.nodeValue)) wording.text.push([n, n.nodeValue]);
    for (const el of document.querySelectorAll('main [aria-label]')) wording.labels.push([el, el.getAttribute('aria-label')]);
  }
  for (const [n, t] of wording.text) n.nodeValue = say(t);
  for (const [el, t] of wording.labels) el.setAttribute('aria-label', say(t));
}

function showError(message) {
  $('error-text').textContent = message;
  $('error').hidden = !message;
}

// ---- shareable state in the URL hash, versioned: #v=1&sizes=784-32-784+hidden=tanh&opt=adam&... ----
const HASH_VERSION = '1';
const HASH_FIELDS = { sizes: 'sizes', hidden: 'hidden', code: 'code', out: 'outloss', opt: 'optimizer', lr: 'lr', batch: 'batch', epochs: 'epochs', seed: 'seed', noise: 'noise', level: 'noiseLevel', l1: 'l1', pt: 'pt-setting', ptl: 'pt-labels' };
// Keys that links made before the layer field held the whole spec carry: the menus' values, which then
// filled what the spec left unsaid. Read (and folded into the spec, giving the same model), never written.
const MENU_FIELDS = ['hidden', 'code', 'out'];
// The link the page was opened with. Its panels apply at once; its fields once the engine has named the
// menus' options (applyLink), and until then the form holds nothing a link could say.
const link = new URLSearchParams(location.hash.slice(1));
let linkPanels = []; // unknown panel names in the link, reported with the fields
let formReady = false;

function writeHash() {
  if (!formReady) return;
  const p = new URLSearchParams({ v: HASH_VERSION });
  for (const [k, id] of Object.entries(HASH_FIELDS)) if (!MENU_FIELDS.includes(k)) p.set(k, k === 'sizes' ? $(id).value.trim() : $(id).value);
  const shown = PANELS.filter((m) => !$(m.section).hidden).map((m) => m.name);
  const chapter = chapterById(ui.chapter);
  if (chapter) p.set('chapter', chapter.id);
  // a chapter names its panels; the link lists them only if they were changed since
  if (chapter ? shown.join(',') !== PANELS.filter((m) => chapter.panels.includes(m.name)).map((m) => m.name).join(',') : shown.length !== PANELS.length) {
    p.set('panels', shown.join(','));
  }
  if (document.body.classList.contains('embed')) p.set('embed', '1');
  if (ui.engineParam) p.set('engine', ui.engineParam);
  if (ui.dataName === 'Fashion-MNIST') p.set('data', 'fashion'); // a built-in set; one's own files cannot be linked
  // commas, slashes, colons and '=' are legal in a fragment (a value's '=' reads back as itself): keep the link readable
  history.replaceState(null, '', `#${String(p).replace(/%2C/g, ',').replace(/%2F/g, '/').replace(/%3A/g, ':').replace(/%3D/g, '=')}`);
}

function showPanels(names) {
  for (const m of PANELS) {
    $(m.section).hidden = !names.includes(m.name);
    $(`show-${m.name}`).checked = names.includes(m.name);
  }
  countPanels();
}

/** The switches' summary line, which a phone shows in their place until tapped: how many panels are on show. */
function countPanels() {
  const on = PANELS.filter((m) => $(`show-${m.name}`).checked).length;
  $('panels-sum').textContent = `Show or hide panels (${on === PANELS.length ? 'all' : on} of ${PANELS.length} shown)`;
}

/** What the link says before the engine starts: embedding, the build, the panels. Returns a message if
 * the link is of another version (then none of its settings are used). */
function readLink() {
  if (link.get('embed') === '1') document.body.classList.add('embed');
  if (['threads', 'simd', 'scalar'].includes(link.get('engine'))) ui.engineParam = link.get('engine');
  // a chapter does not depend on the link's version (#chapter=linear works alone)
  if (link.has('chapter')) {
    if (chapterById(link.get('chapter'))) openChapter(link.get('chapter'), false);
    else linkPanels.push(`chapter (${link.get('chapter')})`);
  }
  if (!link.has('v')) return linkPanels.length ? `Ignored unusable values in the link: ${linkPanels.join(', ')}.` : '';
  if (link.get('v') !== HASH_VERSION) return `This link was made by a different version of aelab (v=${link.get('v')}); using the defaults.`;
  if (link.has('panels')) {
    const names = link.get('panels').split(',').filter(Boolean);
    const unknown = names.filter((k) => !PANELS.some((m) => m.name === k));
    if (unknown.length) linkPanels.push(`panels (${unknown.join(', ')})`);
    showPanels(names.filter((k) => !unknown.includes(k)));
  }
  return '';
}

/** Apply the link's fields to the form, now filled; returns a message if part of the link could not be used. */
function applyLink() {
  formReady = true;
  if (link.get('v') !== HASH_VERSION) return '';
  const bad = [];
  // the menus as an older page had them (its Simple preset's, the defaults), then the link's
  const menu = { hidden: 'relu', code: 'relu', out: 'sigmoid/bce' };
  const olderLink = MENU_FIELDS.some((k) => link.has(k));
  for (const [k, id] of Object.entries(HASH_FIELDS)) {
    if (!link.has(k)) continue;
    const el = $(id);
    if (el.tagName === 'SELECT' && ![...el.options].some((o) => o.value === link.get(k))) bad.push(k);
    else if (MENU_FIELDS.includes(k)) menu[k] = link.get(k);
    else {
      // a value the field itself refuses (letters for sizes, a level of 7) keeps the default instead; the
      // form is disabled until the data is loaded, and a disabled field passes any check
      const [before, disabled] = [el.value, el.disabled];
      el.disabled = false;
      el.value = link.get(k);
      if (!el.checkValidity()) {
        el.value = before;
        bad.push(k);
      }
      el.disabled = disabled;
    }
  }
  if (olderLink) {
    const [output, loss] = menu.out.split('/');
    $('sizes').value = foldSettings($('sizes').value.trim(), { hidden: menu.hidden, code: menu.code, output, loss });
    writeHash(); // the address bar holds the link as this version writes it
  }
  bad.push(...linkPanels);
  return bad.length ? `Ignored unusable values in the link (the defaults are used instead): ${bad.join(', ')}.` : '';
}

/** The table of contents: every chapter of the lecture, and every panel at once. */
function setupToc() {
  const nav = $('toc');
  const item = (id, text) => {
    const a = document.createElement('a');
    a.href = id ? `#v=${HASH_VERSION}&chapter=${id}` : `#v=${HASH_VERSION}`;
    a.textContent = text;
    a.dataset.chapter = id ?? '';
    a.addEventListener('click', (e) => {
      e.preventDefault(); // the page keeps its settings: openChapter rewrites the link with them
      openChapter(id);
    });
    return a;
  };
  nav.append(...CHAPTERS.map((c, i) => item(c.id, `${i + 1}. ${c.title}`)), item(null, 'All panels'));
  nav.lastChild.setAttribute('aria-current', 'page'); // until a link or a click opens a chapter
  // on a phone the line scrolls sideways: style.css fades each edge beyond which links are hidden
  nav.addEventListener('scroll', tocEdges, { passive: true });
  window.addEventListener('resize', tocEdges);
  tocEdges();
}

/** Which ends of the contents line hide links (data-left, data-right), for style.css's fades. */
function tocEdges() {
  const nav = $('toc');
  nav.toggleAttribute('data-left', nav.scrollLeft > 1);
  nav.toggleAttribute('data-right', nav.scrollLeft + nav.clientWidth < nav.scrollWidth - 1);
}

/** The chapter box's words and buttons (again when the data's noun changes: "digit" or "image"). */
function fillChapter(c) {
  const box = $('chapter-box');
  const i = CHAPTERS.indexOf(c), prev = CHAPTERS[i - 1], next = CHAPTERS[i + 1];
  box.innerHTML = `<h2 id="chapter-h" tabindex="-1">${i + 1}. ${c.title}</h2>${c.text.map((t) => `<p>${say(t)}</p>`).join('')}`
    + `<p class="try"><strong>Try this:</strong> ${say(c.tryThis)}</p><div class="buttons">`
    + `${prev ? `<button class="secondary" data-go="${prev.id}">← ${prev.title}</button>` : ''}`
    + `${next ? `<button class="secondary" data-go="${next.id}">${next.title} →</button>` : ''}</div>`;
  for (const b of box.querySelectorAll('button')) {
    b.addEventListener('click', () => {
      openChapter(b.dataset.go);
      $('chapter-h').focus(); // the button that was clicked is gone: keyboard focus goes to the new chapter
    });
  }
}

/** Show one chapter: its words and "try this" above its panels (the Model section stays, above them or, for a
 * chapter whose panels have their own controls, below); null shows every panel. */
function openChapter(id, write = true) {
  const c = chapterById(id);
  if (write && /^There is no chapter/.test($('error-text').textContent)) showError('');
  ui.chapter = c ? c.id : null;
  showPanels(c ? c.panels : PANELS.map((m) => m.name));
  // a chapter's panels in its own order (the first is its point), the rest after them in page order
  const order = c ? [...c.panels, ...PANELS.map((m) => m.name).filter((n) => !c.panels.includes(n))] : PANELS.map((m) => m.name);
  const panes = document.querySelector('main');
  // the Model section leads, under the chapter's words, unless the chapter's panels carry their own controls
  $('chapter-box').after($('setup'));
  for (const n of order) {
    panes.appendChild($(PANELS.find((m) => m.name === n).section));
    if (c?.modelAfter && n === c.panels.at(-1)) panes.appendChild($('setup'));
  }
  const box = $('chapter-box');
  box.hidden = !c;
  document.body.classList.toggle('chapter', !!c); // style.css: a chapter picks its own panels
  for (const a of $('toc').querySelectorAll('a')) {
    if (a.dataset.chapter === (ui.chapter ?? '')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  // on a phone the contents are one line that scrolls sideways (style.css): the current chapter's link in view
  const cur = $('toc').querySelector('[aria-current]');
  if (cur) $('toc').scrollLeft = Math.max(0, cur.offsetLeft - $('toc').offsetLeft - 32); // clear of the left edge's 24 px fade
  tocEdges();
  if (c) fillChapter(c);
  if (write) {
    writeHash();
    refresh();
    // on a phone the contents fill the first screen: the page (never a page embedding it) scrolls to the chapter
    const narrow = window.matchMedia('(max-width: 760px)').matches;
    window.scrollTo(0, c && narrow ? box.getBoundingClientRect().top + window.scrollY : 0);
  }
}

function setupShow() {
  const fs = $('panels');
  for (const m of PANELS) {
    const l = document.createElement('label');
    l.innerHTML = `<input type="checkbox" id="show-${m.name}" checked> ${m.label}`;
    fs.append(l);
    l.firstChild.addEventListener('change', (e) => {
      $(m.section).hidden = !e.target.checked;
      countPanels();
      writeHash();
      if (e.target.checked) refresh();
    });
  }
  countPanels();
  // On a phone, upright or on its side, the switches, sixteen finger-sized chips, would fill the first screen
  // above the Model panel: they start folded under their summary line (style.css shows it only there, with
  // the same query). Any other window always has them open.
  const narrow = window.matchMedia('(max-width: 760px), (pointer: coarse) and (max-height: 500px)'), box = $('panels-box');
  box.open = !narrow.matches;
  narrow.addEventListener('change', (e) => { if (!e.matches) box.open = true; });
}

function setButtons() {
  for (const m of MODULES) m.enable?.(ui);
}

/** Every panel asks the Worker for its output of the current model again. */
function refresh() {
  for (const m of MODULES) m.refresh?.();
}

function send(type, extra = {}, transfer = []) {
  ui.worker.postMessage({ type, ...extra }, transfer);
}

// The shell's part of the Worker's messages; the modules' parts follow in MODULES order.
const on = {
  engine(m) {
    if (m.variant === 'threads') ui.engine = `WebAssembly SIMD on ${m.threads} threads (the page is cross-origin isolated), in a Web Worker`;
    else if (m.simd) ui.engine = `WebAssembly SIMD, 1 thread${m.forced ? ' (chosen by the link)' : m.isolated || framed ? '' : ' (more threads need a cross-origin isolated page)'}, in a Web Worker`;
    else ui.engine = `WebAssembly scalar (${m.forced ? 'chosen by the link' : 'this browser has no WebAssembly SIMD'}), in a Web Worker`;
    $('engine').textContent = `Engine: ${ui.engine}.`;
    // framed in a lesson, the reason for one thread is the course page's hosting, which its reader cannot change:
    // it goes in the tooltip, for whoever hosts it
    $('engine').title = framed && m.variant === 'simd' && !m.forced && !m.isolated
      ? 'One thread: more need the page cross-origin isolated (COOP and COEP headers; see docs/hosting.md in aelab).' : '';
    $('engine').dataset.variant = m.variant;
  },
  status(m) {
    // a long job's progress ("Read 50 of 120 pictures…"), in the top line until its data or its error comes
    ui.beforeProgress ??= $('engine').textContent;
    $('engine').textContent = m.message;
  },
  data(m) {
    ui.rows = m.rows; // the images as the model reads them
    ui.cols = m.cols;
    [ui.baseRows, ui.baseCols] = m.drawnFrom ?? [m.rows, m.cols]; // as loaded: the presets are made for this size
    ui.nTest = m.test;
    ui.nTrain = m.train;
    ui.ready = true;
    for (const el of document.querySelectorAll('.dims')) el.textContent = `${m.rows}×${m.cols}`;
    for (const el of document.querySelectorAll('.npix')) el.textContent = (m.rows * m.cols).toLocaleString('en');
    ui.dataName = m.name;
    writeHash();
    const noun = m.name === 'MNIST' ? 'digit' : 'image';
    if (noun !== ui.noun) {
      ui.noun = noun;
      reword();
      // the chapter's words too, in place: reopening it would move the panels and the reader's place with them
      if (ui.chapter) fillChapter(chapterById(ui.chapter));
    }
    const counts = noun === 'digit' ? dataCounts(m).replace('images', 'digits') : dataCounts(m);
    if (m.first) $('engine').textContent = `Ready: ${m.name}, ${counts} loaded in ${(m.ms / 1000).toFixed(1)} s. Engine: ${ui.engine}.`;
    else if (!m.redrawn) $('engine').textContent = `Ready: ${m.name}, ${counts}. Engine: ${ui.engine}.`; // the top line follows the data
    ui.beforeProgress = null;
    setButtons();
  },
  model(m) {
    ui.model = m;
    setButtons();
  },
  images() {
    refresh();
  },
  state(m) {
    ui.running = m.running;
    ui.paused = !!m.paused && !m.running && !m.finished;
    setButtons();
  },
  file(m) {
    const url = URL.createObjectURL(new Blob([m.bytes], { type: m.mime }));
    const a = document.createElement('a');
    a.href = url;
    a.download = m.name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  },
  diverged(m) {
    showError(m.message);
  },
  error(m) {
    showError(m.message);
    // a failed load leaves the data as it was: the top line goes back to what it said before the progress
    if (ui.beforeProgress !== null) $('engine').textContent = ui.beforeProgress;
    ui.beforeProgress = null;
  },
};

function dispatch(msg) {
  on[msg.type]?.(msg);
  for (const m of MODULES) m.on?.[msg.type]?.(msg);
}

/** Put the modules' sections on the page, in their order, where index.html leaves room for them. */
function placeSections() {
  const main = document.querySelector('main');
  for (const m of MODULES) if (m.html) main.insertAdjacentHTML('beforeend', m.html);
  for (const m of PANELS) if (!$(m.section)) throw new Error(`panel '${m.name}' has no <section id="${m.section}">`);
}

function main() {
  const names = PANELS.map((m) => m.name);
  if (new Set(names).size !== names.length) throw new Error(`two panels share a name: ${names.join(', ')}`);
  placeSections(); // before anything looks for a control; this module runs before the page is first drawn
  reword(); // reads the page's own words before any are replaced
  setupShow();
  setupToc();
  // a chapter link followed in a tab that is already open (the page itself rewrites the hash with
  // replaceState, which fires no hashchange)
  window.addEventListener('hashchange', () => {
    const p = new URLSearchParams(location.hash.slice(1));
    // a whole link (a model, data, panels) is applied as a fresh page would apply it
    if ([...p.keys()].some((k) => !['chapter', 'v'].includes(k))) {
      location.reload();
      return;
    }
    const id = p.get('chapter');
    if (id === null || chapterById(id)) openChapter(id);
    else {
      showError(`There is no chapter '${id}'.`);
      writeHash(); // the address bar shows what the page shows
    }
  });
  const linkProblem = readLink();
  if (linkProblem) showError(linkProblem);
  // what every module gets at setup: the shared state and the shell's services
  const ctx = { ui, send, showError, say, writeHash, applyLink, setButtons, refresh };
  for (const m of MODULES) m.setup?.(ctx);
  $('error-close').addEventListener('click', () => showError(''));
  ui.worker = new Worker(new URL('./worker/main.js', import.meta.url), { type: 'module' });
  ui.worker.onmessage = (ev) => dispatch(ev.data);
  ui.worker.onerror = (ev) => showError(`The training worker failed: ${ev.message ?? 'unknown error'}`);
  send('init', { engine: ui.engineParam, data: link.get('data') === 'fashion' && link.get('v') === HASH_VERSION ? 'fashion' : 'mnist' });
  setButtons();
}

main();
