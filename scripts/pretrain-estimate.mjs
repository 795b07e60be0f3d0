// The estimating loop of scripts/pretrain-wasm.mjs, for Node and for a Worker in Chromium alike (no Node
// imports): the "pretrain" jobs of `aelab pretrain`, each phase run for `sample` epochs and timed, and the
// full run's wall time estimated from them.
//
// How the estimate is made. Every epoch of a phase does the same work (its steps, then the test set), so a
// phase of E epochs costs setup + E × (the time of one). A phase's setup (building its autoencoder,
// and for a layer above the first the codes of all 70,000 images through the layers below) runs at the end of
// the phase before, inside that phase's last run() call: it is that call's time less an epoch's, an epoch's
// being the mean of the phase's other timed ones (the last phase's: all of them). The first phase's setup is
// the job's creation. --sample 0 runs every epoch instead and gives the measured time beside the estimate
// that --sample 2 would make (the check that the estimate holds).
//
// In a Worker named 'pretrain-estimate' (scripts/pretrain-wasm.mjs --browser starts this file as one, from a
// Blob) it waits for one message { site, o, load }: site, the URL of the built site (its aelab.js,
// worker/pretrain.js and data/); o, pretrain-wasm.mjs's options; load, the header's load average; and posts
// { line } for each line of output, then { done } or { error }.

/** The header line and each recipe's lines through log(line). ae: a loaded engine; SETTINGS: the
 * walkthrough's settings (web/worker/pretrain.js); train, test: MNIST datasets; o: the options, strings
 * as given (see scripts/pretrain-wasm.mjs); where: the JS engine and load: the machine's load average when it
 * started, for the header. */
export function estimate({ ae, SETTINGS, train, test, o, where, load, log }) {
  const sample = Number(o.sample);
  const full = { pre: Number(o['pre-epochs']), top: Number(o['top-epochs']), fine: Number(o['fine-epochs']) };
  const setting = SETTINGS[o.historical ? 'historical' : 'modern'];
  log(`# wasm ${ae.variant} build, ${ae.threads} thread(s), in ${where}: ${o.arch} ${o.historical ? 'historical' : 'modern'}, ` +
    `${full.pre} pretraining, ${full.top} top-layer and ${full.fine} fine-tuning epochs, labels per class ${o['labels-per-class']}, noise ${o.noise}` +
    `${o.noise === 'none' ? '' : ` ${o['noise-level']}`}${['lr', 'pre-lr', 'lr-decay', 'weight-decay'].filter((k) => o[k] !== null).map((k) => `, ${k} ${o[k]}`).join('')}, seed ${o.seed}; ${sample ? `${sample} epochs of each phase timed` : 'every epoch run'}; ${load}`);
  const fmt = (s) => `${s.toFixed(0)} s${s >= 600 ? ` (${(s / 3600).toFixed(2)} h)` : ''}`;
  for (const recipe of o.recipe.split(',')) {
    const { hidden, ...opt } = setting;
    const model = ae.model({ sizes: o.arch, hidden, output: 'softmax', maxBatch: 256, seed: Number(o.seed) });
    const cfg = { ...opt, recipe, preEpochs: sample || full.pre, topEpochs: sample || full.top, fineEpochs: sample || full.fine, labelsPerClass: Number(o['labels-per-class']),
      noise: o.noise, noiseLevel: Number(o['noise-level']), batch: 128, seed: Number(o.seed), test };
    for (const [k, js] of [['lr', 'lr'], ['pre-lr', 'preLr'], ['lr-decay', 'lrDecay'], ['weight-decay', 'weightDecay']]) if (o[k] !== null) cfg[js] = Number(o[k]);
    let t = performance.now();
    const job = ae.job('pretrain', model, train, cfg);
    let s = job.run(0);
    const create = (performance.now() - t) / 1000;
    const phases = s.phases, names = [...Array(phases).keys()].map((p) => job.phaseName(p));
    const times = names.map(() => []); // the time of each run() call that ended an epoch of the phase
    while (!s.done) {
      t = performance.now();
      s = job.run(1 << 30, true);
      const secs = (performance.now() - t) / 1000;
      if (s.epochEnds.length !== 1) throw new Error(`a run() call ended ${s.epochEnds.length} epochs`);
      times[s.epochEnds[0].phase].push(secs);
    }
    // the full run's epochs of each phase: pretraining phases, then the top layer and fine-tuning (the baseline: one phase of both)
    const top = recipe === 'greedy' ? phases - 2 : recipe === 'e2e' ? 1 : 0;
    const epochsOf = (p) => (recipe === 'none' ? full.top + full.fine : p < top ? full.pre : p === top ? full.top : full.fine);
    let total = create, measured = create;
    log(`${recipe}: job created in ${create.toFixed(1)} s`);
    for (let p = 0; p < phases; p++) {
      // an epoch: the mean of the timed ones but the last, which also holds the next phase's setup (the last
      // phase: all of them); with --sample 0, of the epochs --sample 2 would have timed (the baseline's one
      // phase is a top-layer and a fine-tuning phase in one: 2 + 2)
      const ts = times[p], timed = sample ? ts.length : Math.min(ts.length, recipe === 'none' ? 4 : 2);
      const k = Math.max(1, timed - (p + 1 < phases ? 1 : 0)), first = ts.slice(0, k).reduce((a, b) => a + b, 0) / k;
      const setupNext = p + 1 < phases ? Math.max(0, ts[ts.length - 1] - first) : 0;
      const est = epochsOf(p) * first + setupNext;
      total += est;
      measured += ts.reduce((a, b) => a + b, 0);
      log(`  phase ${p + 1}/${phases} ${names[p]}: epochs timed ${ts.slice(0, 4).map((x) => x.toFixed(1)).join(' ')}${ts.length > 4 ? ' ...' : ''} s; ` +
        `${epochsOf(p)} epochs ≈ ${fmt(epochsOf(p) * first)}${p + 1 < phases ? `, the next phase's setup ${setupNext.toFixed(1)} s` : ''}`);
    }
    if (sample) log(`${recipe}: estimated wall time of the full run ${fmt(total)} (test error after ${sample} epochs a phase: ${(100 * (1 - s.testAcc)).toFixed(2)}%)`);
    else log(`${recipe}: measured wall time ${fmt(measured)}, estimated as --sample 2 would ${fmt(total)} (test error ${(100 * (1 - s.testAcc)).toFixed(2)}%)`);
    job.destroy();
    model.destroy();
  }
}

// only in the Worker made for it (by its name), so that importing this file elsewhere changes nothing
if (typeof WorkerGlobalScope !== 'undefined' && globalThis instanceof WorkerGlobalScope && globalThis.name === 'pretrain-estimate') {
  globalThis.onmessage = async ({ data: { site, o, load } }) => {
    try {
      // the engine named from inside it; the agent string gives only the major version (156.0.0.0)
      const brands = (await navigator.userAgentData?.getHighEntropyValues(['fullVersionList']))?.fullVersionList ?? [];
      const full = brands.find((b) => /Chrom/.test(b.brand))?.version, major = /Chrome\/([\d.]+)/.exec(navigator.userAgent)?.[1];
      const where = full || major ? `Chromium ${full ?? major}` : navigator.userAgent;
      const { loadAelab, gunzipIfNeeded } = await import(new URL('aelab.js', site).href);
      const { SETTINGS } = await import(new URL('worker/pretrain.js', site).href);
      const ae = await loadAelab({ variant: o.variant, threads: Number(o.threads) });
      const read = async (f) => {
        const res = await fetch(new URL(`data/${f}.gz`, site));
        if (!res.ok) throw new Error(`data/${f}.gz: HTTP ${res.status}`);
        return gunzipIfNeeded(new Uint8Array(await res.arrayBuffer()));
      };
      const train = ae.dataset(await read('train-images-idx3-ubyte'), await read('train-labels-idx1-ubyte'));
      const test = ae.dataset(await read('t10k-images-idx3-ubyte'), await read('t10k-labels-idx1-ubyte'));
      estimate({ ae, SETTINGS, train, test, o, where, load, log: (line) => postMessage({ line }) });
      postMessage({ done: true });
    } catch (e) {
      // the engine's own refusals (AelabError) say all there is to say; anything else, where it came from
      postMessage({ error: e?.name === 'AelabError' ? e.message : String(e?.stack ?? e) });
    }
  };
}
