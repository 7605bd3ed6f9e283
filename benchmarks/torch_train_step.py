"""One PyTorch training step (forward, backward, SGD update) per model and batch, for the side-by-side
comparison with Mithril's TrainStepBenchmark. Run single-threaded BLAS with two torch threads:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 /usr/bin/python3 benchmarks/torch_train_step.py

Prints one line per case: model, batch, median milliseconds per step over --runs timed steps after --warmup.
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def models():
    yield "Linear", 1024, lambda: nn.Linear(1024, 1024), "mse"
    yield "Mlp", 784, lambda: nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 512), nn.ReLU(),
                                            nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10)), "ce"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batches", type=int, nargs="+", default=[32, 128, 1024])
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for name, width, make, loss in models():
        for batch in args.batches:
            model = make()
            opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
            x = torch.randn(batch, width)
            y = torch.randn(batch, 1024) if loss == "mse" else torch.randint(0, 10, (batch,))

            def step():
                opt.zero_grad(set_to_none=False)
                out = model(x)
                l = F.mse_loss(out, y) if loss == "mse" else F.cross_entropy(out, y)
                l.backward()
                opt.step()

            for _ in range(args.warmup):
                step()
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                step()
                times.append((time.perf_counter() - t0) * 1e3)
            print(f"{name:8s} batch {batch:5d}  {statistics.median(times):9.3f} ms/step")


if __name__ == "__main__":
    main()
