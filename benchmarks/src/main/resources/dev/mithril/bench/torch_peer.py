# PyTorch peer for `mithril bench --peers torch`: times the same dense workloads with the same protocol
# as Mithril's harness (untimed warm-up calls, then individually timed calls) and prints the samples.
# Usage: python3 torch_peer.py {linear|mlp} BATCH THREADS WARMUP RUNS
# Output: "TORCH <version> threads=<n>" and "SAMPLES_NS <ns> <ns> ...", one timed forward call each.
import sys, time
import torch
import torch.nn as nn

model_name, batch, threads, warmup, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
torch.manual_seed(0)

if model_name == 'linear':
    model, width_in = nn.Linear(1024, 1024), 1024
elif model_name == 'mlp':
    model = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 512), nn.ReLU(),
                          nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
    width_in = 784
else:
    sys.exit('torch_peer.py: unknown model %r (linear or mlp)' % model_name)

model.eval()
x = torch.rand(batch, width_in) * 2 - 1
samples = []
with torch.inference_mode():
    for _ in range(warmup):
        model(x)
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        model(x)
        samples.append(time.perf_counter_ns() - t0)
print('TORCH %s threads=%d' % (torch.__version__, torch.get_num_threads()))
print('SAMPLES_NS ' + ' '.join(str(s) for s in samples))
