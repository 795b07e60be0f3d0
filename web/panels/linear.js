// Linear or not: the Worker trains a linear 2-1-2 and a non-linear 2-32-1-32-2 autoencoder on points along
// a curve; the linear one's reconstructions lie on the first principal component, the other's follow the
// curve. Independent of the main model.
import { $ } from '../common.js';

const html = `
  <section id="linear-panel" aria-labelledby="linear-h">
    <h2 id="linear-h">Linear or non-linear?</h2>
    <p class="muted">A thousand points along a curve in the plane (grey), squeezed through a one-number code. A linear
      autoencoder can only put its reconstructions on a straight line, and the line it finds is the data's first
      principal component (PCA). A non-linear one bends along the curve.</p>
    <div class="row">
      <canvas id="curve" width="320" height="320" aria-label="Points on a curve with the linear (orange) and non-linear (blue) reconstructions"></canvas>
      <div><button id="curve-train" class="secondary" disabled>Train both</button>
        <p class="legend"><span style="color:#999">■ data</span> <span style="color:#e8590c">■ linear 2-1-2</span> <span style="color:#1c7ed6">■ non-linear 2-32-1-32-2</span> <span style="color:#333">– first principal component</span></p>
        <p id="curve-text" aria-live="polite">–</p></div>
    </div>
  </section>`;

let ctx;

function draw(m) {
  const c = $('curve');
  const g = c.getContext('2d');
  const W = c.width, H = c.height;
  g.clearRect(0, 0, W, H);
  const px = (x, y) => [x * W, (1 - y) * H];
  const dots = (pts, colour, size) => {
    g.fillStyle = colour;
    for (let i = 0; i < pts.length; i += 2) {
      const [u, v] = px(pts[i], pts[i + 1]);
      g.fillRect(u - size / 2, v - size / 2, size, size);
    }
  };
  dots(m.x, '#bbb', 3);
  g.strokeStyle = '#333';
  g.setLineDash([4, 4]);
  g.beginPath();
  g.moveTo(...px(m.mean[0] - m.pc[0], m.mean[1] - m.pc[1]));
  g.lineTo(...px(m.mean[0] + m.pc[0], m.mean[1] + m.pc[1]));
  g.stroke();
  g.setLineDash([]);
  dots(m.linear, '#e8590c', 2);
  dots(m.nonlinear, '#1c7ed6', 2);
}

export default {
  name: 'linear',
  section: 'linear-panel',
  label: 'Linear or not',
  html,
  setup(c) {
    ctx = c;
    $('curve-train').addEventListener('click', () => {
      $('curve-train').disabled = true;
      $('curve-text').textContent = 'Training…';
      ctx.send('curve');
    });
  },
  on: {
    curve(m) {
      draw(m);
      const t = $('curve-text');
      t.textContent = `After ${m.steps} steps each. Mean squared error: linear ${m.linearMse.toFixed(5)}, non-linear ${m.nonlinearMse.toFixed(5)}. `
        + `The linear decoder's direction is ${m.angle.toFixed(1)}° from the first principal component.`;
      t.dataset.linear = m.linearMse;
      t.dataset.nonlinear = m.nonlinearMse;
      t.dataset.angle = m.angle;
      $('curve-train').disabled = false;
    },
  },
  enable(ui) {
    $('curve-train').disabled = !ui.ready;
  },
};
