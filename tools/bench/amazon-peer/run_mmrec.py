"""Reference side of tools/bench/amazon-parity.ts (issue #23): trains MMRec's own model on an
MMRec-format folder, one run per seed, with MMRec's trainer (early stopping on valid Recall@20,
test metrics at the best-valid epoch), and writes a JSON line per seed with the metrics and the
seconds per training epoch / per evaluation (valid + test).

Runs on a copy of <mmrec>/src (a dataset yaml for the folder is added there; the checkout is not
touched). CPU-only patches, as in step_check.py: Tensor.cuda() is the identity; DualGNN's
result_embed parameter is dropped after construction (on the CPU the forward cannot assign to
it); np.float & co. are restored for NumPy >= 1.24; lmdb / torchvision (image pipeline, unused with feature files) are stubbed;
torch_geometric / torch_scatter come from ./shim when not installed. DualGNN's
user_graph_dict.npy is built like preprocessing/dualgnn-gen-u-u-matrix.py (co-occurrence counts
over the label-0 rows, top 200 per user) when absent.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import types

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def user_graph_dict(inter_file, out_file):
    import pandas as pd
    import torch
    df = pd.read_csv(inter_file, sep='\t')
    num_user = len(pd.unique(df['userID']))
    tr = df[df['x_label'] == 0][['userID', 'itemID']].drop_duplicates().to_numpy()
    n_items = int(df['itemID'].max()) + 1
    x = np.zeros((num_user, n_items), dtype=np.float32)
    x[tr[:, 0], tr[:, 1]] = 1.0
    g = torch.from_numpy(x @ x.T)
    g.fill_diagonal_(0)
    d = {}
    for i in range(num_user):
        n = int((g[i] > 0).sum())
        top = torch.topk(g[i], min(n, 200))
        d[i] = [top.indices.numpy().tolist(), top.values.numpy().tolist()]
    np.save(out_file, d, allow_pickle=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mmrec', required=True)
    ap.add_argument('--data-root', required=True)
    ap.add_argument('--dataset', required=True)
    ap.add_argument('--model', required=True)
    ap.add_argument('--seeds', default='999')
    ap.add_argument('--max-epochs', type=int, default=1000)
    ap.add_argument('--patience', type=int, default=20)
    ap.add_argument('--params', default='{}', help='MMRec config keys -> values (scalars)')
    ap.add_argument('--threads', type=int, default=1)
    args = ap.parse_args()

    data_root = os.path.abspath(args.data_root)
    ds_dir = os.path.join(data_root, args.dataset)
    for f in os.listdir(ds_dir):
        if f.endswith('.pt'):
            os.remove(os.path.join(ds_dir, f))  # LATTICE/MGCN kNN caches of an earlier feature file
    if args.model == 'DualGNN' and not os.path.exists(os.path.join(ds_dir, 'user_graph_dict.npy')):
        user_graph_dict(os.path.join(ds_dir, args.dataset + '.inter'), os.path.join(ds_dir, 'user_graph_dict.npy'))

    work = tempfile.mkdtemp(prefix='mmrec-peer-')
    shutil.copytree(os.path.join(args.mmrec, 'src'), os.path.join(work, 'src'))
    src = os.path.join(work, 'src')
    with open(os.path.join(src, 'configs', 'dataset', args.dataset + '.yaml'), 'w') as f:
        f.write('USER_ID_FIELD: userID\nITEM_ID_FIELD: itemID\nTIME_FIELD: timestamp\nfilter_out_cod_start_users: True\n'
                f"inter_file_name: '{args.dataset}.inter'\nvision_feature_file: 'image_feat.npy'\n"
                "text_feature_file: 'text_feat.npy'\nuser_graph_dict_file: 'user_graph_dict.npy'\nfield_separator: \"\\t\"\n")
    os.chdir(src)
    sys.path.insert(0, src)
    sys.path.append(os.path.join(HERE, 'shim'))
    sys.modules.setdefault('lmdb', types.ModuleType('lmdb'))
    du = types.ModuleType('utils.data_utils')
    for n in ['ImageResize', 'ImagePad', 'image_to_tensor', 'load_decompress_img_from_lmdb_value']:
        setattr(du, n, None)
    sys.modules['utils.data_utils'] = du

    for alias, t in (('float', float), ('int', int), ('bool', bool)):
        if alias not in np.__dict__:
            setattr(np, alias, t)  # MMRec's metrics use np.float, removed in NumPy 1.24
    import torch
    torch.set_num_threads(args.threads)
    torch.Tensor.cuda = lambda self, *a, **k: self
    from utils.configurator import Config
    from utils.dataset import RecDataset
    from utils.dataloader import TrainDataLoader, EvalDataLoader
    from utils.logger import init_logger
    from utils.utils import init_seed, get_model, get_trainer

    params = json.loads(args.params)
    config = Config(args.model, args.dataset, {'use_gpu': False, 'data_path': data_root + os.sep, 'epochs': args.max_epochs,
                                               'stopping_step': args.patience, 'hyper_parameters': ['seed'], 'seed': 0})
    for k, v in params.items():
        config[k] = v
    import yaml
    grid_keys = yaml.safe_load(open(os.path.join(src, 'configs', 'model', args.model + '.yaml'))).get('hyper_parameters', [])
    missing = [k for k in grid_keys if k != 'seed' and k not in params]
    if missing:
        raise SystemExit(f'--params must give one value for every grid key of {args.model}: missing {missing}')
    init_logger(config)
    dataset = RecDataset(config)
    train_dataset, valid_dataset, test_dataset = dataset.split()
    for d in (dataset, train_dataset, valid_dataset, test_dataset):
        str(d)  # as quick_start's logging does: __str__ sets inter_num, which the loaders read
    train_data = TrainDataLoader(config, train_dataset, batch_size=config['train_batch_size'], shuffle=True)
    valid_data = EvalDataLoader(config, valid_dataset, additional_dataset=train_dataset, batch_size=config['eval_batch_size'])
    test_data = EvalDataLoader(config, test_dataset, additional_dataset=train_dataset, batch_size=config['eval_batch_size'])

    Trainer = get_trainer()
    clock = {'train': 0.0, 'eval': 0.0, 'epochs': 0, 'first': float('nan'), 'perEpoch': [], 'evalPerEpoch': []}
    orig_train, orig_valid = Trainer._train_epoch, Trainer._valid_epoch

    def timed_train(self, *a, **k):
        t = time.perf_counter()
        total, batches = orig_train(self, *a, **k)
        clock['train'] += time.perf_counter() - t
        clock['perEpoch'].append(time.perf_counter() - t)
        if clock['epochs'] == 0 and not torch.is_tensor(total):
            clock['first'] = float(total) / max(1, len(batches))  # mean batch loss, as ours
        clock['epochs'] += 1
        return total, batches

    def timed_valid(self, *a, **k):
        t = time.perf_counter()
        try:
            return orig_valid(self, *a, **k)
        finally:
            clock['eval'] += time.perf_counter() - t
            clock['evalPerEpoch'].append(time.perf_counter() - t)

    Trainer._train_epoch, Trainer._valid_epoch = timed_train, timed_valid
    model_cls = get_model(config['model'])
    for seed in [int(s) for s in args.seeds.split(',')]:
        config['seed'] = seed
        init_seed(seed)
        train_data.pretrain_setup()
        model = model_cls(config, train_data).to(config['device'])
        if args.model == 'DualGNN' and 'result_embed' in model._parameters:
            del model._parameters['result_embed']
            model.result_embed = None
        n_params = int(sum(p.numel() for p in model.parameters()))
        trainer = Trainer(config, model, False)
        clock.update(train=0.0, eval=0.0, epochs=0, first=float('nan'), perEpoch=[], evalPerEpoch=[])
        _, best_valid, best_test = trainer.fit(train_data, valid_data=valid_data, test_data=test_data, saved=False, verbose=False)
        epochs = max(1, clock['epochs'])
        print(json.dumps({
            'side': 'reference', 'model': args.model, 'seed': seed, 'params': params, 'paramCount': n_params,
            'epochs': clock['epochs'], 'bestEpoch': clock['epochs'] - 1 - trainer.cur_step,
            'firstEpochLoss': clock['first'],
            'trainSecondsPerEpoch': clock['train'] / epochs, 'evalSecondsPerEpoch': clock['eval'] / epochs,
            'trainSecondsEachEpoch': clock['perEpoch'], 'evalSecondsEachEpoch': clock['evalPerEpoch'],
            'valid': {k: float(v) for k, v in (best_valid or {}).items()},
            'test': {k: float(v) for k, v in (best_test or {}).items()},
        }), flush=True)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
