// Public API of @courier/world: the synthetic Taobao-style search world (specs/synthetic-world.md).
export { WORLD_PRESETS, worldConfigSchema, resolveWorldConfig } from './config';
export type { WorldConfig, WorldPreset } from './config';
export { generateWorld, worldDays, SECONDS_PER_DAY, ORACLE_CLUSTERS_FILE, LOOK_GROUPS, lookGroup, expectedSigmoid } from './generate';
export type { GenerateWorldOptions, WorldSummary, WorldInfo, WorldDays, WorldCounts, GroundTruth } from './generate';
export { readWorldInfo, readGroundTruth, truthFeatures } from './info';
export type { LoadedGroundTruth, TruthFeatures } from './info';
export { CATEGORIES, STYLES, PATTERNS, HUE_REGIONS, HUE_NAMES, ORACLE_DIM, hueRegionOf, lookMatchRaw, styleMatchRaw, priceTerm, clickLogit, oracleVector } from './model';
export type { CategorySpec, StyleSpec, HiddenItem, HiddenUser, MatchCentres } from './model';
export { renderItem, hslToRgb, patternPeriodFraction, SILHOUETTES } from './render';
export type { RenderOptions } from './render';
export {
  generateMerchants,
  generateNuisance,
  uniformStrength,
  backgroundBucket,
  lightingBucket,
  ZERO_STRENGTH,
  BACKGROUND_BUCKETS,
  LIGHTING_BUCKETS,
  BACKGROUND_STYLES,
} from './nuisance';
export type { ItemNuisance, MerchantTemplate, NuisanceStrength } from './nuisance';
export { factorRms, sampleItems } from './variation';
export type { FactorRms, FactorRmsOptions } from './variation';
export { DATAGEN_STAGE } from './stage-definition';
