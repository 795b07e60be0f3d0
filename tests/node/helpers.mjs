// Shared by the Node tests: the engine from the built site (exactly what the page loads), MNIST from the
// build's gzip copies, and the native CLI for native-vs-wasm comparisons.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const site = path.join(root, 'build/site');
const mod = await import(path.join(site, 'aelab.js'));
export const { loadAelab, gunzipIfNeeded, AelabError } = mod;

export async function mnist(file) {
  return gunzipIfNeeded(fs.readFileSync(path.join(root, 'data', `${file}.gz`)));
}

/** Run the native CLI; returns stdout. */
export function native(args) {
  return execFileSync(path.join(root, 'build/aelab'), args, { cwd: root, encoding: 'utf8' });
}

/** The float32 parameter block of a .safetensors file written by aelab (data after the header). */
export function safetensorsParams(bytes) {
  const b = Buffer.from(bytes);
  const n = Number(b.readBigUInt64LE(0));
  const data = b.subarray(8 + n);
  return new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
}

export function tmpdir() {
  return fs.mkdtempSync(path.join(root, 'build', 'tmp-'));
}
