import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { ContractSpec } from '@courier/data-contracts';
import { readParquetAll } from './index';
import { decodeHybrid } from './parquet-decode';

/*
 * Page layouts no writer at hand produces: DuckDB writes only v1 data pages and never
 * DELTA_BYTE_ARRAY, and pyarrow (data page v2 with dictionaries, format 2.6 footers) is not
 * installed. A minimal Parquet writer below builds such a file byte by byte; DuckDB reading it
 * back with the expected values shows the fixture is valid Parquet, and then our reader must
 * agree value by value.
 */

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-pq-pages-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// ---- Thrift compact writer (explicit wire types) ----
const T = { TRUE: 1, FALSE: 2, I32: 5, I64: 6, BINARY: 8, LIST: 9, STRUCT: 12 } as const;
class ThriftWriter {
  bytes: number[] = [];
  private last: number[] = [0];
  varint(n: number): this {
    while (n >= 128) {
      this.bytes.push((n % 128) | 128);
      n = Math.floor(n / 128);
    }
    this.bytes.push(n);
    return this;
  }
  private zz = (n: number) => (n >= 0 ? 2 * n : -2 * n - 1);
  private field(id: number, type: number): void {
    const delta = id - this.last[this.last.length - 1];
    if (delta > 0 && delta <= 15) this.bytes.push((delta << 4) | type);
    else {
      this.bytes.push(type);
      this.varint(this.zz(id));
    }
    this.last[this.last.length - 1] = id;
  }
  i32(id: number, v: number): this {
    this.field(id, T.I32);
    return this.varint(this.zz(v));
  }
  i64(id: number, v: number): this {
    this.field(id, T.I64);
    return this.varint(this.zz(v));
  }
  bool(id: number, v: boolean): this {
    this.field(id, v ? T.TRUE : T.FALSE);
    return this;
  }
  bin(id: number, v: string | Buffer): this {
    const b = Buffer.from(v);
    this.field(id, T.BINARY);
    this.varint(b.length);
    this.bytes.push(...b);
    return this;
  }
  struct(id: number, body: (w: this) => void): this {
    this.field(id, T.STRUCT);
    return this.structBody(body);
  }
  structBody(body: (w: this) => void): this {
    this.last.push(0);
    body(this);
    this.bytes.push(0);
    this.last.pop();
    return this;
  }
  list<E>(id: number, elemType: number, items: E[], write: (w: this, e: E) => void): this {
    this.field(id, T.LIST);
    if (items.length < 15) this.bytes.push((items.length << 4) | elemType);
    else {
      this.bytes.push(0xf0 | elemType);
      this.varint(items.length);
    }
    for (const e of items) write(this, e);
    return this;
  }
  buffer = () => Buffer.from(this.bytes);
}

// ---- encoders ----
const uleb = (n: number) => new ThriftWriter().varint(n).bytes;
/** RLE/bit-packed hybrid: runs of >= 8 equal values as RLE runs, the rest bit-packed in groups of 8 (or all bit-packed). */
function hybrid(values: number[], bitWidth: number, bitPackedOnly = false): Buffer {
  const out: number[] = [];
  const bitPack = (vals: number[]) => {
    while (vals.length % 8) vals.push(0);
    out.push(...uleb(((vals.length / 8) << 1) | 1));
    const bytes = new Array((vals.length * bitWidth) / 8).fill(0);
    vals.forEach((v, i) => {
      for (let b = 0; b < bitWidth; b++) if ((v >>> b) & 1) bytes[(i * bitWidth + b) >> 3] |= 1 << ((i * bitWidth + b) & 7);
    });
    out.push(...bytes);
  };
  if (bitPackedOnly) {
    bitPack([...values]);
    return Buffer.from(out);
  }
  let i = 0;
  let pending: number[] = [];
  while (i < values.length) {
    let j = i;
    while (j < values.length && values[j] === values[i]) j++;
    if (j - i >= 8 && pending.length % 8 === 0) {
      if (pending.length) bitPack(pending);
      pending = [];
      out.push(...uleb((j - i) << 1));
      for (let b = 0; b < Math.ceil(bitWidth / 8); b++) out.push((values[i] >>> (8 * b)) & 0xff);
      i = j;
    } else pending.push(values[i++]);
  }
  if (pending.length) bitPack(pending);
  return Buffer.from(out);
}
/** DELTA_BINARY_PACKED with blocks of 128 values in 4 miniblocks (small numbers only). */
function deltaBinaryPacked(values: number[]): Buffer {
  const out: number[] = [...uleb(128), ...uleb(4), ...uleb(values.length), ...uleb(values.length ? (values[0] >= 0 ? 2 * values[0] : -2 * values[0] - 1) : 0)];
  for (let start = 1; start < values.length; start += 128) {
    const deltas = values.slice(start, start + 128).map((v, k) => v - values[start + k - 1]);
    const min = Math.min(...deltas);
    out.push(...uleb(min >= 0 ? 2 * min : -2 * min - 1));
    const rel = deltas.map((d) => d - min);
    const widths = [0, 1, 2, 3].map((m) => {
      const mb = rel.slice(m * 32, m * 32 + 32);
      return mb.length ? 32 - Math.clz32(Math.max(...mb)) : 0;
    });
    out.push(...widths);
    for (let m = 0; m < 4 && m * 32 < rel.length; m++) {
      const mb = rel.slice(m * 32, m * 32 + 32);
      while (mb.length < 32) mb.push(0);
      const bytes = new Array(4 * widths[m]).fill(0);
      mb.forEach((v, i) => {
        for (let b = 0; b < widths[m]; b++) if ((v >>> b) & 1) bytes[(i * widths[m] + b) >> 3] |= 1 << ((i * widths[m] + b) & 7);
      });
      out.push(...bytes);
    }
  }
  return Buffer.from(out);
}
function deltaByteArray(strings: string[]): Buffer {
  const bufs = strings.map((s) => Buffer.from(s));
  const prefixes = bufs.map((b, i) => {
    if (i === 0) return 0;
    let p = 0;
    while (p < b.length && p < bufs[i - 1].length && b[p] === bufs[i - 1][p]) p++;
    return p;
  });
  const suffixes = bufs.map((b, i) => b.subarray(prefixes[i]));
  return Buffer.concat([deltaBinaryPacked(prefixes), deltaBinaryPacked(suffixes.map((s) => s.length)), ...suffixes]);
}
const plainInt32 = (v: number[]) => {
  const b = Buffer.alloc(4 * v.length);
  v.forEach((x, i) => b.writeInt32LE(x, 4 * i));
  return b;
};

// ---- the fixture ----
const N = 3000;
const SPEC: ContractSpec = {
  name: 'pages-fixture',
  version: 1,
  fileName: 'x.parquet',
  doc: '',
  fields: [
    { name: 'sid', type: 'int32', doc: '' },
    { name: 'tag', type: 'utf8', nullable: true, doc: '' },
    { name: 'ts', type: 'int64', doc: '' },
    { name: 'vals', type: 'int32-list', nullable: true, doc: '' },
  ],
};
const sidOf = (i: number) => 7 + 3 * Math.floor(i / 10); // 300 distinct: dictionary indices of 9 bits in runs of 10
const expected = Array.from({ length: N }, (_, i) => ({
  sid: sidOf(i),
  tag: i % 4 === 0 ? null : `tag-${String(Math.floor(i / 3)).padStart(5, '0')}`,
  ts: 1000 + Math.floor(i / 10) * 5 + (i % 3),
  vals: i % 5 === 0 ? null : i % 5 === 1 ? [] : [i, -i],
}));

interface Page {
  header: Buffer;
  body: Buffer;
}
/** A data page v2: levels uncompressed, values gzip-compressed unless `compressed` is false. */
function pageV2(rows: number, entries: number, nulls: number, encoding: number, rep: Buffer, def: Buffer, values: Buffer, compressed: boolean): Page {
  const v = compressed ? zlib.gzipSync(values) : values;
  const body = Buffer.concat([rep, def, v]);
  const header = new ThriftWriter()
    .structBody((w) =>
      w
        .i32(1, 3)
        .i32(2, rep.length + def.length + values.length)
        .i32(3, body.length)
        .struct(8, (h) => h.i32(1, entries).i32(2, nulls).i32(3, rows).i32(4, encoding).i32(5, def.length).i32(6, rep.length).bool(7, compressed)),
    )
    .buffer();
  return { header, body };
}

function writeFixture(file: string): void {
  const half = [expected.slice(0, N / 2), expected.slice(N / 2)];
  const dictValues = [...new Set(expected.map((r) => r.sid))];
  const dictPlain = plainInt32(dictValues);
  const dictGz = zlib.gzipSync(dictPlain);
  const dictPage: Page = {
    header: new ThriftWriter().structBody((w) => w.i32(1, 2).i32(2, dictPlain.length).i32(3, dictGz.length).struct(7, (h) => h.i32(1, dictValues.length).i32(2, 0))).buffer(),
    body: dictGz,
  };
  const columns: { path: string[]; type: number; encodings: number[]; pages: Page[]; numValues: number }[] = [];
  // sid: RLE_DICTIONARY, page 1 with RLE runs, page 2 bit-packed only (indices of 9 bits)
  columns.push({
    path: ['sid'],
    type: 1,
    encodings: [8, 0],
    numValues: N,
    pages: [
      dictPage,
      ...half.map((rows, p) => pageV2(rows.length, rows.length, 0, 8, Buffer.alloc(0), Buffer.alloc(0), Buffer.concat([Buffer.from([9]), hybrid(rows.map((r) => dictValues.indexOf(r.sid)), 9, p === 1)]), true)),
    ],
  });
  // tag: optional, DELTA_BYTE_ARRAY, values stored uncompressed (is_compressed = false) in a gzip chunk
  columns.push({
    path: ['tag'],
    type: 6,
    encodings: [7],
    numValues: N,
    pages: half.map((rows) => {
      const present = rows.filter((r) => r.tag !== null).map((r) => r.tag as string);
      return pageV2(rows.length, rows.length, rows.length - present.length, 7, Buffer.alloc(0), hybrid(rows.map((r) => (r.tag === null ? 0 : 1)), 1), deltaByteArray(present), false);
    }),
  });
  // ts: DELTA_BINARY_PACKED int64
  columns.push({ path: ['ts'], type: 2, encodings: [5], numValues: N, pages: half.map((rows) => pageV2(rows.length, rows.length, 0, 5, Buffer.alloc(0), Buffer.alloc(0), deltaBinaryPacked(rows.map((r) => r.ts)), true)) });
  // vals: optional 3-level list of optional int32, PLAIN; levels: r 0/1, d 0 null, 1 empty, 3 value
  const listPages = half.map((rows) => {
    const r: number[] = [];
    const d: number[] = [];
    const v: number[] = [];
    for (const row of rows) {
      if (row.vals === null || row.vals.length === 0) {
        r.push(0);
        d.push(row.vals === null ? 0 : 1);
      } else
        row.vals.forEach((x, k) => {
          r.push(k === 0 ? 0 : 1);
          d.push(3);
          v.push(x);
        });
    }
    return { page: pageV2(rows.length, r.length, r.length - v.length, 0, hybrid(r, 1), hybrid(d, 2), plainInt32(v), true), entries: r.length };
  });
  columns.push({ path: ['vals', 'list', 'element'], type: 1, encodings: [0], numValues: listPages[0].entries + listPages[1].entries, pages: listPages.map((p) => p.page) });

  const parts: Buffer[] = [Buffer.from('PAR1')];
  let offset = 4;
  const chunks = columns.map((c) => {
    const start = offset;
    let size = 0;
    const firstData = c.pages[0] === dictPage ? start + dictPage.header.length + dictPage.body.length : start;
    for (const p of c.pages) {
      parts.push(p.header, p.body);
      size += p.header.length + p.body.length;
    }
    offset += size;
    return { ...c, start, size, firstData };
  });
  const footer = new ThriftWriter()
    .structBody((w) =>
      w
        .i32(1, 2) // pyarrow's format 2.x footer version
        .list(2, T.STRUCT, [0, 1, 2, 3, 4, 5, 6], (lw, k) =>
          lw.structBody((s) => {
            if (k === 0) s.bin(4, 'schema').i32(5, 4);
            if (k === 1) s.i32(1, 1).i32(3, 0).bin(4, 'sid');
            if (k === 2) s.i32(1, 6).i32(3, 1).bin(4, 'tag').i32(6, 0).struct(10, (lt) => lt.struct(1, () => undefined));
            if (k === 3) s.i32(1, 2).i32(3, 0).bin(4, 'ts');
            if (k === 4) s.i32(3, 1).bin(4, 'vals').i32(5, 1).i32(6, 3);
            if (k === 5) s.i32(3, 2).bin(4, 'list').i32(5, 1);
            if (k === 6) s.i32(1, 1).i32(3, 1).bin(4, 'element');
          }),
        )
        .i64(3, N)
        .list(4, T.STRUCT, [0], (lw) =>
          lw.structBody((rg) =>
            rg
              .list(1, T.STRUCT, chunks, (cw, c) =>
                cw.structBody((cc) =>
                  cc.i64(2, c.start).struct(3, (md) => {
                    md.i32(1, c.type)
                      .list(2, T.I32, c.encodings, (ew, e) => ew.varint(2 * e))
                      .list(3, T.BINARY, c.path, (pw, p) => pw.varint(Buffer.byteLength(p)).bytes.push(...Buffer.from(p)))
                      .i32(4, 2)
                      .i64(5, c.numValues)
                      .i64(6, c.size)
                      .i64(7, c.size)
                      .i64(9, c.firstData);
                    if (c.firstData !== c.start) md.i64(11, c.start);
                  }),
                ),
              )
              .i64(2, offset)
              .i64(3, N),
          ),
        )
        .bin(6, 'courier test fixture (data page v2)'),
    )
    .buffer();
  const len = Buffer.alloc(4);
  len.writeUInt32LE(footer.length);
  fs.writeFileSync(file, Buffer.concat([...parts, footer, len, Buffer.from('PAR1')]));
}

describe('data pages v2 with dictionaries, DELTA_BYTE_ARRAY, uncompressed values in a compressed chunk', () => {
  const file = path.join(dir, 'pages-v2.parquet');
  beforeAll(() => writeFixture(file));

  it('DuckDB reads the fixture as intended (the fixture is valid Parquet)', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    try {
      const rows = (await con.runAndReadAll(`SELECT sid, tag, ts, vals FROM read_parquet('${file}')`)).getRowObjectsJS();
      expect(rows.map((r) => ({ ...r, ts: Number(r.ts) }))).toEqual(expected);
    } finally {
      con.closeSync();
      db.closeSync();
    }
  });

  it('our reader reads every value', async () => {
    expect(await readParquetAll(file, SPEC)).toEqual(expected);
  });
});

describe('RLE/bit-packed hybrid decoder', () => {
  it('reads RLE runs of bit width 9-32 little-endian (parquetjs-lite summed the bytes: 256 -> 1)', () => {
    for (const [value, width] of [
      [256, 9],
      [300, 12],
      [65536, 17],
      [0x7fffffff, 31],
      [0xffffffff, 32],
    ]) {
      const out = new Int32Array(1000);
      const buf = Buffer.concat([Buffer.from(uleb(1000 << 1)), Buffer.from(Array.from({ length: Math.ceil(width / 8) }, (_, b) => Math.floor(value / 2 ** (8 * b)) & 0xff))]);
      decodeHybrid(buf, 0, buf.length, width, 1000, out, 0);
      expect([out[0], out[999]]).toEqual([value | 0, value | 0]);
    }
  });

  it('reads bit-packed and RLE runs mixed, with multi-byte run headers, at every width', () => {
    for (let width = 1; width <= 24; width++) {
      const max = 2 ** width - 1;
      const values = Array.from({ length: 2000 }, (_, i) => (i < 1000 ? Math.floor(i / 200) * 7919 : i * 31) % (max + 1));
      values.push(...new Array(300).fill(max));
      const out = new Int32Array(values.length);
      const buf = hybrid([...values], width);
      decodeHybrid(buf, 0, buf.length, width, values.length, out, 0);
      expect(Array.from(out)).toEqual(values);
    }
  });
});
