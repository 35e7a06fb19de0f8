#!/usr/bin/python3
"""The PyTorch side of bench/dense.ts: the segnet extractor (src/model/segnet.ts) on the same shapes, doing
the same computations, timed the same way, printed as one JSON object. PyTorch is a measuring stick only.

  /usr/bin/python3 bench/dense.py [--threads N] [--quick]

  step    batch 8 of 64x64x1 inputs, 2 per-pixel tasks: segmentation (21 classes, cross-entropy averaged
          over pixels) and depth (1 output, L1), as fsmtl's trainer runs MTL on shared inputs: one forward
          pass for both heads, the extractor's gradient that of the summed losses over T, Adam (lr 1e-3)
          on every parameter, losses read back.
  fisher  one estimate for one task (segmentation: each pixel's predicted class; depth_fisher: a per-pixel
          Laplace likelihood with the true depth, log p = -sum|out - y|): per-example squared gradients of
          every shared parameter on the same 8 examples. Two forms are timed, fsmtl's (one backward pass
          to the pre-activations, then each example's filter gradient) and functorch's vmap(grad); the
          faster counts.
"""
import argparse
import json
import math
import os
import statistics
import time

import torch
import torch.nn.functional as F

WIDTHS = (16, 32, 64)
CLASSES = 21
SHAPE = (1, 64, 64)  # C, H, W (--shape HxWxC)
BATCH = 8


def median_ms(fn, steps, warmup):
    """Median wall-clock and process CPU (every thread) milliseconds per call."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(steps):
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn()
        wall.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    return statistics.median(wall), statistics.median(cpu)


def he_uniform(fan_in, shape, gen):
    limit = math.sqrt(6 / fan_in)
    return ((torch.rand(shape, generator=gen) * 2 - 1) * limit).requires_grad_()


class Segnet:
    """enc0..enc2, mid, dec2..dec0: conv3x3 'same' + ReLU; 2x2 max-pools down, nearest upsampling + additive skips up."""

    def __init__(self, cin, gen):
        w0, w1, w2 = WIDTHS
        self.io = [(cin, w0), (w0, w1), (w1, w2), (w2, w2), (w2, w1), (w1, w0), (w0, w0)]
        self.shared = []
        for i, o in self.io:
            self.shared += [he_uniform(9 * i, (o, i, 3, 3), gen), torch.zeros(o, requires_grad=True)]
        self.heads = []
        for c in (CLASSES, 1):
            limit = math.sqrt(6 / (w0 + c))
            self.heads.append((((torch.rand((c, w0, 1, 1), generator=gen) * 2 - 1) * limit).requires_grad_(), torch.zeros(c, requires_grad=True)))

    def params(self):
        return self.shared + [p for h in self.heads for p in h]

    def features(self, x, w, taps=None):
        def block(i, a):
            z = F.conv2d(a, w[2 * i], w[2 * i + 1], padding=1)
            if taps is not None:
                z.retain_grad()
                taps.append((a, z, i))
            return F.relu(z)

        e0 = block(0, x)
        e1 = block(1, F.max_pool2d(e0, 2))
        e2 = block(2, F.max_pool2d(e1, 2))
        m = block(3, F.max_pool2d(e2, 2))
        d2 = block(4, F.interpolate(m, size=e2.shape[2:], mode="nearest") + e2)
        d1 = block(5, F.interpolate(d2, size=e1.shape[2:], mode="nearest") + e1)
        return block(6, F.interpolate(d1, size=e0.shape[2:], mode="nearest") + e0)

    def out(self, t, x, w, taps=None):
        k, b = self.heads[t]
        return F.conv2d(self.features(x, w, taps), k, b)


def seg_loss(out, y):
    return F.cross_entropy(out, y)


def depth_loss(out, y):
    return (out[:, 0] - y).abs().mean()


def data(gen):
    x = torch.rand((BATCH,) + SHAPE, generator=gen)
    seg = torch.randint(0, CLASSES, (BATCH,) + SHAPE[1:], generator=gen)
    depth = torch.rand((BATCH,) + SHAPE[1:], generator=gen)
    return x, [seg, depth]


def step_fn(gen):
    model = Segnet(SHAPE[0], gen)
    x, labels = data(gen)
    opt = torch.optim.Adam(model.params(), lr=1e-3)
    losses_fn = [seg_loss, depth_loss]

    def step():
        opt.zero_grad(set_to_none=True)
        feats = model.features(x, model.shared)
        losses = [losses_fn[t](F.conv2d(feats, *model.heads[t]), labels[t]) for t in range(2)]
        sum(losses).backward()
        with torch.no_grad():
            for p in model.shared:  # EW: the mean of the tasks' gradients
                p.grad.div_(2)
        opt.step()
        torch.stack([l.detach() for l in losses]).tolist()

    return step


def log_lik(t, out, y):
    """Sum over the batch and pixels of the likelihood term fsmtl's bench uses."""
    if t == 0:
        lp = F.log_softmax(out, dim=1)
        return lp.gather(1, lp.argmax(1, keepdim=True)).sum()
    return -(out[:, 0] - y).abs().sum()


def fisher_taps(model, t, x, y):
    taps = []
    log_lik(t, model.out(t, x, model.shared, taps), y).backward(inputs=[z for _, z, _ in taps])
    n = x.shape[0]
    out = []
    with torch.no_grad():
        for a, z, i in taps:
            w = model.shared[2 * i]
            g = sum(torch.nn.grad.conv2d_weight(a[j:j + 1], w.shape, z.grad[j:j + 1], padding=1).square() for j in range(n))
            out.append(g / n)
            out.append(z.grad.sum((2, 3)).square().mean(0))
    return out


def fisher_vmap(model, t, x, y):
    from functorch import grad, vmap

    w = [p.detach() for p in model.shared]

    def ll(ws, xi, yi):
        return log_lik(t, model.out(t, xi.unsqueeze(0), ws), yi.unsqueeze(0))

    g = vmap(grad(ll), in_dims=(None, 0, 0))(w, x, y)
    return [gi.square().mean(0) for gi in g]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--shape", default="64x64x1")
    ap.add_argument("--batch", type=int, default=8)
    args = ap.parse_args()
    global SHAPE, BATCH
    h, w, c = (int(v) for v in args.shape.split("x"))
    SHAPE, BATCH = (c, h, w), args.batch
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    steps, warm = (3, 2) if args.quick else (10, 2)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    out["step_ms"], out["step_cpu_ms"] = median_ms(step_fn(gen), steps, warm)
    model = Segnet(SHAPE[0], gen)
    x, labels = data(gen)
    for t, key in ((0, "fisher"), (1, "depth_fisher")):
        y = labels[t]
        forms = {"taps": lambda: fisher_taps(model, t, x, y)}
        try:
            ref = fisher_vmap(model, t, x, y)
            forms["vmap"] = lambda: fisher_vmap(model, t, x, y)
            # Both forms must agree before either is timed.
            a = forms["taps"]()
            out[key + "_forms_agree_rel"] = max(float((p - q).abs().max() / q.abs().max().clamp_min(1e-30)) for p, q in zip(a, ref))
        except Exception as e:  # functorch missing or an op without a batching rule
            out["vmap_skipped"] = str(e).split("\n")[0][:120]
        timed = {k: median_ms(f, steps, warm) for k, f in forms.items()}
        out[key + "_forms_ms"] = {k: v[0] for k, v in timed.items()}
        best = min(timed, key=lambda k: timed[k][0])
        out[key + "_form"] = best
        out[key + "_ms"], out[key + "_cpu_ms"] = timed[best]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
