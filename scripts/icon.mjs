#!/usr/bin/env node
// Draws the extension's icon, client/media/icon.png (128×128 RGBA), with no image
// library: a rounded navy square holding a 4×4 grid of tiles whose top-left 2×2 block is
// one amber tile (a tiled, fused kernel). Each pixel is the coverage of 8×8 samples,
// so the edges are smooth. Run `node scripts/icon.mjs` after changing it; the PNG is committed.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const SIZE = 128;
const SAMPLES = 8;
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'client', 'media', 'icon.png');

/** Is (x, y) inside the rectangle [x0, x1) × [y0, y1) with corners of radius r? */
function inRoundedRect(x, y, x0, y0, x1, y1, r) {
  if (x < x0 || x >= x1 || y < y0 || y >= y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
const mix = (a, b, t) => a.map((v, i) => v + (b[i] - v) * t);

// Shapes, drawn in order: [inside(x, y), colour(x, y)].
const shapes = [];
const navyTop = hex('#12345a');
const navyBottom = hex('#0b1f38');
shapes.push([(x, y) => inRoundedRect(x, y, 4, 4, 124, 124, 24), (x, y) => mix(navyTop, navyBottom, y / SIZE)]);
const TILE = 22;
const GAP = 6;
const ORIGIN = (SIZE - (4 * TILE + 3 * GAP)) / 2; // 17
const blue = hex('#4f86c6');
const paleBlue = hex('#6fa3dc');
for (let row = 0; row < 4; row++) {
  for (let col = 0; col < 4; col++) {
    if (row < 2 && col < 2) continue; // the fused tile covers these four
    const x0 = ORIGIN + col * (TILE + GAP);
    const y0 = ORIGIN + row * (TILE + GAP);
    const colour = (row + col) % 2 ? blue : paleBlue;
    shapes.push([(x, y) => inRoundedRect(x, y, x0, y0, x0 + TILE, y0 + TILE, 4), () => colour]);
  }
}
const amber = hex('#ffb000');
const amberLight = hex('#ffd060');
const big = 2 * TILE + GAP;
shapes.push([(x, y) => inRoundedRect(x, y, ORIGIN, ORIGIN, ORIGIN + big, ORIGIN + big, 7), (x, y) => mix(amberLight, amber, (x + y - 2 * ORIGIN) / (2 * big))]);
// a dark chevron ("faster") on the amber tile
const c = ORIGIN + big / 2;
const chevron = (x, y) => {
  const u = c + 1 - x;
  const v = Math.abs(y - c);
  return u >= v - 9 && u <= v - 1 && v <= 12;
};
shapes.push([chevron, () => hex('#0b1f38')]);

const pixels = Buffer.alloc(SIZE * (1 + SIZE * 4));
for (let y = 0; y < SIZE; y++) {
  const line = y * (1 + SIZE * 4);
  pixels[line] = 0; // filter: none
  for (let x = 0; x < SIZE; x++) {
    let rgb = [0, 0, 0];
    let alpha = 0;
    for (const [inside, colour] of shapes) {
      let hits = 0;
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) if (inside(x + (sx + 0.5) / SAMPLES, y + (sy + 0.5) / SAMPLES)) hits++;
      }
      if (!hits) continue;
      const a = hits / (SAMPLES * SAMPLES);
      const col = colour(x + 0.5, y + 0.5);
      // "over" compositing, premultiplied
      const outA = a + alpha * (1 - a);
      rgb = rgb.map((v, i) => (col[i] * a + v * alpha * (1 - a)) / outA);
      alpha = outA;
    }
    const at = line + 1 + x * 4;
    pixels[at] = Math.round(rgb[0]);
    pixels[at + 1] = Math.round(rgb[1]);
    pixels[at + 2] = Math.round(rgb[2]);
    pixels[at + 3] = Math.round(alpha * 255);
  }
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(SIZE, 0);
ihdr.writeUInt32BE(SIZE, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(pixels, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
writeFileSync(out, png);
console.log(`${out}: ${SIZE}×${SIZE}, ${png.length} bytes`);
