import * as fs from 'node:fs';
import * as zlib from 'node:zlib';

/*
 * Our own Parquet decoder (reading only; writing stays on parquetjs-lite).
 *
 * parquetjs-lite 0.8.7, which read our files before, misreads files of other writers:
 * - its RLE/bit-packed hybrid decoder reads a repeated (RLE) run of bit width > 8 as the sum of
 *   its bytes (`value << 8` is a no-op), so dictionary index 256 (bytes 00 01) becomes 1: any
 *   dictionary-encoded column with more than 256 distinct values and runs decodes wrong
 *   (DuckDB's dictionary-encoded `timestamp` then looks unsorted, pyarrow's `session_id` splits);
 * - it refuses footers with `version: 2` (pyarrow's default format 2.6) as "invalid parquet
 *   version";
 * - it has no DELTA_* or BYTE_STREAM_SPLIT decoders, no ZSTD/LZ4/Brotli, and its data page V2
 *   path mishandles uncompressed pages;
 * - it turns every dictionary value into a string.
 * This module reads the footer and pages itself: Thrift compact protocol, PLAIN, dictionary
 * (PLAIN_DICTIONARY/RLE_DICTIONARY, any bit width), RLE levels, DELTA_BINARY_PACKED,
 * DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY, BYTE_STREAM_SPLIT, data pages v1 and v2, and the
 * codecs UNCOMPRESSED, SNAPPY, GZIP, BROTLI, LZ4_RAW, LZ4 (Hadoop framing) and ZSTD where Node's
 * zlib has it (Node >= 22.15).
 */

// ---- Thrift compact protocol (generic: structs are { fieldId: value }) ----

export type TValue = number | bigint | boolean | Buffer | TValue[] | TStruct;
export interface TStruct {
  [id: number]: TValue | undefined;
}

class ThriftReader {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly end: number,
  ) {}

  private byte(): number {
    if (this.pos >= this.end) throw new Error('truncated Thrift structure');
    return this.buf[this.pos++];
  }

  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new Error('invalid Thrift varint');
  }

  private zigzag(): number {
    const n = this.varint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  private value(type: number, depth: number): TValue {
    switch (type) {
      case 1:
        return true;
      case 2:
        return false;
      case 3: {
        const b = this.byte();
        return b > 127 ? b - 256 : b;
      }
      case 4:
      case 5:
      case 6:
        return this.zigzag();
      case 7: {
        if (this.pos + 8 > this.end) throw new Error('truncated Thrift structure');
        const v = this.buf.readDoubleLE(this.pos);
        this.pos += 8;
        return v;
      }
      case 8: {
        const n = this.varint();
        if (this.pos + n > this.end) throw new Error('truncated Thrift structure');
        const b = this.buf.subarray(this.pos, this.pos + n);
        this.pos += n;
        return b;
      }
      case 9:
      case 10: {
        const h = this.byte();
        let size = h >> 4;
        const et = h & 15;
        if (size === 15) size = this.varint();
        if (size > this.end - this.pos) throw new Error('truncated Thrift structure');
        const out: TValue[] = new Array(size);
        for (let i = 0; i < size; i++) out[i] = et === 1 || et === 2 ? this.byte() === 1 : this.value(et, depth + 1);
        return out;
      }
      case 11: {
        const size = this.varint();
        if (size > this.end - this.pos) throw new Error('truncated Thrift structure');
        if (size === 0) return [];
        const kv = this.byte();
        const out: TValue[] = [];
        for (let i = 0; i < size; i++) out.push([this.value(kv >> 4, depth + 1), this.value(kv & 15, depth + 1)]);
        return out;
      }
      case 12:
        return this.struct(depth + 1);
      default:
        throw new Error(`invalid Thrift type ${type}`);
    }
  }

  struct(depth = 0): TStruct {
    if (depth > 64) throw new Error('Thrift structure nested too deeply');
    const s: TStruct = {};
    let last = 0;
    for (;;) {
      const h = this.byte();
      if (h === 0) return s;
      const delta = h >> 4;
      const id = delta ? last + delta : this.zigzag();
      last = id;
      s[id] = this.value(h & 15, depth);
    }
  }
}

const num = (s: TStruct | undefined, id: number): number | undefined => {
  const v = s?.[id];
  return typeof v === 'number' ? v : undefined;
};
const str = (s: TStruct | undefined, id: number): string | undefined => {
  const v = s?.[id];
  return Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
};
const sub = (s: TStruct | undefined, id: number): TStruct | undefined => {
  const v = s?.[id];
  return v && typeof v === 'object' && !Buffer.isBuffer(v) && !Array.isArray(v) ? (v as TStruct) : undefined;
};
const list = (s: TStruct | undefined, id: number): TValue[] => {
  const v = s?.[id];
  return Array.isArray(v) ? v : [];
};

// ---- enums ----

export const PHYSICAL = ['BOOLEAN', 'INT32', 'INT64', 'INT96', 'FLOAT', 'DOUBLE', 'BYTE_ARRAY', 'FIXED_LEN_BYTE_ARRAY'] as const;
export const CODECS = ['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'LZO', 'BROTLI', 'LZ4', 'ZSTD', 'LZ4_RAW'] as const;
const ENCODINGS: Record<number, string> = {
  0: 'PLAIN',
  2: 'PLAIN_DICTIONARY',
  3: 'RLE',
  4: 'BIT_PACKED',
  5: 'DELTA_BINARY_PACKED',
  6: 'DELTA_LENGTH_BYTE_ARRAY',
  7: 'DELTA_BYTE_ARRAY',
  8: 'RLE_DICTIONARY',
  9: 'BYTE_STREAM_SPLIT',
};
const encodingName = (e: number): string => ENCODINGS[e] ?? `encoding ${e}`;
const codecName = (c: number): string => CODECS[c] ?? `codec ${c}`;

// ---- file metadata ----

export interface SchemaNode {
  name: string;
  /** Physical type name for leaves; undefined for groups. */
  physical?: string;
  typeLength: number;
  repetition: 'REQUIRED' | 'OPTIONAL' | 'REPEATED';
  convertedType?: number;
  logicalType?: TStruct;
  children: SchemaNode[];
  /** Column path from the root (leaves: the column chunk's path_in_schema). */
  path: string[];
  dLevelMax: number;
  rLevelMax: number;
}

export interface ColumnChunkMeta {
  path: string;
  physical: string;
  codec: number;
  numValues: number;
  /** Byte range of the chunk's pages (dictionary page first). */
  start: number;
  length: number;
  filePath?: string;
}

export interface RowGroupMeta {
  numRows: number;
  columns: Map<string, ColumnChunkMeta>;
}

export interface FileMeta {
  version: number;
  numRows: number;
  root: SchemaNode;
  rowGroups: RowGroupMeta[];
  keyValue: Record<string, string>;
  createdBy?: string;
}

const REPETITION = ['REQUIRED', 'OPTIONAL', 'REPEATED'] as const;
export const pathKey = (path: readonly string[]): string => path.join('\u0000');

function buildSchema(elements: TStruct[]): SchemaNode {
  let i = 0;
  const node = (parent: SchemaNode | undefined): SchemaNode => {
    const e = elements[i++];
    if (!e) throw new Error('schema ends early');
    const numChildren = num(e, 5) ?? 0;
    const type = num(e, 1);
    const repetition = parent ? (REPETITION[num(e, 3) ?? 0] ?? 'REQUIRED') : 'REQUIRED';
    const name = str(e, 4) ?? '';
    const n: SchemaNode = {
      name,
      physical: numChildren > 0 || type === undefined ? undefined : (PHYSICAL[type] ?? `type ${type}`),
      typeLength: num(e, 2) ?? 0,
      repetition,
      convertedType: num(e, 6),
      logicalType: sub(e, 10),
      children: [],
      path: parent ? [...parent.path, name] : [],
      dLevelMax: (parent?.dLevelMax ?? 0) + (parent && repetition !== 'REQUIRED' ? 1 : 0),
      rLevelMax: (parent?.rLevelMax ?? 0) + (repetition === 'REPEATED' ? 1 : 0),
    };
    for (let c = 0; c < numChildren; c++) n.children.push(node(n));
    return n;
  };
  return node(undefined);
}

/** Reads and parses the footer. Throws plain Errors (the caller words them for the user). */
export function readFileMeta(fd: number, size: number): FileMeta {
  if (size < 12) throw new Error('not a valid parquet file (too short)');
  const tail = Buffer.alloc(8);
  fs.readSync(fd, tail, 0, 8, size - 8);
  if (tail.toString('latin1', 4, 8) !== 'PAR1') throw new Error('not a valid parquet file (no PAR1 footer magic)');
  const head = Buffer.alloc(4);
  fs.readSync(fd, head, 0, 4, 0);
  if (head.toString('latin1') !== 'PAR1') throw new Error('not a valid parquet file (no PAR1 header magic)');
  const footerLength = tail.readUInt32LE(0);
  if (footerLength > size - 12) throw new Error('invalid footer length');
  const footer = Buffer.alloc(footerLength);
  fs.readSync(fd, footer, 0, footerLength, size - 8 - footerLength);
  const fm = new ThriftReader(footer, 0, footerLength).struct();
  const schemaElements = list(fm, 2) as TStruct[];
  if (schemaElements.length === 0) throw new Error('footer without a schema');
  const root = buildSchema(schemaElements);
  const rowGroups: RowGroupMeta[] = list(fm, 4).map((rgv) => {
    const rg = rgv as TStruct;
    const columns = new Map<string, ColumnChunkMeta>();
    for (const ccv of list(rg, 1)) {
      const cc = ccv as TStruct;
      const md = sub(cc, 3);
      if (!md) throw new Error('column chunk without metadata');
      const path = list(md, 3).map((p) => (p as Buffer).toString('utf8'));
      const dataOffset = num(md, 9) ?? 0;
      const dictOffset = num(md, 11);
      const start = dictOffset !== undefined && dictOffset > 0 && dictOffset < dataOffset ? dictOffset : dataOffset;
      const type = num(md, 1) ?? -1;
      columns.set(pathKey(path), {
        path: path.join('.'),
        physical: PHYSICAL[type] ?? `type ${type}`,
        codec: num(md, 4) ?? 0,
        numValues: num(md, 5) ?? 0,
        start,
        length: num(md, 7) ?? 0,
        filePath: str(cc, 1),
      });
    }
    return { numRows: num(rg, 3) ?? 0, columns };
  });
  const keyValue: Record<string, string> = {};
  for (const kvv of list(fm, 5)) {
    const kv = kvv as TStruct;
    const k = str(kv, 1);
    if (k !== undefined) keyValue[k] = str(kv, 2) ?? '';
  }
  return { version: num(fm, 1) ?? 0, numRows: num(fm, 3) ?? 0, root, rowGroups, keyValue, createdBy: str(fm, 6) };
}

/** Human name of a leaf's logical type, as the contracts name types where one matches. */
export function leafTypeName(n: SchemaNode): string {
  const lt = n.logicalType;
  const ct = n.convertedType;
  const intType = sub(lt, 10);
  switch (n.physical) {
    case 'INT32':
      if (intType) return intType[2] === false && (num(intType, 1) ?? 32) >= 32 ? 'uint32' : 'int32';
      if (sub(lt, 6) || ct === 6) return 'date';
      if (sub(lt, 5) || ct === 5) return 'decimal';
      if (sub(lt, 7) || ct === 7) return 'time';
      if (ct === 13) return 'uint32';
      return 'int32';
    case 'INT64': {
      const ts = sub(lt, 8);
      if (ts || ct === 9 || ct === 10) {
        const unit = sub(ts, 2);
        const u = unit ? (unit[1] ? 'ms' : unit[2] ? 'us' : 'ns') : ct === 9 ? 'ms' : 'us';
        return `timestamp[${u}]`;
      }
      if (intType) return intType[2] === false && (num(intType, 1) ?? 64) >= 64 ? 'uint64' : 'int64';
      if (sub(lt, 5) || ct === 5) return 'decimal';
      if (sub(lt, 7) || ct === 8) return 'time';
      if (ct === 14) return 'uint64';
      return 'int64';
    }
    case 'FLOAT':
      return 'float32';
    case 'DOUBLE':
      return 'float64';
    case 'BYTE_ARRAY':
      return sub(lt, 1) || sub(lt, 4) || sub(lt, 12) || ct === 0 || ct === 4 || ct === 19 ? 'utf8' : 'binary';
    case 'BOOLEAN':
      return 'bool';
    case 'INT96':
      return 'int96 timestamp';
    case 'FIXED_LEN_BYTE_ARRAY':
      return sub(lt, 5) || ct === 5 ? 'decimal' : sub(lt, 15) ? 'float16' : `fixed_len_byte_array(${n.typeLength})`;
    default:
      return n.physical ? n.physical.toLowerCase() : 'a nested group';
  }
}

// ---- codecs ----

/** Codecs this reader decodes here (ZSTD only where Node's zlib has it). */
export function codecSupported(codec: number): boolean {
  if (codec === 6) return typeof (zlib as unknown as Record<string, unknown>).zstdDecompressSync === 'function';
  return codec === 0 || codec === 1 || codec === 2 || codec === 4 || codec === 5 || codec === 7;
}

/** What to tell the user when a codec cannot be decoded. */
export function unsupportedCodecHint(codec: number): string {
  const name = codecName(codec);
  const why = codec === 6 ? `, which Node ${process.version} cannot decode (its zlib has zstd from Node 22.15)` : ', which this reader does not decode';
  return (
    `${name} compression${why}; rewrite the file with snappy (pyarrow: pq.write_table(table, file, compression='snappy'); ` +
    `DuckDB: COPY ... TO file (FORMAT parquet, COMPRESSION snappy); Spark: spark.sql.parquet.compression.codec=snappy)`
  );
}

function snappyDecompress(src: Buffer, expected: number): Buffer {
  let pos = 0;
  let len = 0;
  let mul = 1;
  for (;;) {
    if (pos >= src.length) throw new Error('invalid Snappy data (truncated length)');
    const b = src[pos++];
    len += (b & 0x7f) * mul;
    if (b < 0x80) break;
    mul *= 128;
    if (mul > 2 ** 35) throw new Error('invalid Snappy data (length)');
  }
  if (len !== expected) throw new Error(`invalid Snappy data (length ${len}, page header says ${expected})`);
  const out = Buffer.allocUnsafe(len);
  let o = 0;
  const n = src.length;
  while (pos < n) {
    const tag = src[pos++];
    let l: number;
    let off: number;
    switch (tag & 3) {
      case 0: {
        l = tag >>> 2;
        if (l >= 60) {
          const nb = l - 59;
          if (pos + nb > n) throw new Error('invalid Snappy data (truncated literal)');
          l = 0;
          for (let i = 0; i < nb; i++) l += src[pos + i] * 2 ** (8 * i);
          pos += nb;
        }
        l += 1;
        if (pos + l > n || o + l > len) throw new Error('invalid Snappy data (literal out of range)');
        src.copy(out, o, pos, pos + l);
        o += l;
        pos += l;
        continue;
      }
      case 1:
        if (pos >= n) throw new Error('invalid Snappy data (truncated copy)');
        l = ((tag >>> 2) & 7) + 4;
        off = ((tag >>> 5) << 8) | src[pos++];
        break;
      case 2:
        if (pos + 2 > n) throw new Error('invalid Snappy data (truncated copy)');
        l = (tag >>> 2) + 1;
        off = src[pos] | (src[pos + 1] << 8);
        pos += 2;
        break;
      default:
        if (pos + 4 > n) throw new Error('invalid Snappy data (truncated copy)');
        l = (tag >>> 2) + 1;
        off = src.readUInt32LE(pos);
        pos += 4;
    }
    if (off === 0 || off > o || o + l > len) throw new Error('invalid Snappy data (copy out of range)');
    if (off >= l) {
      out.copyWithin(o, o - off, o - off + l);
      o += l;
    } else {
      for (let i = 0; i < l; i++, o++) out[o] = out[o - off];
    }
  }
  if (o !== len) throw new Error(`invalid Snappy data (${o} of ${len} bytes)`);
  return out;
}

function lz4BlockDecompress(src: Buffer, from: number, to: number, out: Buffer, o: number, outEnd: number): number {
  let pos = from;
  while (pos < to) {
    const token = src[pos++];
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (pos >= to) throw new Error('invalid LZ4 data');
        b = src[pos++];
        lit += b;
      } while (b === 255);
    }
    if (pos + lit > to || o + lit > outEnd) throw new Error('invalid LZ4 data (literal out of range)');
    src.copy(out, o, pos, pos + lit);
    pos += lit;
    o += lit;
    if (pos >= to) break; // the last sequence has literals only
    if (pos + 2 > to) throw new Error('invalid LZ4 data');
    const off = src[pos] | (src[pos + 1] << 8);
    pos += 2;
    let ml = token & 15;
    if (ml === 15) {
      let b: number;
      do {
        if (pos >= to) throw new Error('invalid LZ4 data');
        b = src[pos++];
        ml += b;
      } while (b === 255);
    }
    ml += 4;
    if (off === 0 || off > o || o + ml > outEnd) throw new Error('invalid LZ4 data (match out of range)');
    for (let i = 0; i < ml; i++, o++) out[o] = out[o - off];
  }
  return o;
}

function lz4Decompress(src: Buffer, expected: number, hadoop: boolean): Buffer {
  const out = Buffer.allocUnsafe(expected);
  if (hadoop) {
    // Hadoop framing: blocks of [uncompressed length BE32][compressed length BE32][LZ4 block].
    let pos = 0;
    let o = 0;
    let framed = true;
    while (pos < src.length && framed) {
      if (pos + 8 > src.length) {
        framed = false;
        break;
      }
      const ulen = src.readUInt32BE(pos);
      const clen = src.readUInt32BE(pos + 4);
      if (o + ulen > expected || pos + 8 + clen > src.length) {
        framed = false;
        break;
      }
      const end = lz4BlockDecompress(src, pos + 8, pos + 8 + clen, out, o, o + ulen);
      if (end !== o + ulen) throw new Error('invalid LZ4 data');
      o = end;
      pos += 8 + clen;
    }
    if (framed && o === expected) return out;
    // Some writers (old Arrow) wrote raw LZ4 blocks under the LZ4 codec id: fall through.
  }
  const o = lz4BlockDecompress(src, 0, src.length, out, 0, expected);
  if (o !== expected) throw new Error(`invalid LZ4 data (${o} of ${expected} bytes)`);
  return out;
}

function decompress(codec: number, src: Buffer, expected: number): Buffer {
  switch (codec) {
    case 0:
      return src;
    case 1:
      return snappyDecompress(src, expected);
    case 2:
      return zlib.unzipSync(src);
    case 4:
      return zlib.brotliDecompressSync(src);
    case 5:
      return lz4Decompress(src, expected, true);
    case 7:
      return lz4Decompress(src, expected, false);
    default:
      if (codec === 6 && codecSupported(6)) return (zlib as unknown as { zstdDecompressSync(b: Buffer): Buffer }).zstdDecompressSync(src);
      throw new Error(unsupportedCodecHint(codec));
  }
}

// ---- value decoders ----

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** int64 as a number when it is a safe integer, else a bigint. */
export const int64Value = (v: bigint): number | bigint => (v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : v);

function readInt64(buf: Buffer, p: number): number | bigint {
  const lo = buf.readUInt32LE(p);
  const hi = buf.readInt32LE(p + 4);
  if (hi > -0x200000 && hi < 0x200000) return hi * 4294967296 + lo;
  return int64Value(buf.readBigInt64LE(p));
}

/** Reads `w` (<= 32) bits LSB-first starting at bit `bit` of buf; bytes past `end` read as 0. */
function readBits(buf: Buffer, bit: number, w: number, end: number): number {
  let byte = bit >>> 3;
  let shift = bit & 7;
  let value = 0;
  let got = 0;
  while (got < w) {
    const take = Math.min(8 - shift, w - got);
    const b = byte < end ? buf[byte] : 0;
    value += ((b >>> shift) & ((1 << take) - 1)) * 2 ** got;
    got += take;
    shift += take;
    if (shift === 8) {
      shift = 0;
      byte++;
    }
  }
  return value;
}

function readBitsBig(buf: Buffer, bit: number, w: number, end: number): bigint {
  if (w <= 32) return BigInt(readBits(buf, bit, w, end));
  return BigInt(readBits(buf, bit, 32, end)) | (BigInt(readBits(buf, bit + 32, w - 32, end)) << 32n);
}

interface Cursor {
  pos: number;
}

function varintAt(buf: Buffer, c: Cursor, end: number): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (c.pos >= end) throw new Error('truncated varint');
    const b = buf[c.pos++];
    result += (b & 0x7f) * mul;
    if (b < 0x80) return result;
    mul *= 128;
  }
  throw new Error('invalid varint');
}

function varintBigAt(buf: Buffer, c: Cursor, end: number): bigint {
  let result = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (c.pos >= end) throw new Error('truncated varint');
    const b = buf[c.pos++];
    result |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return result;
    shift += 7n;
  }
  throw new Error('invalid varint');
}

const unzigzagBig = (n: bigint): bigint => (n >> 1n) ^ -(n & 1n);

/**
 * RLE / bit-packed hybrid (levels, dictionary indices, booleans): decodes `count` values of
 * `bitWidth` (0..32) bits from buf[pos, end) into out[at...]. Run headers are ULEB128 varints
 * (runs longer than 63 values need more than one byte); an RLE run's value is ceil(bitWidth/8)
 * bytes little-endian.
 */
export function decodeHybrid(buf: Buffer, pos: number, end: number, bitWidth: number, count: number, out: Int32Array, at: number): void {
  const c: Cursor = { pos };
  let n = 0;
  const valueBytes = (bitWidth + 7) >>> 3;
  while (n < count) {
    const header = varintAt(buf, c, end);
    if (header % 2 === 1) {
      const groups = (header - 1) / 2;
      const values = groups * 8;
      const take = Math.min(values, count - n);
      const base = c.pos * 8;
      if (bitWidth === 0) out.fill(0, at + n, at + n + take);
      else if (bitWidth <= 24) {
        // fast path: a 32-bit little-endian window holds any value of <= 25 bits at any bit offset
        const mask = (1 << bitWidth) - 1;
        const safeEnd = end - 4; // window fully inside the data
        for (let i = 0; i < take; i++) {
          const bit = base + i * bitWidth;
          const byte = bit >>> 3;
          out[at + n + i] = byte <= safeEnd ? ((buf[byte] | (buf[byte + 1] << 8) | (buf[byte + 2] << 16) | (buf[byte + 3] << 24)) >>> (bit & 7)) & mask : readBits(buf, bit, bitWidth, end);
        }
      } else for (let i = 0; i < take; i++) out[at + n + i] = readBits(buf, base + i * bitWidth, bitWidth, end);
      n += take;
      c.pos += groups * bitWidth;
    } else {
      const run = header / 2;
      if (run === 0) throw new Error('invalid RLE run of length 0');
      if (c.pos + valueBytes > end) throw new Error('truncated RLE run');
      let v = 0;
      for (let i = 0; i < valueBytes; i++) v += buf[c.pos + i] * 2 ** (8 * i);
      c.pos += valueBytes;
      const take = Math.min(run, count - n);
      out.fill(v, at + n, at + n + take);
      n += take;
    }
    if (c.pos > end && n < count) throw new Error('truncated RLE/bit-packed data');
  }
}

/** DELTA_BINARY_PACKED: returns the values (numbers for INT32, numbers or bigints for INT64) and the end position. */
function deltaBinaryPacked(buf: Buffer, pos: number, end: number, int64: boolean): { values: (number | bigint)[]; end: number } {
  const c: Cursor = { pos };
  const blockSize = varintAt(buf, c, end);
  const miniblocks = varintAt(buf, c, end);
  const total = varintAt(buf, c, end);
  if (miniblocks === 0 || blockSize % miniblocks !== 0 || (blockSize / miniblocks) % 8 !== 0) throw new Error('invalid DELTA_BINARY_PACKED header');
  const perMini = blockSize / miniblocks;
  const values: (number | bigint)[] = new Array(total);
  if (total === 0) {
    varintBigAt(buf, c, end);
    return { values, end: c.pos };
  }
  let prev = unzigzagBig(varintBigAt(buf, c, end));
  values[0] = int64 ? int64Value(prev) : Number(BigInt.asIntN(32, prev));
  let got = 1;
  if (!int64) {
    // 32-bit: wrap-around arithmetic in doubles (exact below 2^53) then ToInt32.
    let p = Number(BigInt.asIntN(32, prev));
    while (got < total) {
      const minDelta = Number(BigInt.asIntN(64, unzigzagBig(varintBigAt(buf, c, end))));
      if (c.pos + miniblocks > end) throw new Error('truncated DELTA_BINARY_PACKED block');
      const widthsAt = c.pos;
      c.pos += miniblocks;
      for (let m = 0; m < miniblocks && got < total; m++) {
        const w = buf[widthsAt + m];
        if (w > 32) throw new Error(`invalid DELTA_BINARY_PACKED bit width ${w}`);
        const base = c.pos * 8;
        for (let j = 0; j < perMini && got < total; j++) {
          p = (p + minDelta + (w === 0 ? 0 : readBits(buf, base + j * w, w, end))) | 0;
          values[got++] = p;
        }
        c.pos += (perMini * w) / 8;
      }
    }
    if (c.pos > end) throw new Error('truncated DELTA_BINARY_PACKED data');
    return { values, end: c.pos };
  }
  while (got < total) {
    const minDelta = unzigzagBig(varintBigAt(buf, c, end));
    if (c.pos + miniblocks > end) throw new Error('truncated DELTA_BINARY_PACKED block');
    const widthsAt = c.pos;
    c.pos += miniblocks;
    for (let m = 0; m < miniblocks && got < total; m++) {
      const w = buf[widthsAt + m];
      if (w > 64) throw new Error(`invalid DELTA_BINARY_PACKED bit width ${w}`);
      const base = c.pos * 8;
      for (let j = 0; j < perMini && got < total; j++) {
        prev = BigInt.asIntN(64, prev + minDelta + (w === 0 ? 0n : readBitsBig(buf, base + j * w, w, end)));
        values[got++] = int64Value(prev);
      }
      c.pos += (perMini * w) / 8;
    }
  }
  if (c.pos > end) throw new Error('truncated DELTA_BINARY_PACKED data');
  return { values, end: c.pos };
}

/** Decodes `count` PLAIN values of a physical type, pushing them onto out; returns the end position. */
function plainDecode(physical: string, typeLength: number, buf: Buffer, pos: number, end: number, count: number, out: unknown[]): number {
  const need = (bytes: number) => {
    if (pos + bytes > end) throw new Error(`truncated ${physical} values`);
  };
  switch (physical) {
    case 'INT32':
      need(4 * count);
      for (let i = 0; i < count; i++, pos += 4) out.push(buf.readInt32LE(pos));
      return pos;
    case 'INT64':
      need(8 * count);
      for (let i = 0; i < count; i++, pos += 8) out.push(readInt64(buf, pos));
      return pos;
    case 'FLOAT':
      need(4 * count);
      for (let i = 0; i < count; i++, pos += 4) out.push(buf.readFloatLE(pos));
      return pos;
    case 'DOUBLE':
      need(8 * count);
      for (let i = 0; i < count; i++, pos += 8) out.push(buf.readDoubleLE(pos));
      return pos;
    case 'BYTE_ARRAY':
      for (let i = 0; i < count; i++) {
        need(4);
        const len = buf.readUInt32LE(pos);
        pos += 4;
        need(len);
        out.push(buf.toString('utf8', pos, pos + len));
        pos += len;
      }
      return pos;
    case 'BOOLEAN':
      need(Math.ceil(count / 8));
      for (let i = 0; i < count; i++) out.push(((buf[pos + (i >>> 3)] >>> (i & 7)) & 1) === 1);
      return pos + Math.ceil(count / 8);
    case 'FIXED_LEN_BYTE_ARRAY':
      need(typeLength * count);
      for (let i = 0; i < count; i++, pos += typeLength) out.push(Buffer.from(buf.subarray(pos, pos + typeLength)));
      return pos;
    case 'INT96':
      need(12 * count);
      for (let i = 0; i < count; i++, pos += 12) out.push(Buffer.from(buf.subarray(pos, pos + 12)));
      return pos;
    default:
      throw new Error(`unsupported physical type ${physical}`);
  }
}

function byteArraysFrom(buf: Buffer, pos: number, end: number, lengths: (number | bigint)[], out: unknown[]): void {
  for (const l of lengths) {
    const len = Number(l);
    if (len < 0 || pos + len > end) throw new Error('truncated DELTA_LENGTH_BYTE_ARRAY data');
    out.push(buf.toString('utf8', pos, pos + len));
    pos += len;
  }
}

function decodeValues(col: LeafInfo, encoding: number, buf: Buffer, pos: number, end: number, count: number, dict: unknown[] | undefined, out: unknown[]): void {
  const { physical } = col;
  switch (encoding) {
    case 0:
      plainDecode(physical, col.typeLength, buf, pos, end, count, out);
      return;
    case 2:
    case 8: {
      if (!dict) throw new Error('dictionary-encoded page without a dictionary page');
      if (count === 0) return;
      if (pos >= end) throw new Error('truncated dictionary indices');
      const bitWidth = buf[pos];
      if (bitWidth > 32) throw new Error(`invalid dictionary index bit width ${bitWidth}`);
      const idx = new Int32Array(count);
      decodeHybrid(buf, pos + 1, end, bitWidth, count, idx, 0);
      const size = dict.length;
      for (let i = 0; i < count; i++) {
        const k = idx[i];
        if (k < 0 || k >= size) throw new Error(`dictionary index ${k} out of range (dictionary of ${size})`);
        out.push(dict[k]);
      }
      return;
    }
    case 3: {
      if (physical !== 'BOOLEAN') throw new Error(`RLE encoding of ${physical} values is not supported`);
      if (pos + 4 > end) throw new Error('truncated RLE booleans');
      const len = buf.readUInt32LE(pos);
      const bits = new Int32Array(count);
      decodeHybrid(buf, pos + 4, Math.min(end, pos + 4 + len), 1, count, bits, 0);
      for (let i = 0; i < count; i++) out.push(bits[i] === 1);
      return;
    }
    case 5: {
      if (physical !== 'INT32' && physical !== 'INT64') throw new Error(`DELTA_BINARY_PACKED encoding of ${physical} values`);
      const { values } = deltaBinaryPacked(buf, pos, end, physical === 'INT64');
      if (values.length < count) throw new Error(`DELTA_BINARY_PACKED page holds ${values.length} of ${count} values`);
      for (let i = 0; i < count; i++) out.push(values[i]);
      return;
    }
    case 6: {
      if (physical !== 'BYTE_ARRAY') throw new Error(`DELTA_LENGTH_BYTE_ARRAY encoding of ${physical} values`);
      const lengths = deltaBinaryPacked(buf, pos, end, false);
      byteArraysFrom(buf, lengths.end, end, lengths.values.slice(0, count), out);
      return;
    }
    case 7: {
      if (physical !== 'BYTE_ARRAY' && physical !== 'FIXED_LEN_BYTE_ARRAY') throw new Error(`DELTA_BYTE_ARRAY encoding of ${physical} values`);
      const prefixes = deltaBinaryPacked(buf, pos, end, false);
      const suffixes = deltaBinaryPacked(buf, prefixes.end, end, false);
      let p = suffixes.end;
      let prev = Buffer.alloc(0);
      for (let i = 0; i < count; i++) {
        const pre = Number(prefixes.values[i]);
        const len = Number(suffixes.values[i]);
        if (pre > prev.length || p + len > end) throw new Error('invalid DELTA_BYTE_ARRAY data');
        const v = Buffer.concat([prev.subarray(0, pre), buf.subarray(p, p + len)]);
        p += len;
        prev = v;
        out.push(physical === 'BYTE_ARRAY' ? v.toString('utf8') : v);
      }
      return;
    }
    case 9: {
      const width = physical === 'FLOAT' || physical === 'INT32' ? 4 : physical === 'DOUBLE' || physical === 'INT64' ? 8 : physical === 'FIXED_LEN_BYTE_ARRAY' ? col.typeLength : 0;
      if (!width) throw new Error(`BYTE_STREAM_SPLIT encoding of ${physical} values`);
      const n = Math.floor((end - pos) / width);
      if (n < count) throw new Error('truncated BYTE_STREAM_SPLIT data');
      const tmp = Buffer.allocUnsafe(width * count);
      for (let i = 0; i < count; i++) for (let b = 0; b < width; b++) tmp[i * width + b] = buf[pos + b * n + i];
      plainDecode(physical, col.typeLength, tmp, 0, tmp.length, count, out);
      return;
    }
    default:
      throw new Error(`unsupported encoding ${encodingName(encoding)} of ${physical} values`);
  }
}

// ---- column chunks ----

export interface LeafInfo {
  physical: string;
  typeLength: number;
  dLevelMax: number;
  rLevelMax: number;
}

export interface DecodedChunk {
  /** Level entries (values plus null/empty slots). */
  count: number;
  /** Definition levels, or null when dLevelMax is 0 (all entries are values). */
  dlevels: Int32Array | null;
  /** Repetition levels, or null when rLevelMax is 0. */
  rlevels: Int32Array | null;
  /** The non-null values in order: numbers, bigints (int64 beyond 2^53), strings, booleans. */
  values: unknown[];
}

const bitWidthOf = (max: number): number => 32 - Math.clz32(max);

/** Reads and decodes one column chunk. Throws plain Errors on corrupt data. */
export function readColumnChunk(fd: number, chunk: ColumnChunkMeta, leaf: LeafInfo): DecodedChunk {
  if (chunk.filePath) throw new Error(`column chunk stored in another file (${chunk.filePath})`);
  const buf = Buffer.allocUnsafe(chunk.length);
  const got = fs.readSync(fd, buf, 0, chunk.length, chunk.start);
  if (got !== chunk.length) throw new Error(`column chunk ends past the end of the file (read ${got} of ${chunk.length} bytes)`);
  const total = chunk.numValues;
  const dlevels = leaf.dLevelMax > 0 ? new Int32Array(total) : null;
  const rlevels = leaf.rLevelMax > 0 ? new Int32Array(total) : null;
  const dBits = bitWidthOf(leaf.dLevelMax);
  const rBits = bitWidthOf(leaf.rLevelMax);
  const values: unknown[] = [];
  let dict: unknown[] | undefined;
  let n = 0; // level entries decoded so far
  let pos = 0;
  while (n < total) {
    if (pos >= buf.length) throw new Error(`column chunk ends after ${n} of ${total} values`);
    const reader = new ThriftReader(buf, pos, buf.length);
    const header = reader.struct();
    pos = reader.pos;
    const type = num(header, 1);
    const usize = num(header, 2) ?? 0;
    const csize = num(header, 3) ?? -1;
    if (csize < 0 || pos + csize > buf.length) throw new Error('page extends past its column chunk');
    const body = buf.subarray(pos, pos + csize);
    pos += csize;
    if (type === 2) {
      const dh = sub(header, 7);
      const data = decompress(chunk.codec, body, usize);
      dict = [];
      plainDecode(leaf.physical, leaf.typeLength, data, 0, data.length, num(dh, 1) ?? 0, dict);
      continue;
    }
    if (type !== 0 && type !== 3) continue; // index pages
    let pageValues: number;
    let encoding: number;
    let data: Buffer;
    let off = 0;
    let dStart = 0;
    let dEnd = 0;
    let rStart = 0;
    let rEnd = 0;
    if (type === 0) {
      const dph = sub(header, 5);
      pageValues = num(dph, 1) ?? 0;
      encoding = num(dph, 2) ?? 0;
      data = decompress(chunk.codec, body, usize);
      for (const [max, enc, which] of [
        [leaf.rLevelMax, num(dph, 4) ?? 3, 'r'],
        [leaf.dLevelMax, num(dph, 3) ?? 3, 'd'],
      ] as const) {
        if (max === 0) continue;
        if (enc !== 3) throw new Error(`unsupported ${which === 'r' ? 'repetition' : 'definition'} level encoding ${encodingName(enc)}`);
        if (off + 4 > data.length) throw new Error('truncated levels');
        const len = data.readUInt32LE(off);
        if (off + 4 + len > data.length) throw new Error('truncated levels');
        if (which === 'r') [rStart, rEnd] = [off + 4, off + 4 + len];
        else [dStart, dEnd] = [off + 4, off + 4 + len];
        off += 4 + len;
      }
    } else {
      const h2 = sub(header, 8);
      pageValues = num(h2, 1) ?? 0;
      encoding = num(h2, 4) ?? 0;
      const dLen = num(h2, 5) ?? 0;
      const rLen = num(h2, 6) ?? 0;
      const compressed = h2?.[7] !== false;
      if (rLen + dLen > body.length) throw new Error('truncated levels');
      [rStart, rEnd] = [0, rLen];
      [dStart, dEnd] = [rLen, rLen + dLen];
      const rest = body.subarray(rLen + dLen);
      const levels = body.subarray(0, rLen + dLen);
      data = compressed && chunk.codec !== 0 ? Buffer.concat([levels, decompress(chunk.codec, rest, usize - rLen - dLen)]) : body;
      off = rLen + dLen;
    }
    if (n + pageValues > total) throw new Error(`pages hold more than the ${total} values of the column chunk`);
    if (rlevels) decodeHybrid(data, rStart, rEnd, rBits, pageValues, rlevels, n);
    let present = pageValues;
    if (dlevels) {
      decodeHybrid(data, dStart, dEnd, dBits, pageValues, dlevels, n);
      present = 0;
      const max = leaf.dLevelMax;
      for (let i = n; i < n + pageValues; i++) if (dlevels[i] === max) present++;
    }
    decodeValues(leaf, encoding, data, off, data.length, present, dict, values);
    n += pageValues;
  }
  return { count: total, dlevels, rlevels, values };
}

/** The pages of a column chunk as "DATA_PAGE_V2 DELTA_BINARY_PACKED" etc. (for tests and diagnostics). */
export function describePages(fd: number, chunk: ColumnChunkMeta): string[] {
  const buf = Buffer.allocUnsafe(chunk.length);
  fs.readSync(fd, buf, 0, chunk.length, chunk.start);
  const out: string[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const reader = new ThriftReader(buf, pos, buf.length);
    const h = reader.struct();
    const type = num(h, 1);
    const enc = type === 0 ? num(sub(h, 5), 2) : type === 3 ? num(sub(h, 8), 4) : type === 2 ? num(sub(h, 7), 2) : undefined;
    out.push(`${['DATA_PAGE', 'INDEX_PAGE', 'DICTIONARY_PAGE', 'DATA_PAGE_V2'][type ?? -1] ?? `page type ${type}`} ${enc === undefined ? '' : encodingName(enc)}`.trim());
    pos = reader.pos + (num(h, 3) ?? buf.length);
  }
  return out;
}
