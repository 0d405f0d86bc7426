/**
 * CLIP's title side: a vocabulary of title tokens and a small text encoder.
 *
 * Titles are lower-cased and split on whitespace. The vocabulary keeps the `maxSize` most
 * frequent tokens (ties by token order), id 0 is the shared out-of-vocabulary id. The encoder is
 * a bag of token embeddings: mean of the title's token embeddings (a [n, V] weight matrix times
 * the [V, e] table, so every backend can differentiate it), then ReLU MLP to d. The paper uses a
 * pre-trained Chinese BERT; with no pre-trained language model available offline, this small
 * encoder is trained from scratch with the image side.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@courier/runtime';
import { NamedVariable, SeededVariableStore, dense, denseLayer } from '@courier/nn';

export function tokenize(title: string): string[] {
  return title
    .toLowerCase()
    .split(/\s+/)
    .filter((t) => t.length > 0);
}

export class TitleVocabulary {
  private constructor(
    private readonly ids: ReadonlyMap<string, number>,
    readonly tokens: readonly string[],
  ) {}

  /** Builds the vocabulary of `titles` (most frequent first; ties by token, so it is deterministic). */
  static fromTitles(titles: Iterable<string>, maxSize: number): TitleVocabulary {
    if (!Number.isInteger(maxSize) || maxSize < 1) throw new Error(`TitleVocabulary: maxSize must be a positive integer, got ${maxSize}`);
    const counts = new Map<string, number>();
    for (const t of titles) for (const tok of tokenize(t)) counts.set(tok, (counts.get(tok) ?? 0) + 1);
    const kept = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, maxSize).map(([t]) => t);
    return new TitleVocabulary(new Map(kept.map((t, i) => [t, i + 1])), kept);
  }

  /** Ids including the out-of-vocabulary id 0. */
  get size(): number {
    return this.tokens.length + 1;
  }

  encode(title: string): number[] {
    return tokenize(title).map((t) => this.ids.get(t) ?? 0);
  }

  /**
   * Mean-pooling weights [titles.length, size]: entry (i, v) = (count of v in title i) / (tokens
   * in title i). An empty title gets the out-of-vocabulary id with weight 1.
   */
  bagMatrix(titles: readonly string[]): Float32Array {
    const V = this.size;
    const out = new Float32Array(titles.length * V);
    titles.forEach((title, i) => {
      const ids = this.encode(title);
      if (ids.length === 0) out[i * V] = 1;
      for (const id of ids) out[i * V + id] += 1 / ids.length;
    });
    return out;
  }
}

export interface TitleEncoder {
  readonly variables: readonly NamedVariable[];
  readonly vocabulary: TitleVocabulary;
  /** [n, V] pooling weights (TitleVocabulary.bagMatrix) -> [n, dim]. */
  apply(bag: tf.Tensor2D): tf.Tensor2D;
  dispose(): void;
}

export interface TitleEncoderOptions {
  embedDim: number;
  hidden: number;
  dim: number;
  seed: number;
}

export function makeTitleEncoder(vocabulary: TitleVocabulary, options: TitleEncoderOptions): TitleEncoder {
  const store = new SeededVariableStore(new Rng(options.seed));
  const table = store.uniform('text/token-embedding', [vocabulary.size, options.embedDim], Math.sqrt(3));
  const hidden = denseLayer(store, 'text/hidden', options.embedDim, options.hidden, true);
  const out = denseLayer(store, 'text/out', options.hidden, options.dim, false);
  return {
    variables: store.variables,
    vocabulary,
    apply: (bag) =>
      tf.tidy(() => {
        if (bag.rank !== 2 || bag.shape[1] !== vocabulary.size) throw new Error(`text encoder: bag has shape [${bag.shape.join(', ')}], expected [n, ${vocabulary.size}]`);
        const pooled = tf.matMul(bag, table) as tf.Tensor2D;
        return dense(dense(pooled, hidden, 'relu'), out);
      }),
    dispose: () => store.dispose(),
  };
}
