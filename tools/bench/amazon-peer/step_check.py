"""Reference side of tools/bench/amazon-step-check.ts (issue #23).

Builds MMRec's own model class (SLMRec, DualGNN, LATTICE, MGCN) on the dumped MMRec-format
folder, copies the TypeScript model's initial weights into it, and compares the batch loss, the
gradient of every parameter and the scores of users 0..9. Needs torch (Debian python3-torch is
enough), numpy, scipy, pyyaml and a checkout of enoche/MMRec (--mmrec). torch_geometric and
torch_scatter are taken from ./shim when not installed. CPU-only patches: Tensor.cuda() is the
identity (LATTICE/MGCN call it unconditionally) and DualGNN's result_embed parameter is dropped
(on the CPU its forward cannot assign to it).
"""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

REF_NAMES = {
    'SLMRec': ['embedding_user.weight', 'embedding_item.weight', 'g_i_iv.weight', 'g_i_iv.bias', 'g_v_iv.weight', 'g_v_iv.bias',
               'g_iv_iva.weight', 'g_iv_iva.bias', 'g_a_iva.weight', 'g_a_iva.bias', 'g_iva_ivat.weight', 'g_iva_ivat.bias',
               'g_t_ivat.weight', 'g_t_ivat.bias', 'v_dense.weight', 'v_dense.bias', 't_dense.weight', 't_dense.bias',
               'embedding_item_after_GCN.weight', 'embedding_item_after_GCN.bias', 'embedding_user_after_GCN.weight',
               'embedding_user_after_GCN.bias'],
    'DualGNN': ['MLP_v.weight', 'MLP_t.weight', 'weight_u', 'weight_i', 'MLP_user.weight', 'MLP_user.bias',
                'v_gcn.preference', 'v_gcn.MLP.weight', 'v_gcn.MLP.bias', 'v_gcn.MLP_1.weight', 'v_gcn.MLP_1.bias',
                't_gcn.preference', 't_gcn.MLP.weight', 't_gcn.MLP.bias', 't_gcn.MLP_1.weight', 't_gcn.MLP_1.bias'],
    'LATTICE': ['user_embedding.weight', 'item_id_embedding.weight', 'image_embedding.weight', 'image_trs.weight',
                'image_trs.bias', 'text_embedding.weight', 'text_trs.weight', 'text_trs.bias', 'modal_weight'],
    'MGCN': ['user_embedding.weight', 'item_id_embedding.weight', 'image_embedding.weight', 'image_trs.weight', 'image_trs.bias',
             'text_embedding.weight', 'text_trs.weight', 'text_trs.bias', 'query_common.0.weight', 'query_common.0.bias',
             'query_common.2.weight', 'gate_v.0.weight', 'gate_v.0.bias', 'gate_image_prefer.0.weight',
             'gate_image_prefer.0.bias', 'gate_t.0.weight', 'gate_t.0.bias', 'gate_text_prefer.0.weight',
             'gate_text_prefer.0.bias'],
}

# our parameter name -> MMRec config key
KEYS = {
    'SLMRec': {'sslTemp': 'ssl_temp', 'sslAlpha': 'ssl_alpha', 'reg': 'reg', 'temp': 'temp', 'nLayers': 'layer_num', 'embeddingSize': 'recdim'},
    'DualGNN': {'reg': 'reg_weight', 'embeddingSize': 'embedding_size'},
    'LATTICE': {'reg': 'reg_weight', 'knnK': 'knn_k', 'lambdaCoeff': 'lambda_coeff', 'embeddingSize': 'embedding_size'},
    'MGCN': {'reg': 'reg_weight', 'clLoss': 'cl_loss', 'knnK': 'knn_k', 'embeddingSize': 'embedding_size'},
}


def read_inter(path):
    with open(path) as f:
        header = f.readline().rstrip('\n').split('\t')
        rows = [line.rstrip('\n').split('\t') for line in f if line.strip()]
    col = {h: i for i, h in enumerate(header)}
    u = np.array([int(r[col['userID']]) for r in rows])
    i = np.array([int(r[col['itemID']]) for r in rows])
    lab = np.array([int(float(r[col['x_label']])) for r in rows])
    return u, i, lab


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mmrec', required=True)
    ap.add_argument('--dump', required=True)
    ap.add_argument('--models', default='SLMRec,DualGNN,LATTICE,MGCN')
    args = ap.parse_args()
    sys.path.insert(0, os.path.join(args.mmrec, 'src'))
    sys.path.append(os.path.join(HERE, 'shim'))
    import torch
    import yaml
    from scipy.sparse import coo_matrix
    torch.Tensor.cuda = lambda self, *a, **k: self
    torch.set_num_threads(1)

    data_root = os.path.join(args.dump, 'data') + os.sep
    name = 'tiny'
    u_all, i_all, lab = read_inter(os.path.join(data_root, name, name + '.inter'))
    n_users, n_items = int(u_all.max()) + 1, int(i_all.max()) + 1
    tr = lab == 0

    class DS:
        def get_user_num(self):
            return n_users

        def get_item_num(self):
            return n_items

    class DL:
        dataset = DS()

        def inter_matrix(self, form='coo', value_field=None):
            m = coo_matrix((np.ones(int(tr.sum()), dtype=np.float32), (u_all[tr], i_all[tr])), shape=(n_users, n_items))
            return m if form == 'coo' else m.tocsr()

    # DualGNN's constructor loads a user graph file; the sampled graph is replaced below.
    np.save(os.path.join(data_root, name, 'user_graph_dict.npy'), {u: [[], []] for u in range(n_users)}, allow_pickle=True)
    overall = yaml.safe_load(open(os.path.join(args.mmrec, 'src/configs/overall.yaml')))
    worst = 0.0
    for model in args.models.split(','):
        dump = os.path.join(args.dump, model)
        meta = json.load(open(os.path.join(dump, 'meta.json')))
        cfg = dict(overall)
        cfg.update(yaml.safe_load(open(os.path.join(args.mmrec, f'src/configs/model/{model}.yaml'))))
        for k in cfg.get('hyper_parameters', []):
            if isinstance(cfg.get(k), list):
                cfg[k] = cfg[k][0]
        for ours, ref in KEYS[model].items():
            cfg[ref] = meta['params'][ours]
        cfg.update({'device': 'cpu', 'data_path': data_root, 'dataset': name, 'vision_feature_file': 'image_feat.npy',
                    'text_feature_file': 'text_feat.npy', 'user_graph_dict_file': 'user_graph_dict.npy'})
        for f in os.listdir(os.path.join(data_root, name)):
            if f.endswith('.pt'):
                os.remove(os.path.join(data_root, name, f))
        cls = getattr(__import__('models.' + model.lower(), fromlist=[model]), model)
        torch.manual_seed(0)
        np.random.seed(0)
        m = cls(cfg, DL())
        if model == 'DualGNN' and 'result_embed' in m._parameters:
            del m._parameters['result_embed']
            m.result_embed = None
        params = dict(m.named_parameters())
        modules = dict(m.named_modules())
        names = REF_NAMES[model]
        assert meta['nVars'] == len(names), (meta['nVars'], len(names))

        def is_linear_weight(n):
            mod = n.rsplit('.', 1)[0] if '.' in n else ''
            return n.endswith('.weight') and isinstance(modules.get(mod), torch.nn.Linear)

        def ours_to_ref(arr, n):
            arr = arr.T if is_linear_weight(n) else arr
            return arr.reshape(params[n].shape)

        with torch.no_grad():
            for j, n in enumerate(names):
                params[n].copy_(torch.from_numpy(np.ascontiguousarray(ours_to_ref(np.load(os.path.join(dump, f'w{j}.npy')), n))))
        if model == 'DualGNN':
            m.epoch_user_graph = np.load(os.path.join(dump, 'ugraph_idx.npy')).astype(np.int64).tolist()
            m.user_weight_matrix = torch.from_numpy(np.load(os.path.join(dump, 'ugraph_w.npy')))
        batch = torch.from_numpy(np.load(os.path.join(dump, 'batch.npy')).astype(np.int64))
        m.train()
        loss = m.calculate_loss(batch.clone())
        loss.backward()
        print(f'{model}: loss ours {meta["loss"]:.6f} reference {loss.item():.6f} (diff {abs(meta["loss"] - loss.item()):.2e})')
        worst = max(worst, abs(meta['loss'] - loss.item()) / max(1.0, abs(loss.item())))
        for j, n in enumerate(names):
            g_ours = ours_to_ref(np.load(os.path.join(dump, f'g{j}.npy')), n)
            p = params[n]
            g_ref = p.grad.numpy() if p.grad is not None else np.zeros(p.shape, dtype=np.float32)
            scale = max(1e-5, float(np.abs(g_ref).max()))  # analytically-zero gradients are float noise (~1e-10)
            rel = float(np.abs(g_ours - g_ref).max()) / scale
            if rel > 1e-3 or np.abs(g_ref).max() == 0:
                print(f'  grad {n}: max |ref| {np.abs(g_ref).max():.3e}, max |ours - ref| / max |ref| {rel:.2e}')
            if np.abs(g_ref).max() > 0:
                worst = max(worst, rel)
        m.eval()
        with torch.no_grad():
            s_ref = m.full_sort_predict([torch.arange(10)]).numpy()
        s_ours = np.load(os.path.join(dump, 'scores.npy'))
        ds = float(np.abs(s_ref - s_ours).max() / max(1e-12, np.abs(s_ref).max()))
        print(f'  scores users 0..9: max |ours - ref| / max |ref| {ds:.2e}; all gradients within 1e-3 relative unless listed')
        worst = max(worst, ds)
        # The same Adam steps as the TypeScript side (PyTorch 1.13 semantics: zero_grad keeps zero
        # tensors). LATTICE rebuilds its learned graph on the first step only.
        m.train()
        if model == 'LATTICE':
            m.build_item_graph = True
        opt = torch.optim.Adam(m.parameters(), lr=meta['params']['lr'], weight_decay=meta['params'].get('weightDecay', 0.0))
        opt.zero_grad(set_to_none=False)
        for _ in range(meta['steps']):
            loss = m.calculate_loss(batch.clone())
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=False)
        dw = 0.0
        for j, n in enumerate(names):
            w_ours = ours_to_ref(np.load(os.path.join(dump, f's{j}.npy')), n)
            w0 = ours_to_ref(np.load(os.path.join(dump, f'w{j}.npy')), n)
            moved = max(1e-12, float(np.abs(params[n].detach().numpy() - w0).max()))
            d = float(np.abs(w_ours - params[n].detach().numpy()).max())
            if moved > 1e-12:
                dw = max(dw, d / moved)
        print(f'  after {meta["steps"]} Adam steps: max |ours - ref| / max |ref step| over parameters {dw:.2e}')
        worst = max(worst, dw)
    print(f'worst relative difference {worst:.2e}')


if __name__ == '__main__':
    main()
