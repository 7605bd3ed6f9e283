# PyTorch peer for `mithril bench --peers torch`: times the same workloads with the same protocol
# as Mithril's harness (Timing.measure: untimed warm-up calls, then timed samples) and prints the samples.
# Usage: python3 torch_peer.py {linear|mlp|resnet18|resnet50|transformer} BATCH THREADS WARMUP RUNS [train]
#            [min_sample_ns=N]
# Output: "TORCH <version> threads=<n>", "CALLS_PER_SAMPLE <c>" and "SAMPLES_NS <ns> <ns> ...", each sample the mean
# time per call of c consecutive forward calls; with `train`, of training steps (forward, loss: MSE for linear,
# cross-entropy against random labels for the others, per position for the transformer, backward, SGD momentum 0.9).
# With min_sample_ns=N (default 0: one call per sample), c is the smallest power of two of calls (at most 65536)
# that lasted N ns in an untimed trial after the warm-up, doubling from one, as in Timing.measure.
# resnet18, resnet50 and transformer are the reference modules of the model zoo (reference_models.py, found in
# the directory MITHRIL_REFERENCE_DIR names), the same architectures Mithril compiles; torchvision is not needed.
import os, sys, time
import torch
import torch.nn as nn

model_name, batch, threads, warmup, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
extra = sys.argv[6:]
train = 'train' in extra
min_sample_ns = 0
for arg in extra:
    if arg.startswith('min_sample_ns='):
        min_sample_ns = int(arg[len('min_sample_ns='):])
    elif arg != 'train':
        sys.exit('torch_peer.py: unknown argument %r (train or min_sample_ns=N)' % arg)
torch.set_num_threads(threads)
torch.manual_seed(0)

if model_name == 'linear':
    model, width_in = nn.Linear(1024, 1024), 1024
elif model_name == 'mlp':
    model = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 512), nn.ReLU(),
                          nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
    width_in = 784
elif model_name in ('resnet18', 'resnet50', 'transformer'):
    ref_dir = os.environ.get('MITHRIL_REFERENCE_DIR', '')
    ref_file = os.path.join(ref_dir, 'reference_models.py')
    if not os.path.isfile(ref_file):
        sys.exit('torch_peer.py: %s needs reference_models.py; MITHRIL_REFERENCE_DIR=%r has none' % (model_name, ref_dir))
    import importlib.util
    spec = importlib.util.spec_from_file_location('reference_models', ref_file)
    reference_models = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference_models)
    if model_name == 'transformer':
        # as Workload.GPT and Workload.SEQUENCE: 6 layers, 8 heads, width 512, vocabulary 50257, block 1024, T = 128
        model = reference_models.build('gpt', dict(vocab_size=50257, block_size=1024, n_layer=6, n_head=8, d_model=512))
    else:
        model = reference_models.build('resnet', dict(depth=int(model_name[6:]), num_classes=1000, width=64))
else:
    sys.exit('torch_peer.py: unknown model %r (linear, mlp, resnet18, resnet50 or transformer)' % model_name)

if model_name == 'transformer':
    x = torch.randint(0, 50257, (batch, 128))
elif model_name.startswith('resnet'):
    x = torch.rand(batch, 3, 224, 224) * 2 - 1
else:
    x = torch.rand(batch, width_in) * 2 - 1


def timed(fn):
    """Warm-up calls, the group size, then the samples: the protocol of Timing.measure."""
    for _ in range(warmup):
        fn()
    calls = 1
    while min_sample_ns > 0 and calls < 65536:
        t0 = time.perf_counter_ns()
        for _ in range(calls):
            fn()
        if time.perf_counter_ns() - t0 >= min_sample_ns:
            break
        calls *= 2
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        for _ in range(calls):
            fn()
        samples.append(round((time.perf_counter_ns() - t0) / calls))
    print('TORCH %s threads=%d' % (torch.__version__, torch.get_num_threads()))
    print('CALLS_PER_SAMPLE %d' % calls)
    print('SAMPLES_NS ' + ' '.join(str(s) for s in samples))


if train:
    import torch.nn.functional as F
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    if model_name == 'linear':
        y = torch.randn(batch, 1024)
    elif model_name == 'transformer':
        y = torch.randint(0, 50257, (batch, 128))
    else:
        y = torch.randint(0, 1000 if model_name.startswith('resnet') else 10, (batch,))

    model.train()

    def step():
        opt.zero_grad(set_to_none=False)
        out = model(x)
        if model_name == 'linear':
            loss = F.mse_loss(out, y)
        else:
            loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))
        loss.backward()
        opt.step()

    timed(step)
    sys.exit(0)

model.eval()
with torch.inference_mode():
    timed(lambda: model(x))
