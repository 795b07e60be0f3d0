// Keeping the run across a reload: the Worker stores it (persist.js) and offers it back at start; this is
// the bar at the top that offers it, the notes about it, and the warning on leaving with unkept steps.
// Always there when it has something to say, so it has no name under Show.
import { $, framed } from '../common.js';

let ctx;
let keptStep = 0; // the last step of the current model held by the browser's store or by a download

const lastStep = () => (ctx.ui.steps.length ? ctx.ui.steps[ctx.ui.steps.length - 1] : 0);
/** Steps of the current model held neither by the browser's store nor by a download. */
const unsavedSteps = () => (ctx.ui.model ? lastStep() - keptStep : 0);

function ago(ms) {
  const min = Math.round(ms / 60000);
  if (min < 1) return 'just now';
  if (min < 90) return `${min} minute${min === 1 ? '' : 's'} ago`;
  const h = Math.round(min / 60);
  return h < 48 ? `${h} hours ago` : `${Math.round(h / 24)} days ago`;
}

/** A stored run as the restore bar names it: its layers, data, how far it got and when it was saved. */
function describeRun(r) {
  const end = r.finished ? (r.step >= r.epochs * r.stepsPerEpoch ? ', finished' : ', stopped') : '';
  const where = r.step ? `epoch ${Math.ceil(r.step / r.stepsPerEpoch)} of ${r.epochs}, step ${r.step}${end}` : 'loaded from a file';
  const data = r.data === 'MNIST' ? '' : ` (trained on ${r.data})`;
  return `${r.sizes}${data}, ${where}, saved ${ago(Date.now() - r.at)}`;
}

export default {
  setup(c) {
    ctx = c;
    $('restore-yes').addEventListener('click', () => { ctx.showError(''); ctx.send('restore', { which: $('restore').dataset.which }); });
    $('restore-earlier').addEventListener('click', () => { ctx.showError(''); ctx.send('restore', { which: 'previous' }); });
    $('restore-no').addEventListener('click', () => { $('restore').hidden = true; ctx.send('discard'); });
    // The restore bar and the error line both stay in view at the top of the window: the error line goes
    // below the bar while the bar shows (style.css, --restore-h), rather than over its question
    new ResizeObserver(() => {
      const bar = $('restore');
      document.body.style.setProperty('--restore-h', bar.hidden ? '0px' : `${bar.getBoundingClientRect().height + 8}px`);
    }).observe($('restore'));
    // Warn only when leaving would lose trained steps: not on a fresh page, not once they are kept or downloaded.
    addEventListener('beforeunload', (e) => {
      if (unsavedSteps() <= 0) return;
      e.preventDefault();
      e.returnValue = 'unsaved'; // older browsers ask for a non-empty string
    });
  },
  on: {
    /** At start: the run a reload or a crash interrupted (run) and an earlier one that new work set aside
     * (earlier), either null. Restore takes the latest; Restore earlier, shown when there are both, the other. */
    offer(m) {
      const bar = $('restore');
      bar.dataset.state = m.run || m.earlier ? 'offer' : 'none';
      bar.hidden = !(m.run || m.earlier);
      if (bar.hidden) return;
      bar.dataset.which = m.run ? 'current' : 'previous';
      $('restore-earlier').hidden = !(m.run && m.earlier);
      $('restore-no').textContent = m.run && m.earlier ? 'Discard both' : 'Discard';
      $('restore-text').textContent = m.run
        ? `Restore the model you were training: ${describeRun(m.run)}.${m.earlier ? ` An earlier run is kept too: ${describeRun(m.earlier)}.` : ''}`
        : `Restore an earlier run: ${describeRun(m.earlier)}.`;
    },
    /** Start, Step or Load model with the offer unanswered: the offer goes, its run is kept for the next reload. */
    declined(m) {
      $('restore').hidden = true;
      $('restore').dataset.state = 'declined';
      $('keep-note').textContent = `The run offered at the top (${m.earlier.sizes}, step ${m.earlier.step}) is set aside, not lost: the next reload offers it again.`;
      $('keep-note').hidden = false;
    },
    restored(m) {
      keptStep = m.step;
      $('restore').hidden = true;
      $('restore').dataset.state = 'restored';
      const other = m.data !== m.current ? ` It was trained on ${m.data}, which the browser does not keep: load it in the Data panel to train on it again.` : '';
      $('engine').textContent = `Restored ${m.config.sizes} at step ${m.step}. ${m.finished ? 'Start trains a fresh model.' : 'Resume trains it on.'}${other}`;
    },
    kept(m) {
      keptStep = m.step;
      $('restore').dataset.kept = String(m.step);
    },
    discarded() {
      $('restore').dataset.state = 'discarded';
    },
    keepOff(m) {
      // storage refused from the start inside another site's page (a course page): browsers may refuse a framed
      // page storage of its own; a later failure (a full disk) is not the framing's
      $('keep-off').textContent = m.atStart && framed
        ? 'Restore after a reload is off: inside this course page the browser does not let the lab keep data (opened on its own, it may). Save model keeps your work.'
        : 'Restore after a reload is off: this browser does not let the page keep data here. Save model keeps your work.';
      $('keep-off').title = m.reason;
      $('keep-off').hidden = false;
      $('restore').dataset.state = 'off';
    },
    model() {
      keptStep = 0; // a new model, or a new run of it: nothing trained, nothing to keep
    },
    file(m) {
      if (m.kind === 'model') keptStep = lastStep(); // downloaded: nothing to warn about on leaving
    },
  },
};
