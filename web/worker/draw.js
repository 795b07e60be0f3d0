// A drawn image: its reconstruction, and where its code lands on the latent map.
import { post } from './core.js';
import { project } from './latent.js';

export const handlers = {
  draw(msg, w) {
    const { model } = w;
    if (!model) return;
    if (msg.image.length !== model.inputSize) throw new Error(`The drawing has ${msg.image.length} pixels; the model takes ${model.inputSize}.`);
    const code = model.encode(msg.image, 1);
    post({ type: 'drawn', recon: model.forward(msg.image, 1), point: project(w, code, 1), code: code.length <= 8 ? code : null });
  },
};
