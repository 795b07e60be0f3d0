// gunzipIfNeeded (web/aelab.js), the one reader of IDX files in the page and in Node, on gzip bombs and
// broken gzip. It inflates as a stream and stops as soon as the output passes the size the file's IDX
// header declares, so a bomb costs a few MB, not its inflated size (issue 8, item 5: a 1 GiB bomb took 10 s
// and 3.3 GiB before a cryptic refusal); a header that declares more than the limit, or data that is not
// IDX at all, is refused on its first bytes; broken gzip is called that, not "Failed to fetch".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { gunzipIfNeeded, site, tmpdir, root } from './helpers.mjs';

/** An IDX header: 00 00 08 ndims, then each dimension as a big-endian uint32. */
function idxHeader(dims, type = 0x08) {
  const h = Buffer.alloc(4 + 4 * dims.length);
  h[2] = type;
  h[3] = dims.length;
  dims.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
  return h;
}

/** gzip of `head` followed by `zeros` zero bytes, made a megabyte at a time (the bomb never exists inflated). */
function bomb(head, zeros) {
  const chunk = Buffer.alloc(1 << 20);
  const parts = [];
  const gz = zlib.createGzip({ level: 9 });
  const flush = () => { for (let b; (b = gz.read()); ) parts.push(b); };
  gz.write(head);
  for (let left = zeros; left > 0; left -= chunk.length) gz.write(left >= chunk.length ? chunk : chunk.subarray(0, left));
  return new Promise((resolve) => {
    gz.on('readable', flush);
    gz.on('end', () => resolve(Buffer.concat(parts)));
    gz.end();
  });
}

test('a 200 MB gzip bomb behind a 10-image IDX header is refused as it passes 7,856 bytes, in bounded memory', async () => {
  const file = path.join(tmpdir(), 'bomb.idx.gz');
  fs.writeFileSync(file, await bomb(idxHeader([10, 28, 28]), 200e6));
  assert.ok(fs.statSync(file).size < 1e6, 'the bomb is small');
  // in a process of its own, so that its peak memory is the inflating's alone
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', `
    import fs from 'node:fs';
    const { gunzipIfNeeded } = await import(${JSON.stringify(path.join(site, 'aelab.js'))});
    const bytes = fs.readFileSync(${JSON.stringify(file)});
    const rss0 = process.resourceUsage().maxRSS;
    let message = null;
    try { await gunzipIfNeeded(bytes, { name: 'bomb.idx.gz' }); } catch (e) { message = e.message; }
    console.log(JSON.stringify({ message, grewMiB: (process.resourceUsage().maxRSS - rss0) / 1024 }));`], { encoding: 'utf8', cwd: root }));
  assert.equal(out.message, 'bomb.idx.gz inflates past the 7,856 bytes its IDX header declares (10 × 28 × 28 values and 16 bytes of header); refused');
  // inflated whole, the bomb would take 200 MB (and a second copy to return it)
  assert.ok(out.grewMiB < 64, `peak memory grew ${out.grewMiB} MiB while refusing a 200 MB bomb`);
});

test('data that cannot be IDX, or an IDX header declaring more than the limit, is refused on its first bytes', async () => {
  await assert.rejects(gunzipIfNeeded(await bomb(Buffer.alloc(0), 50e6), { name: 'zeros.gz' }),
    { message: 'zeros.gz inflates to something that is not an IDX file (it starts 00 00 00 00; IDX images start 00 00 08 03, labels 00 00 08 01); refused' });
  await assert.rejects(gunzipIfNeeded(zlib.gzipSync(idxHeader([2e9, 28, 28])), { name: 'huge.gz' }),
    { message: /^huge\.gz has an IDX header that declares 1460\.3 GiB \(2000000000 × 28 × 28 values and 16 bytes of header\), more than the 512\.0 MiB aelab reads; refused$/ });
  // labels: 8 + n bytes; and a limit of the caller's choosing
  const labels = Buffer.concat([idxHeader([5000]), Buffer.alloc(5000, 3)]);
  assert.deepEqual(Buffer.from(await gunzipIfNeeded(zlib.gzipSync(labels))), labels);
  await assert.rejects(gunzipIfNeeded(zlib.gzipSync(labels), { limit: 4096 }), { message: /declares 5008 bytes \(5000 values and 8 bytes of header\), more than the 4096 bytes aelab reads; refused/ });
  await assert.rejects(gunzipIfNeeded(zlib.gzipSync(Buffer.concat([labels, Buffer.alloc(1)]))), { message: /inflates past the 5,008 bytes its IDX header declares \(5000 values/ });
});

test('broken gzip is called that; good gzip, plain bytes and Blobs read back exactly', async () => {
  const good = fs.readFileSync(path.join(root, 'data/t10k-labels-idx1-ubyte.gz'));
  const plain = zlib.gunzipSync(good);
  await assert.rejects(gunzipIfNeeded(good.subarray(0, good.length >> 1), { name: 'cut.gz' }), { message: /^cut\.gz is not valid gzip: it starts like gzip but does not inflate \(.+\)$/ });
  const garbled = Buffer.from(good);
  garbled.fill(0x55, 10, 40);
  await assert.rejects(gunzipIfNeeded(garbled), { message: /^the file is not valid gzip/ });
  assert.deepEqual(Buffer.from(await gunzipIfNeeded(good)), plain);
  assert.equal(await gunzipIfNeeded(plain), plain, 'plain bytes pass through');
  assert.deepEqual(Buffer.from(await gunzipIfNeeded(new Blob([good]))), plain);
  assert.deepEqual(Buffer.from(await gunzipIfNeeded(new Blob([plain]))), plain);
  // a plain file over the limit is refused by its size, before it is read
  await assert.rejects(gunzipIfNeeded(new Blob([plain]), { name: 'big.idx', limit: 4096 }), { message: /^big\.idx is 10008 bytes, more than the 4096 bytes aelab reads; refused$/ });
});
