"""Would training many LSTM students as one batched model speed up the grid on a CPU?

The book's students are LSTM3-100s. Training ``G`` of them together (one per seed or method) means a grouped LSTM
whose every matrix product carries a leading group dimension (``torch.bmm``), stepped through time in Python. This
script times one forward and backward pass of a batch of the book's shape through

- PyTorch's fused ``nn.LSTM`` (one model; the cell loop runs in C++), and
- a grouped LSTM of ``G`` independent models, per model,

and prints the grouped cost per model over the fused cost: below 1/3 would be the 3x throughput the grid needs.
On a CPU the fused kernel is already compute-bound at this size, so batching has little to gain.

    python benchmarks/batched_lstm.py --groups 1 5 --repeats 3
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch
from torch import Tensor, nn


def seconds(step: Callable[[], None], repeats: int) -> float:
    """Mean wall seconds of ``step`` over ``repeats`` calls after one warm-up call."""
    step()
    started = time.perf_counter()
    for _ in range(repeats):
        step()
    return (time.perf_counter() - started) / repeats


def grouped_lstm(x: Tensor, w_ih: list[Tensor], w_hh: list[Tensor]) -> Tensor:
    """``G`` stacked LSTMs without biases: ``x`` is ``(G, B, L, C)``; returns the top layer's last hidden state.

    Per layer and step, ``[i, f, g, o] = x_t W_ih + h_{t-1} W_hh``, ``c_t = s(f) c_{t-1} + s(i) tanh(g)``,
    ``h_t = s(o) tanh(c_t)`` (Hochreiter & Schmidhuber 1997), with a leading group dimension on every product.
    """
    inputs = x
    for weight_ih, weight_hh in zip(w_ih, w_hh):
        groups, batch, length, _ = inputs.shape
        hidden = weight_hh.shape[1]
        pre = torch.matmul(inputs, weight_ih.unsqueeze(1))
        h = inputs.new_zeros(groups, batch, hidden)
        c = inputs.new_zeros(groups, batch, hidden)
        outputs = []
        for t in range(length):
            i, f, g, o = (pre[:, :, t] + torch.bmm(h, weight_hh)).chunk(4, dim=-1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            outputs.append(h)
        inputs = torch.stack(outputs, dim=2)
    return inputs[:, :, -1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", nargs="+", type=int, default=[1, 5])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--length", type=int, default=100)
    parser.add_argument("--hidden", type=int, default=100)
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = torch.randn(args.batch, args.length, 1)
    fused = nn.LSTM(1, args.hidden, args.layers, batch_first=True)

    def fused_step() -> None:
        output, _ = fused(x)
        output[:, -1].sum().backward()

    base = seconds(fused_step, args.repeats)
    print(f"fused nn.LSTM, one model: {base:.3f} s per forward+backward "
          f"(batch {args.batch}, length {args.length}, {args.layers}x{args.hidden}, {args.threads} thread(s))")
    for groups in args.groups:
        widths = [1] + [args.hidden] * (args.layers - 1)
        w_ih = [(0.1 * torch.randn(groups, w, 4 * args.hidden)).requires_grad_() for w in widths]
        w_hh = [(0.1 * torch.randn(groups, args.hidden, 4 * args.hidden)).requires_grad_() for _ in widths]
        xs = x.unsqueeze(0).expand(groups, -1, -1, -1)

        def grouped_step(xs: Tensor = xs, w_ih: list[Tensor] = w_ih, w_hh: list[Tensor] = w_hh) -> None:
            grouped_lstm(xs, w_ih, w_hh).sum().backward()

        per_model = seconds(grouped_step, args.repeats) / groups
        print(f"grouped LSTM, G = {groups}: {per_model:.3f} s per model; grouped / fused = {per_model / base:.2f} "
              f"(a 3x throughput gain needs <= 0.33)")


if __name__ == "__main__":
    main()
