"""PyTorch peer of AttentionLayers: nanoGPT's manual causal attention, forward and backward, on CPU.

PyTorch 1.13 has no scaled_dot_product_attention, so this is the code nanoGPT runs there:
q @ k^T * scale, masked_fill with -inf above the diagonal, softmax, @ v, reading q, k, v from the
fused c_attn output [B, T, 3C]. Forward is timed under no_grad (inference); backward is the
autograd backward alone, after an untimed forward that records the graph.

Run as: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 /usr/bin/python3 \
        benchmarks/torch_attention.py B T HEADS C WARMUP RUNS
Prints one line: "TORCH fwd_ms=<median> bwd_ms=<median> fwd_min_ms=<min> bwd_min_ms=<min>".
"""
import math
import statistics
import sys
import time

import torch


def attention(qkv, heads):
    b, t, c3 = qkv.shape
    c = c3 // 3
    q, k, v = qkv.split(c, dim=2)
    q = q.view(b, t, heads, c // heads).transpose(1, 2)
    k = k.view(b, t, heads, c // heads).transpose(1, 2)
    v = v.view(b, t, heads, c // heads).transpose(1, 2)
    att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
    mask = torch.tril(torch.ones(t, t, dtype=torch.bool)).view(1, 1, t, t)
    att = att.masked_fill(~mask, float('-inf'))
    att = torch.softmax(att, dim=-1)
    y = att @ v
    return y.transpose(1, 2).contiguous().view(b, t, c)


def timed_ms(fn, warmup, runs):
    """Median and minimum of runs calls after warmup calls, in milliseconds."""
    for _ in range(warmup):
        fn()
    samples = [fn() for _ in range(runs)]
    return statistics.median(samples) * 1e3, min(samples) * 1e3


def main():
    b, t, heads, c, warmup, runs = (int(a) for a in sys.argv[1:7])
    torch.set_num_threads(2)
    torch.manual_seed(0)
    qkv = torch.randn(b, t, 3 * c)
    dout = torch.randn(b, t, c)

    def forward():
        with torch.no_grad():
            start = time.perf_counter()
            attention(qkv, heads)
            return time.perf_counter() - start

    leaf = qkv.clone().requires_grad_(True)

    def backward():
        leaf.grad = None
        y = attention(leaf, heads)
        start = time.perf_counter()
        y.backward(dout)
        return time.perf_counter() - start

    fwd, fwd_min = timed_ms(forward, warmup, runs)
    bwd, bwd_min = timed_ms(backward, warmup, runs)
    print(f"TORCH fwd_ms={fwd:.4f} bwd_ms={bwd:.4f} fwd_min_ms={fwd_min:.4f} bwd_min_ms={bwd_min:.4f}")


if __name__ == '__main__':
    main()
