// A small static file server for the built site (build/site): correct MIME types for .mjs/.wasm,
// .gz files served as bytes (the page inflates them itself), no caching surprises.
//   node scripts/serve.mjs DIR [PORT] [--base /sub/path/] [--isolate]
// --base mounts the site under a sub-path (as a course website would); --isolate adds the COOP/COEP
// headers that make the page cross-origin isolated. Every response carries CORP: cross-origin, so the page
// can be embedded by an isolated page on another origin (docs/hosting.md).
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const isolate = args.includes('--isolate');
if (isolate) args.splice(args.indexOf('--isolate'), 1);
let base = flag('--base') ?? '/';
if (!base.startsWith('/')) base = '/' + base;
if (!base.endsWith('/')) base += '/';
const dir = path.resolve(args[0] ?? 'build/site');
const port = Number(args[1] ?? 8000);

const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm', '.gz': 'application/octet-stream', '.json': 'application/json',
  '.png': 'image/png', '.svg': 'image/svg+xml', '.md': 'text/plain; charset=utf-8',
};

export function createServer() {
  return http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    let p = decodeURIComponent(url.pathname);
    if (p === base.slice(0, -1)) { res.writeHead(301, { Location: base }); res.end(); return; }
    if (!p.startsWith(base)) { res.writeHead(404); res.end('not found'); return; }
    p = p.slice(base.length);
    if (p === '' || p.endsWith('/')) p += 'index.html';
    const file = path.join(dir, path.normalize(p));
    if (!file.startsWith(dir + path.sep)) { res.writeHead(403); res.end(); return; }
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) { res.writeHead(404, { 'Content-Type': 'text/plain' }); res.end('not found'); return; }
      const headers = { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream', 'Content-Length': st.size, 'Cache-Control': 'no-cache' };
      // CORP cross-origin lets a course page on another origin that is itself isolated (COEP require-corp)
      // embed the page in an iframe; without it Chromium refuses to load the frame ("refused to connect").
      headers['Cross-Origin-Resource-Policy'] = 'cross-origin';
      if (isolate) Object.assign(headers, { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' });
      res.writeHead(200, headers);
      if (req.method === 'HEAD') { res.end(); return; }
      fs.createReadStream(file).pipe(res);
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (!fs.existsSync(path.join(dir, 'index.html'))) {
    console.error(`serve: ${dir} has no index.html; run 'make site' first`);
    process.exitCode = 1;
  } else {
    createServer().listen(port, () => console.log(`aelab: serving ${dir} at http://localhost:${port}${base}${isolate ? ' cross-origin isolated (threads on)' : ''}  (Ctrl-C stops)`));
  }
}
