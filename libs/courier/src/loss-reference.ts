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
 *
 * Options of the authors' code (issue #18): `attentionProjections` (q = x wq + bq, k = x wk + bk,
 * v = x wv + bv per head, output concat(heads) wo + bo), `ucsTemperature` / `ucsWeight` /
 * `ucsTarget`, `maskSameItemNegatives` (rows showing the column's own item id elsewhere leave its
 * softmax), and the auxiliary CTR head (`ctrHeadWeight`): logit_j = relu([R_j, E_pv_j] w1 + b1) w2 + b2,
 * L_ctr = mean_j BCE(logit_j, y_j) over the real PV items of samples with >= 1 history item,
 * total = L_pv + ucsWeight L_ucs + ctrHeadWeight L_ctr.
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
  pvItemIds?: number[][];
  clickItemIds?: number[][];
  /** wq, wk, wv, wo [d][d] (x w + b), bq, bk, bv, bo [d]. */
  attentionParams?: ReferenceAttentionParams;
  /** w1r, w1e [d][h] (the rows of w1 [2d][h] for R and for E_pv), b1 [h], w2 [h][1], b2 [1]. */
  ctrHead?: ReferenceCtrHead;
}

export interface ReferenceAttentionParams {
  wq: number[][];
  bq: number[];
  wk: number[][];
  bk: number[];
  wv: number[][];
  bv: number[];
  wo: number[][];
  bo: number[];
}

export interface ReferenceCtrHead {
  w1r: number[][];
  w1e: number[][];
  b1: number[];
  w2: number[][];
  b2: number[];
}

export interface ReferenceLossResult {
  total: number;
  lPv: number;
  lUcs: number;
  numPvPositives: number;
  numUcsTargets: number;
  gradEPv: number[][][];
  gradEClick: number[][][];
  lCtr: number;
  numCtrItems: number;
  /** Gradients w.r.t. the attention projections (when `attentionProjections`). */
  gradAttention?: ReferenceAttentionParams;
  /** Gradients w.r.t. the CTR head (when `ctrHeadWeight` > 0). */
  gradCtrHead?: ReferenceCtrHead;
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

  // Learned parameters as leaves of the tape (only when their option is on).
  const leafMatrix = (m: number[][]): Node[][] => m.map((r) => r.map((x) => t.leaf(x)));
  const leafVector = (v: number[]): Node[] => v.map((x) => t.leaf(x));
  const ap = options.attentionProjections ? inputs.attentionParams : undefined;
  if (options.attentionProjections && !ap) throw new Error('courierLossReference: attentionProjections needs inputs.attentionParams');
  const proj = ap
    ? { wq: leafMatrix(ap.wq), bq: leafVector(ap.bq), wk: leafMatrix(ap.wk), bk: leafVector(ap.bk), wv: leafMatrix(ap.wv), bv: leafVector(ap.bv), wo: leafMatrix(ap.wo), bo: leafVector(ap.bo) }
    : null;
  const ctrWeight = options.ctrHeadWeight ?? 0;
  if (ctrWeight > 0 && !inputs.ctrHead) throw new Error('courierLossReference: ctrHeadWeight > 0 needs inputs.ctrHead');
  const head = ctrWeight > 0 && inputs.ctrHead ? { w1r: leafMatrix(inputs.ctrHead.w1r), w1e: leafMatrix(inputs.ctrHead.w1e), b1: leafVector(inputs.ctrHead.b1), w2: leafMatrix(inputs.ctrHead.w2), b2: leafVector(inputs.ctrHead.b2) } : null;
  /** x w + b for a row vector x. */
  const affine = (x: Vec, w: Node[][], b: Node[]): Vec => b.map((bc, c) => t.add(t.sum(x.map((xi, i) => t.mul(xi, w[i][c]))), bc));

  /** Cross-attention of one query over the keys/values, head by head (projected when `proj`). */
  const crossAttend = (q0: Vec, kv0: Vec[]): Vec => {
    const q = proj ? affine(q0, proj.wq, proj.bq) : q0;
    const keys = proj ? kv0.map((x) => affine(x, proj.wk, proj.bk)) : kv0;
    const values = proj ? kv0.map((x) => affine(x, proj.wv, proj.bv)) : kv0;
    const out: Vec = [];
    for (let h = 0; h < heads; h++) {
      const part = (v: Vec) => v.slice(h * dh, (h + 1) * dh);
      const logits = keys.map((k) => t.scale(t.dot(part(q), part(k)), logitScale));
      const lse = t.logSumExp(logits);
      const alpha = logits.map((l) => t.exp(t.sub(l, lse)));
      for (let c = 0; c < dh; c++) out.push(t.sum(values.map((v, i) => t.mul(alpha[i], part(v)[c]))));
    }
    return proj ? affine(out, proj.wo, proj.bo) : out;
  };
  const reconstruct = (q: Vec, context: Vec[]): Vec => {
    if (options.attention === 'cross') return crossAttend(q, context);
    // Self-attention over the context, averaged over its items (the query is not used).
    const outs = context.map((k) => crossAttend(k, context));
    return Array.from({ length: d }, (_, c) => t.scale(t.sum(outs.map((o) => o[c])), 1 / outs.length));
  };
  /** `ids`: item id per candidate and `colIds` per column, for maskSameItemNegatives. */
  const columnLoss = (candidates: Vec[], recons: Vec[], targets: number[], tau = options.tau, ids?: number[], colIds?: number[]): Node => {
    const terms = recons.map((r, p) => {
      const kept = candidates.map((_, a) => a === targets[p] || !ids || !colIds || ids[a] !== colIds[p]);
      const sims = candidates.map((e) => t.scale(cos(e, r), 1 / tau));
      return t.sub(t.logSumExp(sims.filter((_, a) => kept[a])), sims[targets[p]]);
    });
    return t.scale(t.sum(terms), 1 / terms.length);
  };
  const oneMinusCos = (as: Vec[], bs: Vec[]): Node =>
    t.scale(t.sum(as.map((a, i) => t.sub(t.const(1), cos(a, bs[i])))), 1 / as.length);

  const history = (b: number, skip = -1): Vec[] => eClick[b].filter((_, k) => inputs.clickMask[b][k] === 1 && k !== skip);

  // PV loss.
  const maskSame = options.maskSameItemNegatives === true;
  if (maskSame && (!inputs.pvItemIds || !inputs.clickItemIds)) throw new Error('courierLossReference: maskSameItemNegatives needs pvItemIds and clickItemIds');
  const candidates: Vec[] = [];
  const candidateIds: number[] = [];
  const candidateKey: string[] = [];
  const positives: { b: number; j: number }[] = [];
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < ePv[b].length; j++) {
      if (inputs.pvMask[b][j] !== 1) continue;
      const clicked = inputs.labels[b][j] === 1;
      if (options.useNegPv || clicked) {
        candidates.push(ePv[b][j]);
        candidateIds.push(inputs.pvItemIds ? inputs.pvItemIds[b][j] : -1);
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
      ? columnLoss(
          candidates,
          recons,
          positives.map(({ b, j }) => candidateKey.indexOf(`${b}:${j}`)),
          options.tau,
          maskSame ? candidateIds : undefined,
          maskSame ? positives.map(({ b, j }) => (inputs.pvItemIds as number[][])[b][j]) : undefined,
        )
      : oneMinusCos(queries, recons);
  }

  // UCS loss.
  const ucs = [];
  for (let b = 0; b < B; b++) {
    const k0 = options.ucsTarget === 'first' ? inputs.clickMask[b].indexOf(1) : inputs.clickMask[b].lastIndexOf(1);
    if (history(b).length >= 2) ucs.push({ target: eClick[b][k0], context: history(b, k0), id: inputs.clickItemIds ? inputs.clickItemIds[b][k0] : -1 });
  }
  let lUcs: Node = t.const(0);
  if (options.useUcs && ucs.length > 0) {
    const targets = ucs.map((u) => u.target);
    const recons = ucs.map((u) => reconstruct(u.target, u.context));
    const ids = maskSame ? ucs.map((u) => u.id) : undefined;
    lUcs = options.contrastive ? columnLoss(targets, recons, targets.map((_, i) => i), options.ucsTemperature ?? options.tau, ids, ids) : oneMinusCos(targets, recons);
  }

  // Auxiliary CTR head.
  let lCtr: Node = t.const(0);
  let numCtrItems = 0;
  if (head) {
    const terms: Node[] = [];
    for (let b = 0; b < B; b++) {
      if (history(b).length < 1) continue;
      for (let j = 0; j < ePv[b].length; j++) {
        if (inputs.pvMask[b][j] !== 1) continue;
        const r = reconstruct(ePv[b][j], history(b));
        // [R, E] w1 with w1 = [w1r; w1e] stacked by rows.
        const hidden = affine([...r, ...ePv[b][j]], [...head.w1r, ...head.w1e], head.b1).map((x) => (x.value > 0 ? x : t.scale(x, 0)));
        const z = affine(hidden, head.w2, head.b2)[0];
        // BCE(z, y) = softplus(z) - y z, written as log(1 + exp(z)) - y z with a stable log-sum-exp.
        const softplus = t.logSumExp([t.const(0), z]);
        terms.push(t.sub(softplus, t.scale(z, inputs.labels[b][j])));
      }
    }
    numCtrItems = terms.length;
    if (terms.length > 0) lCtr = t.scale(t.sum(terms), 1 / terms.length);
  }

  const ucsWeight = options.ucsWeight ?? 1;
  let total = t.add(lPv, t.scale(lUcs, ucsWeight));
  if (head) total = t.add(total, t.scale(lCtr, ctrWeight));
  t.backward(total);
  const gm = (m: Node[][]) => m.map((r) => r.map((x) => x.grad));
  const gv = (v: Node[]) => v.map((x) => x.grad);
  return {
    total: total.value,
    lPv: lPv.value,
    lUcs: lUcs.value,
    numPvPositives: positives.length,
    numUcsTargets: ucs.length,
    gradEPv: ePv.map((s) => s.map((v) => v.map((x) => x.grad))),
    gradEClick: eClick.map((s) => s.map((v) => v.map((x) => x.grad))),
    lCtr: lCtr.value,
    numCtrItems,
    ...(proj ? { gradAttention: { wq: gm(proj.wq), bq: gv(proj.bq), wk: gm(proj.wk), bk: gv(proj.bk), wv: gm(proj.wv), bv: gv(proj.bv), wo: gm(proj.wo), bo: gv(proj.bo) } } : {}),
    ...(head ? { gradCtrHead: { w1r: gm(head.w1r), w1e: gm(head.w1e), b1: gv(head.b1), w2: gm(head.w2), b2: gv(head.b2) } } : {}),
  };
}
