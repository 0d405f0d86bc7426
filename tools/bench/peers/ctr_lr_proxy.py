"""Logistic-regression reference for the CTR evaluation's headroom (tools/bench/ctr-proxy.ts).

Usage: ctr_lr_proxy.py GROUND_TRUTH_JSON CSV_DIR MAX_HISTORY
"""
import json
import sys

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

gt_file, csv_dir, max_history = sys.argv[1], sys.argv[2], int(sys.argv[3])
gt = json.load(open(gt_file))
n = max(it["itemId"] for it in gt["items"]) + 1
index = {key: {v: i for i, v in enumerate(gt[key])} for key in ("patterns", "categories", "styles")}
hue, pattern, style, category, log_price = (np.zeros(n, int), np.zeros(n, int), np.zeros(n, int), np.zeros(n, int), np.zeros(n))
for it in gt["items"]:
    i = it["itemId"]
    hue[i], pattern[i] = it["hueRegion"], index["patterns"][it["pattern"]]
    style[i], category[i], log_price[i] = index["styles"][it["style"]], index["categories"][it["category"]], np.log(it["price"])
oracle = pd.read_csv(f"{csv_dir}/oracle-clusters.csv")
group = np.full(n, -1)
group[oracle.item_id.values] = oracle.cluster_id.values
rows = pd.read_csv(f"{csv_dir}/ctr-samples.csv").merge(pd.read_csv(f"{csv_dir}/click-truth.csv"), on=["session_id", "item_id", "day"], how="left")
histories = [json.loads(h)[-max_history:] for h in rows.history_item_ids]
targets = rows.item_id.values


def share(attribute):
    """Share of the user's earlier clicks whose attribute equals the target's."""
    out = np.zeros(len(rows))
    for r, (h, t) in enumerate(zip(histories, targets)):
        if h:
            out[r] = np.mean(attribute[np.array(h)] == attribute[t])
    return out


def gauc(y, p, users):
    frame = pd.DataFrame({"y": y, "p": p, "u": users})
    num = den = 0.0
    for _, g in frame.groupby("u"):
        if g.y.nunique() == 2:
            num += roc_auc_score(g.y, g.p) * len(g)
            den += len(g)
    return num / den


no_look = np.column_stack([
    np.log1p(rows.position.values), log_price[targets], np.eye(len(gt["categories"]))[category[targets]],
    share(style), share(category), np.array([len(h) for h in histories]) / max_history,
])
look = {"group": share(group), "hue": share(hue), "pattern": share(pattern)}
train = (rows.split == "train").values
test = ~train
y, users = rows.label.values, rows.user_id.values
lengths = np.array([len(h) for h in histories])
print(f"rows: train {train.sum()}, evaluation {test.sum()}; history length mean {lengths.mean():.1f} (at most {max_history})")
bayes = (roc_auc_score(y[test], rows.p_click.values[test]), gauc(y[test], rows.p_click.values[test], users[test]))
no_look_bayes = (roc_auc_score(y[test], rows.p_click_no_look.values[test]), gauc(y[test], rows.p_click_no_look.values[test], users[test]))
headroom = (bayes[0] - no_look_bayes[0], bayes[1] - no_look_bayes[1])
print(f"Bayes AUC {bayes[0]:.4f} GAUC {bayes[1]:.4f}; without the look {no_look_bayes[0]:.4f} / {no_look_bayes[1]:.4f}")
base = None
for name, extra in [("no look", []), ("+ exact group share", ["group"]), ("+ hue and pattern shares", ["hue", "pattern"])]:
    X = np.column_stack([no_look] + [look[e] for e in extra])
    p = LogisticRegression(max_iter=2000).fit(X[train], y[train]).predict_proba(X[test])[:, 1]
    auc, g = roc_auc_score(y[test], p), gauc(y[test], p, users[test])
    if base is None:
        base = (auc, g)
        print(f"{name:28s} AUC {auc:.4f} GAUC {g:.4f}")
    else:
        print(f"{name:28s} AUC {auc:.4f} GAUC {g:.4f}  headroom share {(auc - base[0]) / headroom[0]:.0%} / {(g - base[1]) / headroom[1]:.0%}")
