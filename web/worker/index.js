// The Worker's modules (worker/main.js takes them from here): each answers some commands (`handlers`) and
// may keep state on the shared context (`state()`), let go of jobs on the old data (`releaseData`), react to
// new data (`onData`), to the same data drawn at the model's size (`onRedraw`), to each 'images' message (`onImages`) and to the main run starting (`onTrainStart`),
// which run in this order. A new panel's commands are its file, its import here and
// its name in the list.
import * as core from './core.js';
import * as run from './run.js';
import * as model from './model.js';
import * as keep from './keep.js';
import * as data from './data.js';
import * as noise from './noise.js';
import * as latent from './latent.js';
import * as blend from './blend.js';
import * as infill from './infill.js';
import * as draw from './draw.js';
import * as linear from './linear.js';
import * as fourd from './fourd.js';
import * as memorise from './memorise.js';
import * as overcomplete from './overcomplete.js';
import * as features from './features.js';
import * as pretrain from './pretrain.js';

export default [core, run, model, keep, data, noise, latent, blend, infill, draw, linear, fourd, memorise, overcomplete, features, pretrain];
