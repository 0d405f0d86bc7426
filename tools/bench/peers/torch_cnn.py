"""PyTorch CPU peer of the COURIER cnn backbone (tools/bench/conv-peers.ts).

usage: python3 torch_cnn.py BATCH IMAGE_SIZE CHANNELS(16,32,64) DIM STEPS THREADS [ROUNDS]
Same architecture as libs/courier's `cnn` backbone (stride-2 3x3 convolutions with bias + ReLU,
global average pool, linear head to DIM), inputs in memory, loss = mean of squared embeddings;
one step = forward + backward (no optimiser). Prints one JSON line: imagesPerSecond, the time
of each phase, peakRssMB, versions.
"""
import json
import resource
import sys
import time

import torch


def main() -> None:
    batch, size, channels, dim, steps, threads = sys.argv[1:7]
    rounds = int(sys.argv[7]) if len(sys.argv) > 7 else 3
    batch, size, dim, steps, threads = int(batch), int(size), int(dim), int(steps), int(threads)
    chans = [int(c) for c in channels.split(",")]
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    layers = []
    cin = 3
    for c in chans:
        layers += [torch.nn.Conv2d(cin, c, 3, stride=2, padding=1), torch.nn.ReLU()]
        cin = c
    convs = torch.nn.Sequential(*layers)
    head = torch.nn.Linear(cin, dim, bias=False)
    x = torch.rand(batch, 3, size, size) * 2 - 1

    def step() -> float:
        h = convs(x)
        e = head(h.mean(dim=(2, 3)))
        loss = (e * e).mean()
        convs.zero_grad(set_to_none=True)
        head.zero_grad(set_to_none=True)
        loss.backward()
        return float(loss)

    for _ in range(3):
        step()
    # fastest of `rounds` rounds of `steps` steps (other processes only add time)
    dt = fwd = cpu = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        c0 = time.process_time()  # CPU seconds of every thread of this process
        for _ in range(steps):
            step()
        dt = min(dt, (time.perf_counter() - t0) / steps)
        cpu = min(cpu, (time.process_time() - c0) / steps)
        with torch.no_grad():
            t1 = time.perf_counter()
            for _ in range(steps):
                head(convs(x).mean(dim=(2, 3)))
            fwd = min(fwd, (time.perf_counter() - t1) / steps)
    print(json.dumps({
        "imagesPerSecond": batch / dt,
        "stepSeconds": dt,
        "cpuSecondsPerStep": cpu,
        "forwardSeconds": fwd,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "mkldnn": torch.backends.mkldnn.is_available(),
        "peakRssMB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }))


if __name__ == "__main__":
    main()
