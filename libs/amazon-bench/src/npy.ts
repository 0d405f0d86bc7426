/**
 * NumPy `.npy` reader and writer for the MMRec feature files (spec amazon-benchmark.md, section 3).
 *
 * Layout: magic `\x93NUMPY` (6 bytes) + major/minor version (2 bytes) + header length
 * (uint16 LE for v1, uint32 LE for v2/v3) + an ASCII (v3: UTF-8) Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (N, D), }` padded with spaces and a final
 * newline, then the raw C-order data. We read float32/float64 in either byte order and always
 * return float32 (as MMRec converts on load); object arrays and Fortran order are rejected.
 */
import * as fs from 'node:fs';
import { writeFileAtomicSync } from '@courier/io';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93 N U M P Y

export class NpyError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'NpyError';
  }
}

export interface NpyHeader {
  version: [number, number];
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the first data element. */
  dataOffset: number;
}

export interface NpyArray {
  /** Row-major float32 data (converted from float64 / big-endian when needed). */
  data: Float32Array;
  shape: number[];
  /** The dtype as stored in the file, e.g. '<f8'. */
  storedDescr: string;
  version: [number, number];
}

/** Parses the dict literal of a .npy header; throws NpyError naming the missing/bad key. */
function parseHeaderDict(text: string, file: string): { descr: string; fortranOrder: boolean; shape: number[] } {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) {
    throw new NpyError(file, `header is not a Python dict literal: ${JSON.stringify(trimmed.slice(0, 80))}`);
  }
  const descrMatch = /['"]descr['"]\s*:\s*(['"])([^'"]*)\1/.exec(trimmed);
  if (!descrMatch) {
    // An object array has a list descr or '|O'; a structured dtype a list of tuples.
    if (/['"]descr['"]\s*:\s*\[/.test(trimmed)) throw new NpyError(file, "structured dtype in 'descr' is not supported; expected '<f4' or '<f8'");
    throw new NpyError(file, "header has no 'descr' string");
  }
  const fortranMatch = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(trimmed);
  if (!fortranMatch) throw new NpyError(file, "header has no 'fortran_order' True/False");
  const shapeMatch = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(trimmed);
  if (!shapeMatch) throw new NpyError(file, "header has no 'shape' tuple");
  const parts = shapeMatch[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const shape = parts.map((p) => {
    const n = Number(p.replace(/L$/, ''));
    if (!Number.isInteger(n) || n < 0) throw new NpyError(file, `header 'shape' has a bad dimension ${JSON.stringify(p)}`);
    return n;
  });
  return { descr: descrMatch[2], fortranOrder: fortranMatch[1] === 'True', shape };
}

/** Reads and checks the header of a .npy buffer (no data conversion). */
export function parseNpyHeader(buf: Uint8Array, file = '<buffer>'): NpyHeader {
  if (buf.length < 10) throw new NpyError(file, `too short for a .npy file (${buf.length} bytes)`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (buf[i] !== MAGIC[i]) throw new NpyError(file, 'bad magic: expected \\x93NUMPY at the start of a .npy file');
  }
  const major = buf[6];
  const minor = buf[7];
  let headerLen: number;
  let headerStart: number;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new NpyError(file, 'truncated v2/v3 header length');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new NpyError(file, `unsupported .npy format version ${major}.${minor}; expected 1.0, 2.0 or 3.0`);
  }
  const dataOffset = headerStart + headerLen;
  if (dataOffset > buf.length) throw new NpyError(file, `header length ${headerLen} runs past the end of the file (${buf.length} bytes)`);
  const headerBytes = buf.subarray(headerStart, dataOffset);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(headerBytes);
  const { descr, fortranOrder, shape } = parseHeaderDict(text, file);
  return { version: [major, minor], descr, fortranOrder, shape, dataOffset };
}

function itemSizeOf(descr: string, file: string): { size: 4 | 8; little: boolean } {
  const m = /^([<>=|])f([48])$/.exec(descr);
  if (!m) {
    if (descr.includes('O')) throw new NpyError(file, `object arrays (descr ${JSON.stringify(descr)}) are not supported; expected '<f4' or '<f8'`);
    throw new NpyError(file, `unsupported dtype ${JSON.stringify(descr)}; expected '<f4' or '<f8' (float32/float64)`);
  }
  // '=' is native order; every platform Node runs on here is little-endian.
  return { size: Number(m[2]) as 4 | 8, little: m[1] !== '>' };
}

/** Decodes a .npy buffer into float32 data; checks dtype, order and data length. */
export function parseNpy(buf: Uint8Array, file = '<buffer>'): NpyArray {
  const header = parseNpyHeader(buf, file);
  if (header.fortranOrder) throw new NpyError(file, "fortran_order True is not supported; expected C-order data (fortran_order False)");
  const { size, little } = itemSizeOf(header.descr, file);
  const count = header.shape.reduce((a, b) => a * b, 1);
  const expectedBytes = count * size;
  const available = buf.length - header.dataOffset;
  if (available !== expectedBytes) {
    throw new NpyError(file, `data has ${available} bytes after the header, expected ${expectedBytes} for shape (${header.shape.join(', ')}) of ${header.descr}`);
  }
  const out = new Float32Array(count);
  const view = new DataView(buf.buffer, buf.byteOffset + header.dataOffset, expectedBytes);
  if (size === 4) {
    if (little && (buf.byteOffset + header.dataOffset) % 4 === 0) {
      out.set(new Float32Array(buf.buffer, buf.byteOffset + header.dataOffset, count));
    } else {
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, little);
    }
  } else if (little && (buf.byteOffset + header.dataOffset) % 8 === 0) {
    const src = new Float64Array(buf.buffer, buf.byteOffset + header.dataOffset, count);
    for (let i = 0; i < count; i++) out[i] = src[i];
  } else {
    for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, little);
  }
  return { data: out, shape: header.shape, storedDescr: header.descr, version: header.version };
}

/** Reads a .npy file; `expectShape` entries that are numbers must match (null = any). */
export function readNpy(file: string, expectShape?: (number | null)[]): NpyArray {
  if (!fs.existsSync(file)) throw new NpyError(file, 'file not found');
  const buf = fs.readFileSync(file);
  const arr = parseNpy(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), file);
  if (expectShape) checkShape(arr.shape, expectShape, file);
  return arr;
}

/** Reads only the header of a .npy file (shape and dtype) without loading the data. */
export function readNpyHeader(file: string): NpyHeader {
  if (!fs.existsSync(file)) throw new NpyError(file, 'file not found');
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(12);
    fs.readSync(fd, head, 0, 12, 0);
    const len = head[6] === 1 ? head.readUInt16LE(8) + 10 : head.readUInt32LE(8) + 12;
    const buf = Buffer.alloc(Math.min(len, 1 << 24));
    fs.readSync(fd, buf, 0, buf.length, 0);
    return parseNpyHeader(new Uint8Array(buf.buffer, buf.byteOffset, buf.length), file);
  } finally {
    fs.closeSync(fd);
  }
}

export function checkShape(shape: number[], expect: (number | null)[], file: string): void {
  const bad = shape.length !== expect.length || expect.some((e, i) => e !== null && e !== shape[i]);
  if (bad) {
    const want = `(${expect.map((e) => (e === null ? 'any' : String(e))).join(', ')})`;
    throw new NpyError(file, `shape (${shape.join(', ')}) does not match the expected ${want}`);
  }
}

export interface NpyWriteOptions {
  /** Stored dtype; default '<f4'. */
  descr?: '<f4' | '<f8' | '>f4' | '>f8';
  /** Format version; default 1 (2 is chosen automatically when the header does not fit). */
  version?: 1 | 2 | 3;
  /** Data alignment of the header padding; default 64 (NumPy >= 1.?; 16 in old NumPy). */
  align?: 16 | 64;
}

/** Encodes a row-major array as a .npy buffer. */
export function encodeNpy(data: ArrayLike<number>, shape: number[], options: NpyWriteOptions = {}): Uint8Array {
  const descr = options.descr ?? '<f4';
  const align = options.align ?? 64;
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`encodeNpy: shape (${shape.join(', ')}) holds ${count} values, data has ${data.length}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  let version: 1 | 2 | 3 = options.version ?? 1;
  const prefixFor = (v: number): number => (v === 1 ? 10 : 12);
  let total = Math.ceil((prefixFor(version) + dict.length + 1) / align) * align;
  if (version === 1 && total - 10 > 0xffff) {
    version = 2;
    total = Math.ceil((12 + dict.length + 1) / align) * align;
  }
  const headerLen = total - prefixFor(version);
  const headerText = dict + ' '.repeat(headerLen - dict.length - 1) + '\n';
  const size = descr.endsWith('8') ? 8 : 4;
  const little = descr.startsWith('<');
  const out = new Uint8Array(total + count * size);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, headerLen, true);
  else view.setUint32(8, headerLen, true);
  out.set(new TextEncoder().encode(headerText), prefixFor(version));
  for (let i = 0; i < count; i++) {
    if (size === 4) view.setFloat32(total + i * 4, data[i], little);
    else view.setFloat64(total + i * 8, data[i], little);
  }
  return out;
}

/** Writes a .npy file atomically (temporary name, then rename). */
export function writeNpy(file: string, data: ArrayLike<number>, shape: number[], options: NpyWriteOptions = {}): void {
  writeFileAtomicSync(file, encodeNpy(data, shape, options));
}
