"""pandas + PyTorch peer of `digitflow run` (linear) for bench/kaggle.mjs: Kaggle CSVs in, submission out.

Usage: python3 kaggle_linear_peer.py TRAIN_CSV TEST_CSV SUBMISSION_CSV [LABELS_CSV]
The same recipe as digitflow's linear defaults (src/adapters/tfjs/model-specs.ts), written the usual
notebook way: pandas.read_csv(dtype=uint8), pixels / 255, 10% of the training rows held out
(seeded), a softmax layer trained with Adam (lr 0.01, 1/(1+epoch) decay, batch 128, up to 10
epochs, L2 1e-5 on the weights: digitflow's loss term l2*sum(W^2), i.e. weight decay 2e-5 on W
only), the validation loss scored after every epoch, early stopping with patience 3 keeping the best
epoch's weights, argmax, DataFrame.to_csv. Uses both cores (torch threads = 2). Prints one JSON
object with the accuracy on LABELS_CSV (scored after the submission is written).
"""
import json
import sys
import time

import numpy as np
import pandas as pd
import torch
from torch import nn

EPOCHS, BATCH, LR, DECAY, L2, PATIENCE, VALIDATION = 10, 128, 0.01, 1.0, 1e-5, 3, 0.1


def main():
    train_csv, test_csv, out_csv = sys.argv[1:4]
    labels_csv = sys.argv[4] if len(sys.argv) > 4 else None
    t0 = time.perf_counter()
    torch.set_num_threads(2)
    torch.manual_seed(42)
    train = pd.read_csv(train_csv, dtype=np.uint8)
    test = pd.read_csv(test_csv, dtype=np.uint8)
    y_all = torch.from_numpy(train["label"].to_numpy().astype(np.int64))
    x_all = torch.from_numpy(train.drop(columns=["label"]).to_numpy().astype(np.float32) / 255.0)
    xte = torch.from_numpy(test.to_numpy().astype(np.float32) / 255.0)
    g = torch.Generator().manual_seed(42)
    perm = torch.randperm(x_all.shape[0], generator=g)
    n_val = int(round(VALIDATION * x_all.shape[0]))
    xval, yval = x_all[perm[:n_val]], y_all[perm[:n_val]]
    xtr, y = x_all[perm[n_val:]], y_all[perm[n_val:]]
    t_read = time.perf_counter()

    model = nn.Linear(784, 10)
    opt = torch.optim.Adam([{"params": [model.weight], "weight_decay": 2 * L2}, {"params": [model.bias], "weight_decay": 0.0}], lr=LR)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: 1.0 / (1.0 + DECAY * e))
    loss_fn = nn.CrossEntropyLoss()
    n = xtr.shape[0]
    best, best_state, wait = float("inf"), None, 0
    for _ in range(EPOCHS):
        perm = torch.randperm(n, generator=g)
        for i in range(0, n, BATCH):
            idx = perm[i : i + BATCH]
            opt.zero_grad()
            loss_fn(model(xtr[idx]), y[idx]).backward()
            opt.step()
        sched.step()
        with torch.no_grad():
            val_loss = loss_fn(model(xval), yval).item()
        if val_loss < best - 1e-6:
            best, best_state, wait = val_loss, {k: v.clone() for k, v in model.state_dict().items()}, 0
        else:
            wait += 1
            if wait >= PATIENCE:
                break
    model.load_state_dict(best_state)
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
