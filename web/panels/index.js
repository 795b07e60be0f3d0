// The page's modules (web/app.js takes them from here), in page order: their sections go on the page, their
// checkboxes under Show and a message reaches their handlers in this order. The form comes first: others
// read its fields when they handle the same message. A new panel is its file, its import here and its name
// in the list. (A list, not `export … from` lines: a module's namespace orders its names alphabetically.)
import model from './model.js';
import keep from './keep.js';
import loss from './loss.js';
import network from './network.js';
import recon from './recon.js';
import latent from './latent.js';
import noise from './noise.js';
import linear from './linear.js';
import fourd from './fourd.js';
import overcomplete from './overcomplete.js';
import memorise from './memorise.js';
import blend from './blend.js';
import infill from './infill.js';
import draw from './draw.js';
import data from './data.js';
import filters from './filters.js';
import features from './features.js';
import pretrain from './pretrain.js';

export default [model, keep, loss, network, recon, latent, noise, linear, fourd, overcomplete, memorise, blend, infill, draw, data, filters, features, pretrain];
