/**
 * Training checkpoints: one file, written atomically (temporary name, then rename), holding a JSON
 * header and the raw float32 tensors it indexes:
 *
 *   "COURIER-CKPT1\n" | u32 little-endian header length | header JSON (space-padded to 4 bytes) | float32 data
 *
 * The header holds the step, epoch, position in the epoch, Rng state, loss history and the
 * config; tensors are the model variables ("model/<name>") and Adam's moments
 * ("adam.m/<name>", "adam.v/<name>").
 */
import * as fs from 'node:fs';
import { writeFileAtomicSync } from '@courier/io';
import type { RngState } from '@courier/runtime';

const MAGIC = 'COURIER-CKPT1\n';

/** The backbone weights a baseline run leaves behind (same format, model/<name> tensors only): an `initFrom` source of COURIER. */
export const BACKBONE_CHECKPOINT_FILE = 'backbone.ckpt';

export interface CheckpointHeader {
  version: 1;
  /** Fingerprint of the run that wrote it (config, seed, inputs, code); absent in older files. */
  fingerprint?: string;
  /** Optimiser steps done. */
  step: number;
  /** Epoch in progress (0-based) and samples of it already trained on. */
  epoch: number;
  position: number;
  /** Whether training finished (step == total steps). */
  complete: boolean;
  rngState: RngState;
  /** Total loss of the most recent steps (for finalLoss), oldest first. */
  lossHistory: number[];
  /** The resolved trainer config. */
  config: Record<string, unknown>;
  /** Extra facts (e.g. featureDim) needed to rebuild the model. */
  model: Record<string, unknown>;
  savedAt: string;
}

interface TensorIndex {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

export interface Checkpoint {
  header: CheckpointHeader;
  tensors: Map<string, { shape: number[]; values: Float32Array }>;
}

export function writeCheckpoint(file: string, checkpoint: Checkpoint): void {
  const index: TensorIndex[] = [];
  let total = 0;
  for (const [name, t] of checkpoint.tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.values.length) throw new Error(`writeCheckpoint: tensor "${name}" has ${t.values.length} values for shape [${t.shape.join(', ')}]`);
    index.push({ name, shape: t.shape, offset: total, length: size });
    total += size;
  }
  let json = JSON.stringify({ ...checkpoint.header, tensors: index });
  const prefix = Buffer.byteLength(MAGIC) + 4;
  while ((prefix + Buffer.byteLength(json)) % 4 !== 0) json += ' ';
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(prefix + headerBytes.length + total * 4);
  out.write(MAGIC, 0, 'utf8');
  out.writeUInt32LE(headerBytes.length, Buffer.byteLength(MAGIC));
  headerBytes.copy(out, prefix);
  const data = new Float32Array(out.buffer, out.byteOffset + prefix + headerBytes.length, total);
  for (const entry of index) data.set(checkpoint.tensors.get(entry.name)!.values, entry.offset);
  writeFileAtomicSync(file, out);
}

export function readCheckpoint(file: string): Checkpoint {
  if (!fs.existsSync(file)) throw new Error(`readCheckpoint: ${file} not found`);
  const buf = fs.readFileSync(file);
  const magicLen = Buffer.byteLength(MAGIC);
  if (buf.length < magicLen + 4 || buf.toString('utf8', 0, magicLen) !== MAGIC) throw new Error(`readCheckpoint: ${file} is not a COURIER checkpoint (bad magic)`);
  const headerLen = buf.readUInt32LE(magicLen);
  const prefix = magicLen + 4;
  if (prefix + headerLen > buf.length) throw new Error(`readCheckpoint: ${file} is truncated (header of ${headerLen} bytes)`);
  const parsed = JSON.parse(buf.toString('utf8', prefix, prefix + headerLen)) as CheckpointHeader & { tensors: TensorIndex[] };
  const dataStart = prefix + headerLen;
  const floats = (buf.length - dataStart) / 4;
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const t of parsed.tensors) {
    if (t.offset + t.length > floats) throw new Error(`readCheckpoint: ${file} is truncated (tensor "${t.name}" ends at float ${t.offset + t.length} of ${floats})`);
    // Copy out of the file buffer (its byte offset need not be 4-aligned).
    const bytes = buf.subarray(dataStart + t.offset * 4, dataStart + (t.offset + t.length) * 4);
    const values = new Float32Array(t.length);
    new Uint8Array(values.buffer).set(bytes);
    tensors.set(t.name, { shape: t.shape, values });
  }
  const { tensors: _ignored, ...header } = parsed;
  return { header: header as CheckpointHeader, tensors };
}
