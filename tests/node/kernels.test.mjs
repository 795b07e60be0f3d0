// The wasm builds' inner loops keep their accumulators in registers, and their row copies stay in wasm.
// clang 14 (Emscripten's) leaves a small array of vectors in memory when a loop indexes it by a variable,
// and then stores every accumulator on every step of the kernel's inner loop: the convolutions' tiles and
// their weight-gradient runs once ran that way in wasm (W3 in wasm SIMD 1.22× faster once fixed,
// docs/benchmarks.md) with the same bits, so no other test saw it. And Emscripten's memcpy leaves wasm
// for JavaScript from 512 bytes on, which a copy per row of pooling or upsampling paid every time.
// Read from the LLVM IR that each wasm build's own compile command gives (make print-wasm-cflags).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { root, tmpdir } from './helpers.mjs';

const env = { ...process.env };
delete env.MAKEFLAGS; // a parent make's --trace or --debug would print into the output read here
delete env.MFLAGS;
/** Each wasm build's name → { cmd, args, env } from the Makefile. */
const builds = {};
for (const line of execFileSync('make', ['-s', '--no-print-directory', 'print-wasm-cflags'], { cwd: root, env, encoding: 'utf8' }).trim().split('\n')) {
  const [name, ...words] = line.trim().split(/\s+/);
  const e = { ...env };
  while (/^[A-Z_]+=/.test(words[0])) { const [k, ...v] = words.shift().split('='); e[k] = v.join('='); }
  const [cmd, ...args] = words;
  builds[name] = { cmd, args, env: e };
}

/** `file`'s LLVM IR as build `b` compiles it: { name of each function → its lines }. */
function functions(b, file) {
  const dir = tmpdir(), out = path.join(dir, 'kernels.ll');
  try {
    execFileSync(b.cmd, [...b.args, '-S', '-emit-llvm', file, '-o', out], { cwd: root, env: b.env, stdio: ['ignore', 'ignore', 'pipe'] });
    const fns = {};
    let fn = null;
    for (const line of fs.readFileSync(out, 'utf8').split('\n')) {
      const d = /^define .*@([\w.]+)\(/.exec(line);
      if (d) fns[(fn = d[1])] = [];
      else if (line === '}') fn = null;
      else if (fn) fns[fn].push(line.trim());
    }
    return fns;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('the Makefile names the three wasm builds', () => {
  assert.deepEqual(Object.keys(builds).sort(), ['scalar', 'simd', 'threads']);
});

for (const name of ['simd', 'threads', 'scalar']) {
  for (const [file, kernels] of [['src/layers/patches.c', ['conv_range', 'grads_one']], ['src/gemm.c', ['gemm_serial']], ['src/peak.c', []]]) {
    test(`${name} build, ${file}: no vector accumulators kept in memory`, () => {
      const fns = functions(builds[name], file);
      // the file's vector code is there to be checked: its kernels exist and work on four-lane vectors
      for (const k of kernels) assert.ok(fns[k]?.some((l) => l.includes('<4 x float>')), `${k} with four-lane vectors in the IR`);
      const slots = Object.entries(fns).flatMap(([f, lines]) => lines.filter((l) => /= alloca (\[\d+ x )*<4 x float>/.test(l)).map((l) => `${f}: ${l}`));
      assert.deepEqual(slots, []);
    });
  }
  for (const file of ['src/layers/pool.c', 'src/layers/up.c']) {
    test(`${name} build, ${file}: rows copied in wasm, not by a memcpy of variable length`, () => {
      const fns = functions(builds[name], file);
      for (const f of ['forward_range', 'backward_range']) {
        assert.ok(fns[f], `${f} in the IR`);
        const calls = fns[f].filter((l) => /@(llvm\.)?mem(cpy|move|set)\b[^(]*\(.*, i32 %/.test(l));
        assert.deepEqual(calls, [], `${f}: a library copy whose length is not a constant`);
      }
    });
  }
}
