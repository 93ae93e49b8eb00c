/**
 * MNIST / Fashion-MNIST IDX decoding (http://yann.lecun.com/exdb/mnist/ file format):
 * big-endian magic 0x00000803 (images: count, rows, cols, then bytes) or 0x00000801 (labels).
 */
export class IdxFormatError extends Error {}

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  pixels: Uint8Array;
}

export function decodeIdxImages(buf: Uint8Array): IdxImages {
  if (buf.length < 16) throw new IdxFormatError(`too short for an IDX image file (${buf.length} bytes)`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = dv.getUint32(0);
  if (magic !== 0x803)
    throw new IdxFormatError(`magic number 0x${magic.toString(16)} is not 0x803 (unsigned byte images, 3 dimensions)`);
  const count = dv.getUint32(4);
  const rows = dv.getUint32(8);
  const cols = dv.getUint32(12);
  const want = 16 + count * rows * cols;
  if (buf.length !== want)
    throw new IdxFormatError(
      `header says ${count} images of ${rows}x${cols} (${want} bytes), file has ${buf.length} bytes`,
    );
  return { count, rows, cols, pixels: buf.subarray(16) };
}

export function decodeIdxLabels(buf: Uint8Array): Uint8Array {
  if (buf.length < 8) throw new IdxFormatError(`too short for an IDX label file (${buf.length} bytes)`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = dv.getUint32(0);
  if (magic !== 0x801)
    throw new IdxFormatError(`magic number 0x${magic.toString(16)} is not 0x801 (unsigned byte labels, 1 dimension)`);
  const count = dv.getUint32(4);
  if (buf.length !== 8 + count) throw new IdxFormatError(`header says ${count} labels, file has ${buf.length - 8}`);
  return buf.subarray(8);
}

/** Encodes images/labels as IDX (used by tests to build fixtures). */
export function encodeIdxImages(pixels: Uint8Array, count: number, rows = 28, cols = 28): Uint8Array {
  const out = new Uint8Array(16 + pixels.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0x803);
  dv.setUint32(4, count);
  dv.setUint32(8, rows);
  dv.setUint32(12, cols);
  out.set(pixels, 16);
  return out;
}

export function encodeIdxLabels(labels: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + labels.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0x801);
  dv.setUint32(4, labels.length);
  out.set(labels, 8);
  return out;
}
