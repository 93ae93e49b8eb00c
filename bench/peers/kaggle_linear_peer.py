"""pandas + PyTorch peer of `digitflow run` (linear) for bench/kaggle.mjs: Kaggle CSVs in, submission out.

Usage: python3 kaggle_linear_peer.py TRAIN_CSV TEST_CSV SUBMISSION_CSV [LABELS_CSV]
The usual notebook recipe: pandas.read_csv(dtype=uint8), standardised pixels, a softmax layer
trained with Adam (lr 0.01, 1/(1+epoch) decay, batch 128, 10 epochs, L2 0.001 as weight decay),
argmax, DataFrame.to_csv. Uses both cores (torch threads = 2). Prints one JSON object with the
accuracy on LABELS_CSV (scored after the submission is written).
"""
import json
import sys
import time

import numpy as np
import pandas as pd
import torch
from torch import nn


def main():
    train_csv, test_csv, out_csv = sys.argv[1:4]
    labels_csv = sys.argv[4] if len(sys.argv) > 4 else None
    t0 = time.perf_counter()
    torch.set_num_threads(2)
    torch.manual_seed(42)
    train = pd.read_csv(train_csv, dtype=np.uint8)
    test = pd.read_csv(test_csv, dtype=np.uint8)
    y = torch.from_numpy(train["label"].to_numpy().astype(np.int64))
    xtr = train.drop(columns=["label"]).to_numpy().astype(np.float32)
    xte = test.to_numpy().astype(np.float32)
    mean = xtr.mean(0)
    std = np.maximum(xtr.std(0), 8.0)
    xtr = torch.from_numpy((xtr - mean) / std)
    xte = torch.from_numpy((xte - mean) / std)
    t_read = time.perf_counter()

    model = nn.Linear(784, 10)
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=0.001)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: 1.0 / (1.0 + e))
    loss_fn = nn.CrossEntropyLoss()
    n = xtr.shape[0]
    g = torch.Generator().manual_seed(42)
    for _ in range(10):
        perm = torch.randperm(n, generator=g)
        for i in range(0, n, 128):
            idx = perm[i : i + 128]
            opt.zero_grad()
            loss_fn(model(xtr[idx]), y[idx]).backward()
            opt.step()
        sched.step()
    t_train = time.perf_counter()

    with torch.no_grad():
        pred = model(xte).argmax(1).numpy()
    pd.DataFrame({"ImageId": np.arange(1, len(pred) + 1), "Label": pred}).to_csv(out_csv, index=False)
    t_end = time.perf_counter()
    acc = None
    if labels_csv:
        truth = pd.read_csv(labels_csv)["Label"].to_numpy()
        acc = float((truth == pred).mean())
    print(json.dumps({"accuracy": acc, "read": t_read - t0, "train": t_train - t_read, "predict": t_end - t_train, "seconds": t_end - t0}))


if __name__ == "__main__":
    main()
