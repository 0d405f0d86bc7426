"""Non-learned reference points on an amazon-bench synthetic folder (issue #23: why BPR, which sees no
content, is far behind the content models on the Baby-sized preset). Test Recall@20 / NDCG@20 over
all test users, training items masked, recall = hits / |test items of the user| (MMRec's protocol):
- popularity: items ranked by their training-row count;
- image profile: mean of the user's training items' centred image features, projected to 64
  random directions, scored by dot product (no training);
- latent-z profile: the same with the generator's item taste vectors z_i (latent_items.npy);
- oracle: the generator's own taste match t_u . z_i (latent_users.npy, latent_items.npy).

  /usr/bin/python3 tools/bench/amazon-synthetic-probes.py <root>/<name> [name]   # name: <name>.inter, default the folder's name
"""
import json, os, sys
import numpy as np, pandas as pd
d = sys.argv[1].rstrip('/')
name = sys.argv[2] if len(sys.argv) > 2 else os.path.basename(d)
df = pd.read_csv(f'{d}/{name}.inter', sep='\t')
nU, nI = df.userID.max() + 1, df.itemID.max() + 1
tr, te = df[df.x_label == 0], df[df.x_label == 2]
train_by_u = tr.groupby('userID').itemID.apply(np.array).to_dict()
test_by_u = te.groupby('userID').itemID.apply(np.array).to_dict()
users = np.array(sorted(test_by_u))
disc = 1.0 / np.log2(np.arange(2, 22))

def evaluate(score_block):
    R, N = [], []
    for s in range(0, len(users), 2048):
        ub = users[s:s + 2048]
        S = score_block(ub).astype(np.float64)
        for r, u in enumerate(ub):
            S[r, train_by_u.get(u, [])] = -np.inf
        top = np.argpartition(-S, 20, axis=1)[:, :20]
        for r, u in enumerate(ub):
            t = top[r][np.argsort(-S[r, top[r]])]
            gt = set(test_by_u[u].tolist())
            hits = np.array([i in gt for i in t], dtype=float)
            R.append(hits.sum() / len(gt))
            idcg = disc[:min(len(gt), 20)].sum()
            N.append((hits * disc).sum() / idcg)
    return round(float(np.mean(R)), 4), round(float(np.mean(N)), 4)

out = {}
pop = np.bincount(tr.itemID, minlength=nI).astype(float)
out['popularity'] = evaluate(lambda ub: np.tile(pop, (len(ub), 1)))
rng = np.random.default_rng(0)
img = np.load(f'{d}/image_feat.npy').astype(np.float32)
img -= img.mean(0)
P = (img @ rng.standard_normal((img.shape[1], 64)).astype(np.float32)) / 8.0
del img
prof = np.zeros((nU, 64), np.float32)
for u, its in train_by_u.items():
    prof[u] = P[its].mean(0)
out['image-profile (no training)'] = evaluate(lambda ub: prof[ub] @ P.T)
zi = np.load(f'{d}/latent_items.npy'); tu = np.load(f'{d}/latent_users.npy')
out['latent taste oracle t_u.z_i'] = evaluate(lambda ub: tu[ub] @ zi.T)
zprof = np.zeros((nU, zi.shape[1]))
for u, its in train_by_u.items():
    zprof[u] = zi[its].mean(0)
out['latent-z profile of training items'] = evaluate(lambda ub: zprof[ub] @ zi.T)
print(json.dumps({k: {'recall@20': v[0], 'ndcg@20': v[1]} for k, v in out.items()}, indent=1))
