/**
 * Vega-Lite specs for the report's charts, each carrying its own data (values inline), so the
 * page draws them with no network and every mark comes from numbers shown in the tables.
 */
import { METRIC_LABEL, Metric, SuiteReport } from './model';
import { categoryRows, summaryRows } from './tables';

export interface ChartSpec {
  /** DOM id of the chart's container. */
  id: string;
  title: string;
  /** One sentence under the chart: what it shows and how to read it. */
  caption: string;
  spec: Record<string, unknown>;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const DELTA_METRICS: Metric[] = ['deltaAuc', 'deltaGauc'];
const MODE_COLOURS = { domain: ['cluster-id', 'simscore', 'vector', 'none'], range: ['#2b6cb0', '#2f855a', '#b7791f', '#718096'] };

/** Summary points (mean, mean ± sd) and per-seed points of the delta metrics, in percentage points. */
function deltaData(report: SuiteReport) {
  const rows = summaryRows(report);
  const summary: Record<string, unknown>[] = [];
  const seeds: Record<string, unknown>[] = [];
  for (const r of rows) {
    for (const metric of DELTA_METRICS) {
      const s = r[metric];
      if (!s.n) continue;
      const sdv = s.sd ?? 0;
      summary.push({ variant: r.variant.name, mode: r.variant.mode, param: r.variant.param, metric: METRIC_LABEL[metric], mean: 100 * s.mean, lo: 100 * (s.mean - sdv), hi: 100 * (s.mean + sdv), n: s.n });
      for (const p of s.perSeed) seeds.push({ variant: r.variant.name, mode: r.variant.mode, param: r.variant.param, metric: METRIC_LABEL[metric], seed: p.seed, value: 100 * p.value });
    }
  }
  return { summary, seeds, order: rows.map((r) => r.variant.name) };
}

/** Bars of mean ΔAUC and ΔGAUC per variant, ± sd over seeds, with every seed as a dot. */
export function deltaBarsChart(report: SuiteReport): ChartSpec {
  const { summary, seeds, order } = deltaData(report);
  const present = MODE_COLOURS.domain.map((m, i) => ({ m, c: MODE_COLOURS.range[i] })).filter((x) => summary.some((d) => d.mode === x.m));
  const colours = { domain: present.map((x) => x.m), range: present.map((x) => x.c) };
  const panel = (metric: string) => ({
    width: Math.max(160, 46 * order.length),
    height: 240,
    title: metric,
    layer: [
      {
        data: { values: summary.filter((d) => d.metric === metric) },
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x: { field: 'variant', type: 'nominal', sort: order, title: null, axis: { labelAngle: -30 } },
          y: { field: 'mean', type: 'quantitative', title: `${metric} (pp, mean over seeds)` },
          color: { field: 'mode', type: 'nominal', scale: colours, title: 'feature mode' },
        },
      },
      {
        data: { values: summary.filter((d) => d.metric === metric) },
        mark: { type: 'rule', color: '#1a202c' },
        encoding: { x: { field: 'variant', type: 'nominal', sort: order }, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
      },
      {
        data: { values: seeds.filter((d) => d.metric === metric) },
        mark: { type: 'point', filled: true, color: '#1a202c', size: 28, tooltip: true },
        encoding: { x: { field: 'variant', type: 'nominal', sort: order }, y: { field: 'value', type: 'quantitative' } },
      },
      { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', color: '#718096', strokeDash: [4, 3] }, encoding: { y: { field: 'zero', type: 'quantitative' } } },
    ],
  });
  return {
    id: 'chart-main',
    title: 'Gain over the CTR model without image features',
    caption: 'Bars: mean over seeds; black line: ± one sample standard deviation; dots: individual seeds. Dashed line: no gain.',
    spec: { $schema: SCHEMA, hconcat: DELTA_METRICS.map((m) => panel(METRIC_LABEL[m])), config: { view: { stroke: null } } },
  };
}

/** A sweep (temperature, batch size): mean delta against the parameter on a log axis. */
export function sweepChart(report: SuiteReport): ChartSpec {
  const { summary, seeds } = deltaData(report);
  const x = { field: 'param', type: 'quantitative', scale: { type: 'log' }, title: report.paramName ?? 'parameter' };
  return {
    id: 'chart-main',
    title: `Gain against ${report.paramName ?? 'the parameter'}`,
    caption: 'Lines: mean over seeds; vertical bars: ± one sample standard deviation; dots: individual seeds.',
    spec: {
      $schema: SCHEMA,
      width: 420,
      height: 260,
      layer: [
        { data: { values: summary }, mark: { type: 'line', point: true, tooltip: true }, encoding: { x, y: { field: 'mean', type: 'quantitative', title: 'gain (pp)' }, color: { field: 'metric', type: 'nominal' } } },
        { data: { values: summary }, mark: { type: 'rule' }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color: { field: 'metric', type: 'nominal' } } },
        { data: { values: seeds }, mark: { type: 'point', size: 18, opacity: 0.6 }, encoding: { x, y: { field: 'value', type: 'quantitative' }, color: { field: 'metric', type: 'nominal' } } },
        { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', color: '#718096', strokeDash: [4, 3] }, encoding: { y: { field: 'zero', type: 'quantitative' } } },
      ],
    },
  };
}

/** ΔAUC per category for the given variants, categories used in pre-training in a darker shade. */
export function categoryChart(report: SuiteReport, variants: string[]): ChartSpec | null {
  const cats = categoryRows(report).filter((c) => variants.includes(c.variant) && c.deltaAuc.n > 0);
  if (!cats.length) return null;
  const values = cats.map((c) => ({ variant: c.variant, category: c.category, pretraining: c.inPretraining ? 'used in pre-training' : 'not used in pre-training', deltaAuc: 100 * c.deltaAuc.mean, sd: c.deltaAuc.sd === null ? null : 100 * c.deltaAuc.sd }));
  const order = [...new Set(cats.filter((c) => c.inPretraining).map((c) => c.category)), ...new Set(cats.filter((c) => !c.inPretraining).map((c) => c.category))];
  return {
    id: 'chart-categories',
    title: `ΔAUC per category (${variants.join(', ')})`,
    caption: 'Mean over seeds of the per-category AUC gain on the evaluation day; categories left out of pre-training are lighter. Gains there mean the embeddings transfer.',
    spec: {
      $schema: SCHEMA,
      data: { values },
      width: Math.max(300, 28 * order.length * Math.max(1, variants.length)),
      height: 220,
      mark: { type: 'bar', tooltip: true },
      encoding: {
        x: { field: 'category', type: 'nominal', sort: order, axis: { labelAngle: -40 } },
        ...(variants.length > 1 ? { xOffset: { field: 'variant', type: 'nominal' } } : {}),
        y: { field: 'deltaAuc', type: 'quantitative', title: 'ΔAUC (pp)' },
        color: { field: 'pretraining', type: 'nominal', scale: { domain: ['used in pre-training', 'not used in pre-training'], range: ['#2b6cb0', '#90cdf4'] }, title: null },
        // Several variants: side by side, the first opaque, later ones lighter (an ordinal scale with an explicit order).
        ...(variants.length > 1 ? { opacity: { field: 'variant', type: 'ordinal', sort: variants, scale: { domain: variants, range: variants.map((_, i) => 1 - (0.6 * i) / (variants.length - 1)) }, title: 'variant' } } : {}),
      },
    },
  };
}

/** One scatter per map and colouring (category, style). */
export function mapCharts(report: SuiteReport): ChartSpec[] {
  const out: ChartSpec[] = [];
  report.maps.forEach((m, i) => {
    for (const by of ['category', 'style'] as const) {
      out.push({
        id: `chart-map-${i}-${by}`,
        title: `${m.name} (seed ${m.seed}) coloured by ${by}`,
        caption: `UMAP of ${m.points.length} item embeddings; colour = the item's ${by === 'style' ? 'hidden style (ground truth)' : 'category'}.${m.neighbourAgreement ? ` Same-${by} share among ${m.neighbourAgreement.k} nearest map neighbours: ${m.neighbourAgreement[by].toFixed(3)}.` : ''}`,
        spec: {
          $schema: SCHEMA,
          data: { values: m.points.map((p) => ({ x: p.x, y: p.y, itemId: p.itemId, category: p.category, style: p.style })) },
          width: 340,
          height: 300,
          mark: { type: 'circle', size: 14, opacity: 0.75 },
          encoding: {
            x: { field: 'x', type: 'quantitative', axis: null, scale: { zero: false } },
            y: { field: 'y', type: 'quantitative', axis: null, scale: { zero: false } },
            color: { field: by, type: 'nominal', scale: { scheme: by === 'category' ? 'category20' : 'tableau10' } },
            tooltip: [{ field: 'itemId' }, { field: 'category' }, { field: 'style' }],
          },
        },
      });
    }
  });
  return out;
}

/** Every chart of a suite's page, main chart first. */
export function reportCharts(report: SuiteReport): ChartSpec[] {
  const charts: ChartSpec[] = [];
  if (report.rows.length) charts.push(report.layout === 'sweep' ? sweepChart(report) : deltaBarsChart(report));
  if (report.rows.length && report.rows.some((r) => r.perCategory.length)) {
    const variants = report.layout === 'categories' ? report.variants.map((v) => v.name).filter((v) => report.rows.some((r) => r.variant === v)) : [report.variants.find((v) => report.rows.some((r) => r.variant === v.name))!.name];
    const c = categoryChart(report, variants);
    if (c) charts.push(c);
  }
  charts.push(...mapCharts(report));
  return charts;
}
