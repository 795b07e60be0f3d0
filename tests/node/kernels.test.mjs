// The wasm build's inner loops keep their accumulators in registers. clang 14 (Emscripten's) leaves a small
// array of vectors in memory when a loop indexes it by a variable, and then stores every accumulator on
// every step of the kernel's inner loop: the convolutions' tiles and their weight-gradient runs once ran
// at half their speed that way in wasm (docs/benchmarks.md), with the same bits, so no other test saw it.
// Read from the LLVM IR of the SIMD build's own flags (make print-wasm-cflags): no function of these files
// may keep a vector, or an array of vectors, in a stack slot (an alloca).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { root, tmpdir } from './helpers.mjs';

const words = execFileSync('make', ['-s', '--no-print-directory', 'print-wasm-cflags'], { cwd: root, encoding: 'utf8' }).trim().split(/\s+/);
const env = { ...process.env };
while (/^[A-Z_]+=/.test(words[0])) { const [k, ...v] = words.shift().split('='); env[k] = v.join('='); }
const [emcc, ...flags] = words;

/** Each function of `file` (its LLVM IR at the SIMD build's flags) with a vector in a stack slot: name → slots. */
function vectorSlots(file) {
  const out = path.join(tmpdir(), 'kernels.ll');
  execFileSync(emcc, [...flags, '-S', '-emit-llvm', file, '-o', out], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const found = {};
  let fn = null;
  for (const line of fs.readFileSync(out, 'utf8').split('\n')) {
    const d = /^define .*@([\w.]+)\(/.exec(line);
    if (d) fn = d[1];
    if (/= alloca (\[\d+ x )*<4 x float>/.test(line)) (found[fn] ??= []).push(line.trim());
  }
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
  return found;
}

for (const file of ['src/layers/patches.c', 'src/gemm.c', 'src/peak.c']) {
  test(`${file}: no vector accumulators kept in memory in the wasm SIMD build`, () => {
    assert.deepEqual(vectorSlots(file), {});
  });
}
