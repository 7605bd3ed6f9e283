# PyTorch peer for `mithril bench --peers torch`: times the same dense workloads with the same protocol
# as Mithril's harness (untimed warm-up calls, then individually timed calls) and prints the samples.
# Usage: python3 torch_peer.py {linear|mlp} BATCH THREADS WARMUP RUNS [train]
# Output: "TORCH <version> threads=<n>" and "SAMPLES_NS <ns> <ns> ...", one timed forward call each; with `train`,
# one timed training step each (forward, loss: MSE for linear, cross-entropy for mlp, backward, SGD momentum 0.9).
import sys, time
import torch
import torch.nn as nn

model_name, batch, threads, warmup, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
train = len(sys.argv) > 6 and sys.argv[6] == 'train'
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

x = torch.rand(batch, width_in) * 2 - 1
samples = []
if train:
    import torch.nn.functional as F
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    y = torch.randn(batch, 1024) if model_name == 'linear' else torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad(set_to_none=False)
        out = model(x)
        loss = F.mse_loss(out, y) if model_name == 'linear' else F.cross_entropy(out, y)
        loss.backward()
        opt.step()

    for _ in range(warmup):
        step()
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        step()
        samples.append(time.perf_counter_ns() - t0)
    print('TORCH %s threads=%d' % (torch.__version__, torch.get_num_threads()))
    print('SAMPLES_NS ' + ' '.join(str(s) for s in samples))
    sys.exit(0)

model.eval()
with torch.inference_mode():
    for _ in range(warmup):
        model(x)
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        model(x)
        samples.append(time.perf_counter_ns() - t0)
print('TORCH %s threads=%d' % (torch.__version__, torch.get_num_threads()))
print('SAMPLES_NS ' + ' '.join(str(s) for s in samples))
