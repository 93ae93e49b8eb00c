"""PyTorch reference for bench/train.mjs: the same linear / CNN models on the same bytes.

Usage: python3 torch_peer.py DATA_DIR MODEL EPOCHS BATCH LR THREADS [NORMALIZE]
DATA_DIR holds train_x.u8 / train_y.u8 / test_x.u8 / test_y.u8 (rows x 784 pixels 0..255).
Prints one JSON object: per-epoch cumulative training seconds (evaluation excluded) and holdout accuracy.
"""
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn


def load(d, name):
    x = np.fromfile(os.path.join(d, f"{name}_x.u8"), dtype=np.uint8).reshape(-1, 784)
    y = np.fromfile(os.path.join(d, f"{name}_y.u8"), dtype=np.uint8)
    return x, y


def main():
    d, model_kind, epochs, batch, lr, threads = sys.argv[1:7]
    normalize = len(sys.argv) > 7 and sys.argv[7] == "standardize"
    epochs, batch, lr, threads = int(epochs), int(batch), float(lr), int(threads)
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    xtr, ytr = load(d, "train")
    xte, yte = load(d, "test")
    xtr = xtr.astype(np.float32) / 255.0
    xte = xte.astype(np.float32) / 255.0
    if normalize:
        mean = xtr.mean(0)
        std = np.maximum(xtr.std(0), 8 / 255.0)
        xtr = (xtr - mean) / std
        xte = (xte - mean) / std
    if model_kind == "linear":
        model = nn.Linear(784, 10)
        shape = (-1, 784)
    else:
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))
        shape = (-1, 1, 28, 28)
    Xtr = torch.from_numpy(xtr).reshape(shape)
    Ytr = torch.from_numpy(ytr.astype(np.int64))
    Xte = torch.from_numpy(xte).reshape(shape)
    Yte = torch.from_numpy(yte.astype(np.int64))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    n = Xtr.shape[0]
    cum = 0.0
    out = []
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(n)
        for s in range(0, n, batch):
            idx = perm[s:s + batch]
            opt.zero_grad()
            loss = loss_fn(model(Xtr[idx]), Ytr[idx])
            loss.backward()
            opt.step()
        cum += time.perf_counter() - t0
        model.eval()
        with torch.no_grad():
            acc = (model(Xte).argmax(1) == Yte).float().mean().item()
        out.append({"epoch": epoch, "seconds": cum, "accuracy": acc})
    print(json.dumps({"framework": f"pytorch {torch.__version__}", "threads": threads, "model": model_kind,
                      "batch": batch, "lr": lr, "normalize": normalize, "examples": n, "epochs": out}))


if __name__ == "__main__":
    main()
