"""sklearn KMeans on a raw float32 matrix written by tools/bench/clustering-peers.ts.

usage: python3 sklearn_kmeans.py FILE N D K INIT MAX_ITER SEED
Prints one JSON line: fitSeconds (wall), fitCpuSeconds (user + sys of this process), inertia (mean squared distance to the nearest final centre,
the same definition as ours), iterations, peakRssMB (this process), versions. Thread count:
OMP_NUM_THREADS / OPENBLAS_NUM_THREADS from the environment (the caller sets them).
"""
import json
import resource
import sys
import time

import numpy as np
from sklearn import __version__ as skv
from sklearn.cluster import KMeans


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    path, n, d, k, init, max_iter, seed = sys.argv[1:8]
    n, d, k, max_iter, seed = int(n), int(d), int(k), int(max_iter), int(seed)
    x = np.fromfile(path, dtype=np.float32, count=n * d).reshape(n, d)
    km = KMeans(n_clusters=k, init=init, n_init=1, max_iter=max_iter, tol=0.0, algorithm="lloyd", random_state=seed)
    t0 = time.perf_counter()
    c0 = cpu_seconds()
    km.fit(x)
    fit = time.perf_counter() - t0
    fit_cpu = cpu_seconds() - c0
    # inertia_ is w.r.t. the labels of the last E-step; recompute against the final centres.
    t1 = time.perf_counter()
    labels = km.predict(x)
    c = km.cluster_centers_.astype(np.float64)
    diff = x.astype(np.float64) - c[labels]
    inertia = float(np.einsum("ij,ij->i", diff, diff).mean())
    predict = time.perf_counter() - t1
    print(json.dumps({
        "fitSeconds": fit,
        "fitCpuSeconds": fit_cpu,
        "predictSeconds": predict,
        "inertia": inertia,
        "sklearnInertia": float(km.inertia_) / n,
        "iterations": int(km.n_iter_),
        "peakRssMB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "sklearn": skv,
        "numpy": np.__version__,
    }))


if __name__ == "__main__":
    main()
