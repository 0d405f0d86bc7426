/**
 * Plain-TypeScript float64 reference of the COURIER loss (no tfjs), with exact gradients from a
 * tiny reverse-mode autodiff tape. It is slow (scalar nodes) and meant for tests and as readable
 * documentation of the math; `courierLoss` (loss.ts) is the tfjs implementation it checks.
 *
 * For each positive PV item j (clicked, unmasked, in a sample with >= 1 history item):
 *   alpha_jk = softmax_k(E_pv_j . E_click_k / sqrt(d))       over the sample's real history items
 *   R_j      = sum_k alpha_jk E_click_k                          (user-intention reconstruction)
 *   L_j      = -log( exp(cos(E_pv_j, R_j)/tau) / sum_a exp(cos(E_pv_a, R_j)/tau) )
 * where a runs over every real PV item of the batch (only clicked ones when useNegPv = false).
 * L_pv = mean_j L_j. UCS: for each sample with >= 2 real history items the latest one is the
 * target, the others reconstruct it, and the same loss runs over the batch's targets.
 */
import type { CourierLossOptions } from './loss';

/** A scalar node of the autodiff tape. */
class Node {
  grad = 0;
  constructor(
    readonly tape: Node[],
    readonly value: number,
    readonly parents: readonly (readonly [Node, number])[],
  ) {
    tape.push(this);
  }
}

class Tape {
  readonly nodes: Node[] = [];
  leaf(v: number): Node {
    return new Node(this.nodes, v, []);
  }
  const(v: number): Node {
    return new Node(this.nodes, v, []);
  }
  add(a: Node, b: Node): Node {
    return new Node(this.nodes, a.value + b.value, [[a, 1], [b, 1]]);
  }
  sub(a: Node, b: Node): Node {
    return new Node(this.nodes, a.value - b.value, [[a, 1], [b, -1]]);
  }
  mul(a: Node, b: Node): Node {
    return new Node(this.nodes, a.value * b.value, [[a, b.value], [b, a.value]]);
  }
  div(a: Node, b: Node): Node {
    return new Node(this.nodes, a.value / b.value, [[a, 1 / b.value], [b, -a.value / (b.value * b.value)]]);
  }
  scale(a: Node, c: number): Node {
    return new Node(this.nodes, a.value * c, [[a, c]]);
  }
  exp(a: Node): Node {
    const e = Math.exp(a.value);
    return new Node(this.nodes, e, [[a, e]]);
  }
  log(a: Node): Node {
    return new Node(this.nodes, Math.log(a.value), [[a, 1 / a.value]]);
  }
  sqrt(a: Node): Node {
    const s = Math.sqrt(a.value);
    return new Node(this.nodes, s, [[a, s > 0 ? 0.5 / s : 0]]);
  }
  /** max(a, c) for a constant c (gradient 0 where the constant wins). */
  maxConst(a: Node, c: number): Node {
    return a.value >= c ? new Node(this.nodes, a.value, [[a, 1]]) : new Node(this.nodes, c, []);
  }
  sum(xs: readonly Node[]): Node {
    return new Node(this.nodes, xs.reduce((s, x) => s + x.value, 0), xs.map((x) => [x, 1] as const));
  }
  dot(a: readonly Node[], b: readonly Node[]): Node {
    return this.sum(a.map((x, i) => this.mul(x, b[i])));
  }
  /** log(sum exp(xs)), shifted by the (constant) max for stability. */
  logSumExp(xs: readonly Node[]): Node {
    const m = Math.max(...xs.map((x) => x.value));
    const shifted = xs.map((x) => this.exp(this.sub(x, this.const(m))));
    return this.add(this.log(this.sum(shifted)), this.const(m));
  }
  backward(out: Node): void {
    out.grad = 1;
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i];
      if (n.grad === 0) continue;
      for (const [p, local] of n.parents) p.grad += n.grad * local;
    }
  }
}

export interface ReferenceLossInputs {
  ePv: number[][][];
  eClick: number[][][];
  labels: number[][];
  pvMask: number[][];
  clickMask: number[][];
}

export interface ReferenceLossResult {
  total: number;
  lPv: number;
  lUcs: number;
  numPvPositives: number;
  numUcsTargets: number;
  gradEPv: number[][][];
  gradEClick: number[][][];
}

type Vec = Node[];

/**
 * Float64 COURIER loss and its gradients w.r.t. ePv and eClick. Same options and conventions as
 * `courierLoss`.
 */
export function courierLossReference(inputs: ReferenceLossInputs, options: CourierLossOptions): ReferenceLossResult {
  const t = new Tape();
  const B = inputs.ePv.length;
  const ePv: Vec[][] = inputs.ePv.map((s) => s.map((v) => v.map((x) => t.leaf(x))));
  const eClick: Vec[][] = inputs.eClick.map((s) => s.map((v) => v.map((x) => t.leaf(x))));
  const d = inputs.ePv[0][0].length;
  const heads = options.heads ?? 1;
  const dh = d / heads;
  const logitScale = options.scaleBySqrtD ? 1 / Math.sqrt(dh) : 1;

  const norm = (v: Vec): Node => t.maxConst(t.sqrt(t.dot(v, v)), 1e-12);
  const cos = (a: Vec, b: Vec): Node => t.div(t.dot(a, b), t.mul(norm(a), norm(b)));

  /** Cross-attention of one query over keys = values, head by head. */
  const crossAttend = (q: Vec, kv: Vec[]): Vec => {
    const out: Vec = [];
    for (let h = 0; h < heads; h++) {
      const part = (v: Vec) => v.slice(h * dh, (h + 1) * dh);
      const logits = kv.map((k) => t.scale(t.dot(part(q), part(k)), logitScale));
      const lse = t.logSumExp(logits);
      const alpha = logits.map((l) => t.exp(t.sub(l, lse)));
      for (let c = 0; c < dh; c++) out.push(t.sum(kv.map((k, i) => t.mul(alpha[i], part(k)[c]))));
    }
    return out;
  };
  const reconstruct = (q: Vec, context: Vec[]): Vec => {
    if (options.attention === 'cross') return crossAttend(q, context);
    // Self-attention over the context, averaged over its items (the query is not used).
    const outs = context.map((k) => crossAttend(k, context));
    return Array.from({ length: d }, (_, c) => t.scale(t.sum(outs.map((o) => o[c])), 1 / outs.length));
  };
  const columnLoss = (candidates: Vec[], recons: Vec[], targets: number[]): Node => {
    const terms = recons.map((r, p) => {
      const sims = candidates.map((e) => t.scale(cos(e, r), 1 / options.tau));
      return t.sub(t.logSumExp(sims), sims[targets[p]]);
    });
    return t.scale(t.sum(terms), 1 / terms.length);
  };
  const oneMinusCos = (as: Vec[], bs: Vec[]): Node =>
    t.scale(t.sum(as.map((a, i) => t.sub(t.const(1), cos(a, bs[i])))), 1 / as.length);

  const history = (b: number, skip = -1): Vec[] => eClick[b].filter((_, k) => inputs.clickMask[b][k] === 1 && k !== skip);

  // PV loss.
  const candidates: Vec[] = [];
  const candidateKey: string[] = [];
  const positives: { b: number; j: number }[] = [];
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < ePv[b].length; j++) {
      if (inputs.pvMask[b][j] !== 1) continue;
      const clicked = inputs.labels[b][j] === 1;
      if (options.useNegPv || clicked) {
        candidates.push(ePv[b][j]);
        candidateKey.push(`${b}:${j}`);
      }
      if (clicked && history(b).length >= 1) positives.push({ b, j });
    }
  }
  let lPv: Node = t.const(0);
  if (positives.length > 0) {
    const queries = positives.map(({ b, j }) => ePv[b][j]);
    const recons = positives.map(({ b, j }) => reconstruct(ePv[b][j], history(b)));
    lPv = options.contrastive
      ? columnLoss(candidates, recons, positives.map(({ b, j }) => candidateKey.indexOf(`${b}:${j}`)))
      : oneMinusCos(queries, recons);
  }

  // UCS loss.
  const ucs = [];
  for (let b = 0; b < B; b++) {
    const last = inputs.clickMask[b].lastIndexOf(1);
    if (history(b).length >= 2) ucs.push({ target: eClick[b][last], context: history(b, last) });
  }
  let lUcs: Node = t.const(0);
  if (options.useUcs && ucs.length > 0) {
    const targets = ucs.map((u) => u.target);
    const recons = ucs.map((u) => reconstruct(u.target, u.context));
    lUcs = options.contrastive ? columnLoss(targets, recons, targets.map((_, i) => i)) : oneMinusCos(targets, recons);
  }
  const total = t.add(lPv, lUcs);
  t.backward(total);
  return {
    total: total.value,
    lPv: lPv.value,
    lUcs: lUcs.value,
    numPvPositives: positives.length,
    numUcsTargets: ucs.length,
    gradEPv: ePv.map((s) => s.map((v) => v.map((x) => x.grad))),
    gradEClick: eClick.map((s) => s.map((v) => v.map((x) => x.grad))),
  };
}
