#!/usr/bin/env node
// pngjs as an independent PNG decoder for the charts FhirRisk.Core.Plotting writes (DESIGN §1).
// Usage: node png-decode.mjs <file.png> [x,y ...]
// Prints {"width", "height", "bitDepth", "colorType", "rgbSha256", "pixels": [{"x", "y", "rgba": [r, g, b, a]}]}:
// rgbSha256 is the SHA-256 (hex) of the decoded pixels as row-major RGB bytes (alpha dropped), so a test can compare
// a whole image with its own raster; pixels holds the requested points.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { PNG } = require('pngjs');

const [file, ...points] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node png-decode.mjs <file.png> [x,y ...]\n');
  process.exit(2);
}
const png = PNG.sync.read(readFileSync(file), { checkCRC: true });
const rgb = Buffer.alloc(png.width * png.height * 3);
for (let i = 0, j = 0; i < png.data.length; i += 4, j += 3) {
  rgb[j] = png.data[i];
  rgb[j + 1] = png.data[i + 1];
  rgb[j + 2] = png.data[i + 2];
}
const pixels = points.map((point) => {
  const [x, y] = point.split(',').map(Number);
  const i = (y * png.width + x) * 4;
  return { x, y, rgba: [png.data[i], png.data[i + 1], png.data[i + 2], png.data[i + 3]] };
});
process.stdout.write(JSON.stringify({
  width: png.width,
  height: png.height,
  bitDepth: png.depth,
  colorType: png.colorType,
  rgbSha256: createHash('sha256').update(rgb).digest('hex'),
  pixels,
}) + '\n');
