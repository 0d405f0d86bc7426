// Public API of @courier/report: experiment-report data (results.json), checks against the paper,
// the premise verdicts, the report files (Markdown and self-contained HTML with Vega-Lite charts),
// method galleries and the headless-browser check. Named exports only: what the apps use, and the
// types of their signatures; statistics, tables, charts, renderers and the synthetic report
// fixture stay in their modules (the specs import them there).
export { validateSuiteReport } from './model';
export type {
  CeilingRow,
  CheckSpec,
  EmbeddingMap,
  ExperimentRow,
  FeatureMode,
  MapPoint,
  Metric,
  MetricPair,
  PerCategoryDelta,
  PremiseSpec,
  ProbeAttribute,
  ProbeRow,
  SuiteReport,
  SuiteWorldInfo,
  VariantInfo,
} from './model';
export type { Summary } from './stats';
export { STATUS_TEXT, evaluateChecks } from './checks';
export type { CheckResult, CheckStatus } from './checks';
export { evaluatePremise, worldVariant } from './premise';
export type { PremiseMetricVerdict, PremiseQuantity, PremiseVerdict, PremiseVerdictStatus } from './premise';
export { writeSuiteReport } from './write';
export type { WrittenReport } from './write';
export { GALLERY_CSS, buildGalleries, galleriesHtml } from './galleries';
export type { Galleries, GalleryItem, MethodGallery } from './galleries';
export { esc } from './escape';
export { findChromium, probePage } from './browser';
export type { PageProbe } from './browser';
