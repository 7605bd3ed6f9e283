"""PyTorch's side of ConvLayers: ResNet-18's convolution layers, forward and both gradients, timed alike.

Usage (ConvLayers runs it as a subprocess; by hand):
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 /usr/bin/python3 \
      benchmarks/torch_conv_layers.py BATCH WARMUP RUNS [THREADS [LAYER,LAYER...]]

Prints one line per layer and direction: "LAYER <name> <direction> <median ms>", in the order of
LAYERS below (the same table as ConvLayers.java). Backward uses aten's convolution_backward, the op
autograd itself calls, asking for only the gradient being timed.
"""
import statistics
import sys
import time

import torch

# name, in channels, out channels, kernel, stride, padding, input size (square)
LAYERS = [
    ("conv1_7x7s2_3-64_224", 3, 64, 7, 2, 3, 224),
    ("layer1_3x3_64-64_56", 64, 64, 3, 1, 1, 56),
    ("layer2_3x3s2_64-128_56", 64, 128, 3, 2, 1, 56),
    ("layer2_3x3_128-128_28", 128, 128, 3, 1, 1, 28),
    ("layer2_1x1s2_64-128_56", 64, 128, 1, 2, 0, 56),
    ("layer3_3x3s2_128-256_28", 128, 256, 3, 2, 1, 28),
    ("layer3_3x3_256-256_14", 256, 256, 3, 1, 1, 14),
    ("layer3_1x1s2_128-256_28", 128, 256, 1, 2, 0, 28),
    ("layer4_3x3s2_256-512_14", 256, 512, 3, 2, 1, 14),
    ("layer4_3x3_512-512_7", 512, 512, 3, 1, 1, 7),
    ("layer4_1x1s2_256-512_14", 256, 512, 1, 2, 0, 14),
]
DIRECTIONS = ["forward", "grad_input", "grad_weight"]


def median_ms(fn, warmup, runs):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - t0)
    return statistics.median(samples) / 1e6


def main():
    batch, warmup, runs = (int(a) for a in sys.argv[1:4])
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    only = set(sys.argv[5].split(",")) if len(sys.argv) > 5 else None
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    print(f"TORCH {torch.__version__} threads={torch.get_num_threads()}", flush=True)
    with torch.no_grad():
        for name, cin, cout, k, s, p, size in LAYERS:
            if only is not None and name not in only:
                continue
            x = torch.randn(batch, cin, size, size)
            w = torch.randn(cout, cin, k, k)
            y = torch.nn.functional.conv2d(x, w, None, s, p)
            gy = torch.randn_like(y)

            def backward(mask):
                return torch.ops.aten.convolution_backward(gy, x, w, None, [s, s], [p, p], [1, 1], False, [0, 0], 1, mask)

            fns = {
                "forward": lambda: torch.nn.functional.conv2d(x, w, None, s, p),
                "grad_input": lambda: backward([True, False, False]),
                "grad_weight": lambda: backward([False, True, False]),
            }
            for d in DIRECTIONS:
                print(f"LAYER {name} {d} {median_ms(fns[d], warmup, runs):.4f}", flush=True)


if __name__ == "__main__":
    main()
