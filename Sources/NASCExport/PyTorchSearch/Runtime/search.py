"""Runs the search of supernet.json (DARTS, PC-DARTS or GDAS, as `nasc search` would) with PyTorch,
on one process or data-parallel under torchrun, and writes an arch document `nasc train` accepts.

    torchrun --nproc_per_node 2 search.py [--epochs N] [--init-from CHECKPOINT] [--out DIR]
    python3 search.py --check-first-step      # the loss of nasc's first step, from first_step.safetensors

Each of W processes takes every W-th image of each split and batches of batch_size / W, so one
step sees batch_size images, as in nasc; gradients are averaged over the processes (all-reduce,
gloo on CPU, NCCL on GPUs) before each optimizer step. The hyperparameters are the space's resolved
ones from supernet.json. Data: data.safetensors (the training images as nasc normalised them, split
into the weights' and the architecture's part by train_portion, as nasc splits them).
"""
import argparse
import json
import math
import os
import shutil
import sys

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nasc_supernet import Supernet, derive, load_nasc_checkpoint, plan, read_safetensors  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("--epochs", type=int, help="default: the space's")
ap.add_argument("--init-from", help="a nasc search checkpoint (checkpoint.safetensors) to start from")
ap.add_argument("--out", default=here, help="where arch.yaml, metrics.jsonl and checkpoint.pt go (default: here)")
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--check-first-step", action="store_true",
                help="compare the supernet's loss on first_step.safetensors with nasc's, and exit")
a = ap.parse_args()

spec = json.load(open(os.path.join(here, "supernet.json")))
h = spec["hyperparameters"]
relaxation = spec["relaxation"]
distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
if distributed:
    dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if torch.cuda.is_available() else "cpu")
torch.manual_seed(a.seed)  # the same initial weights and α on every process
net = Supernet(spec, alpha_init=h["alpha_init"]).to(device)
if a.init_from:
    load_nasc_checkpoint(net, a.init_from)
    net.to(device)


def log(*args):
    if rank == 0:
        print(*args, flush=True)


if a.check_first_step:
    t, meta = read_safetensors(os.path.join(here, "first_step.safetensors"))
    net.train()
    with torch.no_grad():
        logits = net(t["input"].to(device), plan(net, relaxation))
        loss = float(F.cross_entropy(logits, t["labels"].long().to(device)))
    nasc = float(t["loss"])
    print(json.dumps({"nasc_loss": nasc, "torch_loss": loss, "abs_diff": abs(loss - nasc)}))
    sys.exit(0 if abs(loss - nasc) <= 1e-4 else 1)

data, _ = read_safetensors(os.path.join(here, "data.safetensors"))
images, labels = data["images"], data["labels"].long()
cut = int(math.floor(len(labels) * h["train_portion"]))
splits = {"train": (images[:cut], labels[:cut]), "val": (images[cut:], labels[cut:])}
per_process = max(1, min(h["batch_size"], cut) // world)
torch.manual_seed(a.seed + 1000 * (rank + 1))  # each process its own batches and Gumbel draws


def batches(name, epoch):
    x, y = splits[name]
    mine = torch.arange(rank, len(y), world)
    g = torch.Generator().manual_seed(a.seed * 7919 + epoch * 31 + (name == "val"))
    order = mine[torch.randperm(len(mine), generator=g)]
    for i in range(0, len(order) - per_process + 1, per_process):
        idx = order[i:i + per_process]
        yield x[idx].to(device), y[idx].to(device)


def average_gradients(params):
    if world == 1:
        return
    for p in params:
        if p.grad is None:
            p.grad = torch.zeros_like(p)
        dist.all_reduce(p.grad)
        p.grad /= world


weights = net.weights()
arch = list(net.arch.parameters())
w_opt = torch.optim.SGD(weights, lr=h["w_lr"], momentum=h["w_momentum"], weight_decay=h["w_weight_decay"],
                        nesterov=spec["nesterov"])
a_opt = torch.optim.Adam(arch, lr=h["arch_lr"], betas=tuple(h["arch_betas"]), weight_decay=h["arch_weight_decay"])
epochs = a.epochs or h["epochs"]
os.makedirs(a.out, exist_ok=True)
metrics = open(os.path.join(a.out, "metrics.jsonl"), "w") if rank == 0 else None


def tau(epoch):
    if relaxation != "gumbel_hard":
        return None
    return h["tau_max"] if epochs <= 1 else h["tau_max"] - (h["tau_max"] - h["tau_min"]) * epoch / (epochs - 1)


def arch_step(x, y, epoch):
    a_opt.zero_grad()
    for p in weights:
        p.requires_grad_(False)
    F.cross_entropy(net(x, plan(net, relaxation, tau(epoch))), y).backward()
    for p in weights:
        p.requires_grad_(True)
    average_gradients(arch)
    a_opt.step()


def weight_step(x, y, epoch):
    w_opt.zero_grad()
    for p in arch:
        p.requires_grad_(False)
    logits = net(x, plan(net, relaxation, tau(epoch)))
    loss = F.cross_entropy(logits, y)
    loss.backward()
    for p in arch:
        p.requires_grad_(True)
    average_gradients(weights)
    if h["grad_clip"] > 0:
        nn.utils.clip_grad_norm_(weights, h["grad_clip"])
    w_opt.step()
    return float(loss.detach()), int((logits.argmax(1) == y).sum()), len(y)


log(f"{spec['name']}: {spec['method']} ({relaxation}) on {world} process(es), {epochs} epochs, "
    f"batch {per_process} x {world}")
for epoch in range(epochs):
    lr = h["w_lr_min"] + (h["w_lr"] - h["w_lr_min"]) * (1 + math.cos(math.pi * epoch / epochs)) / 2
    for g in w_opt.param_groups:
        g["lr"] = lr
    net.train()
    total = correct = count = 0
    for (xt, yt), (xv, yv) in zip(batches("train", epoch), batches("val", epoch)):
        if spec["arch_first"]:
            arch_step(xv, yv, epoch)
            loss, c, n = weight_step(xt, yt, epoch)
        else:
            loss, c, n = weight_step(xt, yt, epoch)
            arch_step(xv, yv, epoch)
        total, correct, count = total + loss * n, correct + c, count + n
    stats = torch.tensor([total, correct, count], dtype=torch.float64)
    if distributed:
        dist.all_reduce(stats)
    line = {"epoch": epoch, "lr": lr, "train_loss": float(stats[0] / stats[2]), "train_acc": float(stats[1] / stats[2])}
    log(f"epoch {epoch + 1}/{epochs}  train loss {line['train_loss']:.3f} acc {100 * line['train_acc']:.1f}%")
    if metrics:
        metrics.write(json.dumps(line) + "\n")
        metrics.flush()

if rank == 0:
    choices = derive(net, spec["derive"])
    # The arch document names the space by a path inside its own folder, as nasc requires.
    if os.path.abspath(a.out) != here:
        shutil.copytree(os.path.join(here, "space"), os.path.join(a.out, "space"), dirs_exist_ok=True)
    lines = ["# Derived by search.py (PyTorch, %d process(es)) from the space %s." % (world, spec["name"]),
             "# Train it with: nasc train --arch arch.yaml", "nasc: 1", "arch:",
             "  space: " + spec["space"], "  choices:"]
    for key in sorted(choices, key=lambda k: (k.split(".")[0] != "normal", k)):
        pairs = ", ".join(f"[{op}, {src}]" for op, src in choices[key])
        lines.append(f"    {key}: [{pairs}]")
    with open(os.path.join(a.out, "arch.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")
    torch.save({"state_dict": net.state_dict(), "arch_ids": net.arch_ids}, os.path.join(a.out, "checkpoint.pt"))
    log("derived architecture written to " + os.path.join(a.out, "arch.yaml"))
if distributed:
    dist.destroy_process_group()
