// Generates the extension's PNG icons (no image tools needed): a rounded square with a check mark.
import { writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";

function crc32(buf) {
  let c,
    crc = 0xffffffff;
  for (let n = 0; n < buf.length; n++) {
    c = (crc ^ buf[n]) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(size, pixel) {
  const rows = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let x = 0; x < size; x++) row.set(pixel(x / size, y / size), 1 + x * 4);
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
const distToSegment = (px, py, ax, ay, bx, by) => {
  const t = Math.max(0, Math.min(1, ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)));
  return Math.hypot(px - (ax + t * (bx - ax)), py - (ay + t * (by - ay)));
};
const icon = (bg, fg) => (x, y) => {
  const r = 0.18,
    inside = Math.max(Math.abs(x - 0.5) - (0.5 - r), 0) ** 2 + Math.max(Math.abs(y - 0.5) - (0.5 - r), 0) ** 2 <= r * r;
  if (!inside) return [0, 0, 0, 0];
  const d = Math.min(distToSegment(x, y, 0.25, 0.52, 0.43, 0.7), distToSegment(x, y, 0.43, 0.7, 0.76, 0.32));
  return d < 0.06 ? fg : bg;
};
const out = new URL("../extension/images/", import.meta.url);
writeFileSync(new URL("logo.png", out), png(128, icon([0, 120, 212, 255], [255, 255, 255, 255])));
writeFileSync(new URL("icon-light.png", out), png(32, icon([0, 120, 212, 255], [255, 255, 255, 255])));
writeFileSync(new URL("icon-dark.png", out), png(32, icon([80, 170, 255, 255], [20, 20, 20, 255])));
