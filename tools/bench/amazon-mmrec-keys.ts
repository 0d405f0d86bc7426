/** Our model parameter names -> MMRec config keys (plus fixed extras the reference yaml lists as a grid); shared by the parity and speed benchmarks. */
export const MMREC_KEYS: Record<string, { keys: Record<string, string>; extra?: Record<string, unknown> }> = {
  BPR: { keys: { lr: 'learning_rate', reg: 'reg_weight' } },
  BM3: { keys: { lr: 'learning_rate', nLayers: 'n_layers', reg: 'reg_weight', dropout: 'dropout' } },
  MMGCN: { keys: { lr: 'learning_rate', reg: 'reg_weight' } },
  SLMRec: { keys: { lr: 'learning_rate', sslTemp: 'ssl_temp', sslAlpha: 'ssl_alpha', reg: 'reg' } },
  DualGNN: { keys: { lr: 'learning_rate', reg: 'reg_weight' }, extra: { aggr_mode: 'add' } },
  LATTICE: { keys: { lr: 'learning_rate', reg: 'reg_weight' } },
  MGCN: { keys: { lr: 'learning_rate', reg: 'reg_weight', clLoss: 'cl_loss' } },
};
