/**
 * The backbone registry (STYLE guideline 4): `{ name, input, doc, defaults, create }` entries by
 * name. It starts with the built-in backbones (builtin.ts), registered on its first use (any lookup
 * or registration), not when a module is imported: importing @courier/nn has no side effect.
 * Registration order and entries are the same as before, so every backbone builds the same weights.
 */
import * as tf from '@tensorflow/tfjs';
import type { Backbone, BackboneCreateOptions, BackboneEntry, BackboneInput } from './backbone';
import { BUILTIN_BACKBONES } from './builtin';

const registry = new Map<string, BackboneEntry>();
let builtinsRegistered = false;

function checkEntry(entry: BackboneEntry): void {
  if (!/^[a-z][a-z0-9-]*$/.test(entry.name)) throw new Error(`registerBackbone: name "${entry.name}" must be lower-case kebab-case`);
  if (registry.has(entry.name)) throw new Error(`registerBackbone: a backbone named "${entry.name}" is already registered`);
  if (entry.input !== 'image' && entry.input !== 'features') throw new Error(`registerBackbone("${entry.name}"): input must be "image" or "features"`);
}

/**
 * Registers the built-in backbones (cnn, mlp-pixels, mlp-features, layers-model,
 * layers-model-features) once; every function below calls it first, so callers need not.
 */
export function registerBuiltinBackbones(): void {
  if (builtinsRegistered) return;
  builtinsRegistered = true;
  for (const entry of BUILTIN_BACKBONES) {
    checkEntry(entry);
    registry.set(entry.name, entry);
  }
}

/** Registers a backbone; a second entry with the same name (a built-in one included) is an error (no silent override). */
export function registerBackbone(entry: BackboneEntry): void {
  registerBuiltinBackbones();
  checkEntry(entry);
  registry.set(entry.name, entry);
}

export function backboneNames(): string[] {
  registerBuiltinBackbones();
  return [...registry.keys()].sort();
}

export function getBackboneEntry(name: string): BackboneEntry {
  registerBuiltinBackbones();
  const entry = registry.get(name);
  if (!entry) throw new Error(`Unknown backbone "${name}"; known: ${backboneNames().join(', ')}`);
  return entry;
}

/**
 * Builds a registered backbone and checks it: a probe batch of 2 must give [2, dim].
 * Unknown `params` keys are an error naming the key and the valid ones.
 */
export async function createBackbone(name: string, options: Omit<BackboneCreateOptions, 'params'> & { params?: Record<string, unknown> }): Promise<Backbone> {
  const entry = getBackboneEntry(name);
  const params = { ...entry.defaults };
  for (const [k, v] of Object.entries(options.params ?? {})) {
    if (!(k in entry.defaults)) throw new Error(`backbone "${name}": unknown parameter "${k}"; known: ${Object.keys(entry.defaults).join(', ') || '(none)'}`);
    params[k] = v;
  }
  if (!Number.isInteger(options.dim) || options.dim < 1) throw new Error(`backbone "${name}": dim must be a positive integer, got ${options.dim}`);
  const backbone = await entry.create({ ...options, params });
  const probe = tf.tidy(() => {
    const x = entry.input === 'image' ? tf.zeros([2, options.imageSize, options.imageSize, 3]) : tf.zeros([2, options.featureDim]);
    return { shape: backbone.embed(x as BackboneInput).shape };
  });
  if (probe.shape[0] !== 2 || probe.shape[1] !== options.dim) {
    backbone.dispose();
    throw new Error(`backbone "${name}": a probe batch gave shape [${probe.shape.join(', ')}], expected [2, ${options.dim}]`);
  }
  return backbone;
}
