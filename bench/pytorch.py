#!/usr/bin/python3
"""The PyTorch side of `npm run bench` (bench/native.ts runs it): the same computations as fsmtl, on the
same shapes, timed the same way, printed as one JSON object. PyTorch is a measuring stick only.

  /usr/bin/python3 bench/pytorch.py [--threads N] [--quick]

Mirrors (see the fsmtl sources named):
  mlp_step    src/train/trainer.ts trainStep, MTL: 3 tasks, shared 784-512-512 (ReLU), linear 10-way heads,
              batch 256 per task gathered from the task's training set, softmax cross-entropy (mean), the
              shared gradient is the mean of the tasks' gradients (EW), Adam (lr 1e-3) on every parameter.
  lenet_step  the same with the LeNet extractor (src/model/extractor.ts), batch 128 per task.
  fisher      src/sparse/fisher.ts, label 'predicted', N = 256, the MLP: per-example squared gradients in
              batched form. Two forms are timed, the per-example-gradient identity fsmtl uses
              ((A∘A)ᵀ(Δ∘Δ)) and functorch's vmap(grad); the faster one is reported.
  fs_epoch    one FS epoch on hetero3-sized data (3 × 8000 examples, batch 128, p = 0.3): a Fisher
              estimate per task, global top-K masks, then the epoch's 63 masked steps (Eqs. 3-4: forward
              with S_t ⊙ θ, gradient masked by S_t, mean over tasks, Adam, updates masked by the union).
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

TASKS = 3
CLASSES = 10


def median_ms(fn, steps, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def he_uniform(fan_in, shape, gen):
    limit = math.sqrt(6 / fan_in)
    return ((torch.rand(shape, generator=gen) * 2 - 1) * limit).requires_grad_()


class MultiTask:
    """Shared extractor parameters θ (a list of tensors), one linear head per task."""

    def __init__(self, arch, gen):
        self.arch = arch
        if arch == "mlp":
            shapes = [(784, 512), (512,), (512, 512), (512,)]
            self.feature = 512
        else:
            # NCHW / OIHW: PyTorch's own layout.
            shapes = [(6, 1, 5, 5), (6,), (16, 6, 5, 5), (16,), (256, 120), (120,), (120, 84), (84,)]
            self.feature = 84
        self.shared = []
        for s in shapes:
            if len(s) == 1:
                self.shared.append(torch.zeros(s, requires_grad=True))
            else:
                fan_in = s[0] if len(s) == 2 else s[1] * s[2] * s[3]
                self.shared.append(he_uniform(fan_in, s, gen))
        self.heads = []
        for _ in range(TASKS):
            limit = math.sqrt(6 / (self.feature + CLASSES))
            self.heads.append([((torch.rand((self.feature, CLASSES), generator=gen) * 2 - 1) * limit).requires_grad_(),
                               torch.zeros(CLASSES, requires_grad=True)])

    def params(self):
        return self.shared + [p for h in self.heads for p in h]

    def features(self, x, w, taps=None):
        """taps: list to receive (layer input, pre-activation) of each dense layer (for the Fisher)."""
        if self.arch == "mlp":
            a = x.reshape(x.shape[0], -1)
            for i in range(0, len(w), 2):
                z = a @ w[i] + w[i + 1]
                if taps is not None:
                    z.retain_grad()
                    taps.append((a, z))
                a = F.relu(z)
            return a
        h = F.max_pool2d(F.relu(F.conv2d(x, w[0], w[1])), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, w[2], w[3])), 2)
        a = h.reshape(h.shape[0], -1)
        a = F.relu(a @ w[4] + w[5])
        return F.relu(a @ w[6] + w[7])

    def logits(self, t, x, w):
        k, b = self.heads[t]
        return self.features(x, w) @ k + b


def make_data(arch, n, gen):
    shape = (n, 784) if arch == "mlp" else (n, 1, 28, 28)
    return [(torch.rand(shape, generator=gen), torch.randint(0, CLASSES, (n,), generator=gen)) for _ in range(TASKS)]


def mtl_step_fn(arch, batch, gen):
    model = MultiTask(arch, gen)
    data = make_data(arch, 8000, gen)
    opt = torch.optim.Adam(model.params(), lr=1e-3)
    perm = [torch.randperm(8000, generator=gen) for _ in range(TASKS)]
    state = {"s": 0}

    def step():
        s = state["s"]
        state["s"] = (s + 1) % (8000 // batch)
        opt.zero_grad(set_to_none=True)
        total = 0
        losses = []
        for t in range(TASKS):
            idx = perm[t][s * batch:(s + 1) * batch]
            x, y = data[t][0][idx], data[t][1][idx]
            loss = F.cross_entropy(model.logits(t, x, model.shared), y)
            losses.append(loss)
            total = total + loss
        total.backward()
        with torch.no_grad():
            for p in model.shared:  # EW: the mean of the tasks' gradients
                p.grad.div_(TASKS)
        opt.step()
        torch.stack([l.detach() for l in losses]).tolist()  # fsmtl reads the losses back every step

    return step


def fisher_identity(model, t, x):
    """Per-example squared gradients of log p(argmax) via (A∘A)ᵀ(Δ∘Δ) (the form fsmtl uses)."""
    taps = []
    k, b = model.heads[t]
    lp = F.log_softmax(model.features(x, model.shared, taps) @ k + b, dim=1)
    target = F.one_hot(lp.argmax(1), CLASSES).to(lp.dtype)
    (lp * target).sum().backward(inputs=[z for _, z in taps])
    out = []
    n = x.shape[0]
    with torch.no_grad():
        for a, z in taps:
            d2 = z.grad.square()
            out.append((a.square().t() @ d2) / n)
            out.append(d2.sum(0) / n)
    return out


def fisher_vmap(model, t, x):
    from functorch import grad, vmap

    k, b = model.heads[t]
    w = [p.detach() for p in model.shared]

    def logp(ws, xi):
        feats = model.features(xi.unsqueeze(0), ws)
        lp = F.log_softmax(feats @ k.detach() + b.detach(), dim=1)[0]
        return (lp * (torch.arange(CLASSES) == lp.argmax()).to(lp.dtype)).sum()

    g = vmap(grad(logp), in_dims=(None, 0))(w, x)
    return [gi.square().mean(0) for gi in g]


def fs_epoch_fn(gen, keep=0.3, batch=128, n_train=8000, samples=256):
    model = MultiTask("mlp", gen)
    data = make_data("mlp", n_train, gen)
    params = model.params()
    m = [torch.zeros_like(p) for p in params]
    v = [torch.zeros_like(p) for p in params]
    count = {"c": 0}
    steps = math.ceil(n_train / batch)
    ns = len(model.shared)

    def epoch():
        # Algorithm 2: Fisher of each task on N examples, global top-K over the shared parameters.
        masks = []
        for t in range(TASKS):
            idx = torch.randperm(n_train, generator=gen)[:samples]
            scores = fisher_identity(model, t, data[t][0][idx])
            flat = torch.cat([s.reshape(-1) for s in scores])
            kept = round(keep * flat.numel())
            mask = torch.zeros_like(flat)
            mask[torch.topk(flat, kept, sorted=False).indices] = 1
            parts, o = [], 0
            for p in model.shared:
                parts.append(mask[o:o + p.numel()].reshape(p.shape))
                o += p.numel()
            masks.append(parts)
        union = [torch.clamp(sum(ms[i] for ms in masks), max=1) for i in range(ns)]
        perm = [torch.randperm(n_train, generator=gen) for _ in range(TASKS)]
        for s in range(steps):
            shared_grad = [torch.zeros_like(p) for p in model.shared]
            head_grads = []
            losses = []
            for t in range(TASKS):
                idx = perm[t][(torch.arange(batch) + s * batch) % n_train]
                x, y = data[t][0][idx], data[t][1][idx]
                eff = [(p.detach() * mk).requires_grad_() for p, mk in zip(model.shared, masks[t])]
                k, b = model.heads[t]
                loss = F.cross_entropy(model.features(x, eff) @ k + b, y)
                gk = torch.autograd.grad(loss, eff + [k, b])
                for i in range(ns):
                    shared_grad[i].add_(gk[i] * masks[t][i])
                head_grads += [gk[ns], gk[ns + 1]]
                losses.append(loss.detach())
            grads = [g / TASKS for g in shared_grad] + head_grads
            count["c"] += 1
            c = count["c"]
            step_size = 1e-3 * math.sqrt(1 - 0.999 ** c) / (1 - 0.9 ** c)
            with torch.no_grad():
                for i, (p, g) in enumerate(zip(params, grads)):
                    m[i].mul_(0.9).add_(g, alpha=0.1)
                    v[i].mul_(0.999).addcmul_(g, g, value=0.001)
                    upd = m[i] / (v[i].sqrt() + 1e-8) * -step_size
                    if i < ns:
                        upd.mul_(union[i])
                    p.add_(upd)
            torch.stack(losses).tolist()

    return epoch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (for tests)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    steps, warm = (3, 1) if args.quick else (20, 3)
    out = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
    }
    out["mlp_step_ms"] = median_ms(mtl_step_fn("mlp", 256, gen), steps, warm)
    out["lenet_step_ms"] = median_ms(mtl_step_fn("lenet", 128, gen), steps, warm)
    model = MultiTask("mlp", gen)
    x = make_data("mlp", 8000, gen)[0][0]
    fisher = {}

    def gathered(fn):
        def run():
            idx = torch.randperm(8000, generator=gen)[:256]
            for p in model.params():
                p.grad = None
            fn(model, 0, x[idx])
        return run

    fisher["identity"] = median_ms(gathered(fisher_identity), steps, warm)
    try:
        fisher["vmap"] = median_ms(gathered(fisher_vmap), steps, warm)
    except Exception as e:  # functorch missing or unsupported: the identity form still counts
        fisher["vmap_error"] = str(e).splitlines()[0]
    out["fisher_forms_ms"] = fisher
    out["fisher_ms"] = min(v for k, v in fisher.items() if not k.endswith("error"))
    out["fs_epoch_ms"] = median_ms(fs_epoch_fn(gen), 1 if args.quick else 3, 1)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
