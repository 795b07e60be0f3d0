// The model as a file: Save model, Load model, and the reconstructions and filters as PNG images.
import { post, sentence, configure, showImages, readable, shapeText } from './core.js';
import { specFileName } from '../spec.js';
import { evaluateTest } from './run.js';

export const handlers = {
  save(msg, w) {
    if (!w.model) throw new Error('There is no model to save yet.');
    const bytes = w.model.save();
    post({ type: 'file', kind: 'model', name: `aelab-${specFileName(w.model.spec)}.safetensors`, mime: 'application/octet-stream', bytes }, [bytes.buffer]);
  },
  load(msg, w) {
    const { ae } = w;
    w.running = false;
    // Parse first: a bad file leaves the current model and data untouched.
    let loaded;
    try {
      loaded = ae.loadModel(new Uint8Array(msg.bytes), Math.max(w.cfg?.batch ?? 256, 1));
    } catch (e) {
      throw new Error(`Could not load ${msg.name}: ${sentence(e.message)} The current model is unchanged.`);
    }
    if (!readable(loaded, w.trainBase) || loaded.outputSize !== loaded.inputSize) {
      const [inShape, outShape] = [loaded.shapes[0], loaded.shapes.at(-1)];
      loaded.destroy();
      throw new Error(`This model maps ${shapeText(inShape)} inputs to ${shapeText(outShape)} outputs; the ${w.dataName} images need a ${w.trainBase.rows}×${w.trainBase.cols} = ${w.trainBase.dim}-pixel autoencoder (or a square one: 10000 reads them drawn at 100×100).`);
    }
    // the loaded model's own spec says all of it: the page's field shows it, and the next Start, which
    // compares the page's settings with these, goes on training these weights
    const c = { ...(w.cfg ?? msg.config), sizes: loaded.spec, hidden: '', code: '', output: '', loss: '', init: '' };
    configure(w, c, loaded);
    post({ type: 'loaded', config: c, name: msg.name });
    evaluateTest(w, 0); // a loaded model arrives with no history: its test loss is the number to show
    post({ type: 'state', running: false });
    w.keeper.touch();
    w.keeper.flush();
  },
  exportPng(msg, w) {
    const { ae, model, train, showX, nShow } = w;
    if (!model) throw new Error('There is no model yet.');
    let bytes;
    if (msg.what === 'filters') {
      // a dense layer's filters are images of the input, drawn at 2×; a conv layer's are its K×K kernels,
      // drawn at about 24 pixels a side (the engine ignores the height and width it is given for them)
      const k = model.kinds[0] === 'conv' ? model.tensor(0, 0).dims[1] : 0;
      bytes = model.filtersPng(train.rows, train.cols, 16, k ? Math.max(2, Math.min(16, Math.round(24 / k))) : 2);
    }
    else {
      const { noisy, recon } = showImages(w);
      const rows = noisy ? [showX, noisy, recon] : [showX, recon];
      const tiles = new Float32Array(rows.length * showX.length);
      rows.forEach((r, i) => tiles.set(r, i * r.length));
      bytes = ae.pngGrid(tiles, rows.length * nShow, train.rows, train.cols, nShow, 2);
    }
    post({ type: 'file', kind: 'png', name: `aelab-${msg.what}.png`, mime: 'image/png', bytes }, [bytes.buffer]);
  },
};
