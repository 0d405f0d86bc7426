import { CTR_STAGE } from './stage-definition';
import type { FeatureSetRequest } from './stage';

describe('CTR_STAGE composed', () => {
  const featureSets: FeatureSetRequest[] = [
    { name: 'courier', mode: 'cluster-id', embeddings: '/e', clusters: '/a' },
    { name: 'oracle', mode: 'cluster-id', embeddings: null, clusters: '/oc' },
    { name: 'oracle-vector', mode: 'vector', embeddings: '/o', clusters: null },
  ];
  const base = { app: 'ctr', command: 'evaluate', inputs: { samples: '/s', world: '/w' }, config: {}, seed: 1, flags: {} };
  const composed = { fresh: false, fingerprint: { stage: 'ctr', hash: 'h' }, fingerprintOf: () => ({ stage: 'x', hash: 'h' }), log: { scope: 't', debug() {}, info() {}, warn() {}, error() {}, child() { return this; } } };

  it('takes the feature sets as records (report order) or as flags, not both', () => {
    for (const name of ['train', 'evaluate']) {
      const check = CTR_STAGE.commands[name].check!;
      expect(() => check({ ...base, lists: { embeddings: [], clusters: [] }, composed: { ...composed, options: { featureSets } } })).not.toThrow();
      expect(() => check({ ...base, lists: { embeddings: ['x=/e'], clusters: [] }, composed: { ...composed, options: { featureSets } } })).toThrow('ctr: give the feature sets either as records');
      expect(() => check({ ...base, lists: { embeddings: ['x=/e'], clusters: [] } })).not.toThrow();
    }
  });
});
