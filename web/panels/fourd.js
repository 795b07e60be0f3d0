// 4-D to 2-D, linear against non-linear: the Worker (worker/fourd.js) trains a linear 4-2-4 and a non-linear
// 4-32-2-32-4 autoencoder on points of a flat plane and of a curved surface in 4-D; this panel draws, for
// each, a side view of the data and both reconstructions, the two codes, and the errors side by side.
import { $ } from '../common.js';

const html = `
  <section id="fourd-panel" aria-labelledby="fourd-h">
    <h2 id="fourd-h">4 dimensions to 2: linear or non-linear?</h2>
    <p class="muted">A thousand points in 4 dimensions that really have only 2 degrees of freedom (u and v): on a flat plane, and on a
      curved surface, (u, v, u², uv) turned in 4-D. Each is squeezed through a 2-number code. A linear autoencoder can only project onto a flat plane,
      the data's two principal components (PCA): perfect when the data lie on one, not when the surface bends. A
      non-linear one can follow the bend. The side views show the data (grey) along u and along
      the direction the surface bends in (u²): the plane is a straight line there, the surface a parabola; the squares show each model's 2-D codes,
      coloured by the point's position along the surface.</p>
    <div class="row"><button id="fourd-train" class="secondary" disabled>Train all four</button>
      <p class="legend"><span style="color:#999">■ data</span> <span style="color:#e8590c">■ linear 4-2-4</span>
        <span style="color:#1c7ed6">■ non-linear 4-32-2-32-4</span></p></div>
    <div id="fourd-views" class="fourd-views">
      ${['plane', 'surface'].map((k) => `<figure class="fourd-set"><figcaption>${k === 'plane' ? 'Flat plane' : 'Curved surface'}</figcaption>
        <canvas id="fourd-${k}" width="200" height="200" aria-label="Side view of the ${k}: data and both reconstructions"></canvas>
        <span class="fourd-code"><canvas id="fourd-${k}-linear" width="96" height="96" aria-label="The linear model's codes of the ${k}"></canvas>
          <small>linear code</small></span>
        <span class="fourd-code"><canvas id="fourd-${k}-nonlinear" width="96" height="96" aria-label="The non-linear model's codes of the ${k}"></canvas>
          <small>non-linear code</small></span>
        <p id="fourd-${k}-text" aria-live="polite">–</p></figure>`).join('')}
    </div>
  </section>`;

let ctx;

/** Points (n, 2) scaled together into the canvas, each drawn as a small square of its colour. */
function scatter(c, sets) {
  const g = c.getContext('2d');
  const W = c.width, H = c.height;
  g.clearRect(0, 0, W, H);
  let lo = [Infinity, Infinity], hi = [-Infinity, -Infinity];
  for (const { pts } of sets) {
    for (let i = 0; i < pts.length; i += 2) for (const d of [0, 1]) { lo[d] = Math.min(lo[d], pts[i + d]); hi[d] = Math.max(hi[d], pts[i + d]); }
  }
  // one scale for both axes, so that a flat set looks flat
  const span = Math.max(hi[0] - lo[0], hi[1] - lo[1], 1e-6), mid = [(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2];
  const px = (x, y) => [W / 2 + ((x - mid[0]) / span) * (W - 8), H / 2 - ((y - mid[1]) / span) * (H - 8)];
  for (const { pts, colour, size } of sets) {
    for (let i = 0; i < pts.length; i += 2) {
      g.fillStyle = typeof colour === 'function' ? colour(i / 2) : colour;
      const [u, v] = px(pts[i], pts[i + 1]);
      g.fillRect(u - size / 2, v - size / 2, size, size);
    }
  }
}

const pct = (x) => (x < 0.001 ? `${(100 * x).toExponential(1)}%` : `${(100 * x).toFixed(1)}%`);

export default {
  name: 'fourd',
  section: 'fourd-panel',
  label: '4-D to 2-D',
  html,
  setup(c) {
    ctx = c;
    $('fourd-train').addEventListener('click', () => {
      $('fourd-train').disabled = true;
      for (const k of ['plane', 'surface']) $(`fourd-${k}-text`).textContent = 'Training…';
      ctx.send('fourd');
    });
  },
  on: {
    fourd(m) {
      for (const k of ['plane', 'surface']) {
        const r = m[k];
        scatter($(`fourd-${k}`), [{ pts: r.data, colour: '#bbb', size: 3 }, { pts: r.linear.recon, colour: '#e8590c', size: 2 },
          { pts: r.nonlinear.recon, colour: '#1c7ed6', size: 2 }]);
        const hue = (i) => `hsl(${Math.round(120 * (r.u[i] + 1))}, 70%, 45%)`;
        for (const model of ['linear', 'nonlinear']) scatter($(`fourd-${k}-${model}`), [{ pts: r[model].code, colour: hue, size: 2 }]);
        const t = $(`fourd-${k}-text`);
        t.textContent = `Error left (share of the data's variance): linear ${pct(r.linear.unexplained)}, non-linear ${pct(r.nonlinear.unexplained)}.`;
        t.dataset.linear = r.linear.unexplained;
        t.dataset.nonlinear = r.nonlinear.unexplained;
      }
      $('fourd-train').disabled = false;
      if (document.activeElement === document.body) $('fourd-train').focus(); // it had focus until it was disabled
    },
    'fourd-error'(m) {
      ctx.showError(m.message);
      for (const k of ['plane', 'surface']) $(`fourd-${k}-text`).textContent = '–';
      $('fourd-train').disabled = false;
    },
  },
  enable(ui) {
    $('fourd-train').disabled = !ui.ready;
  },
};
