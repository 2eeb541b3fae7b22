"""memory: tinygrad_edu's memory over a long training run, and graph freeing by refcounting.

1. `steps` SGD steps of the mlp workload (784-256-256-10, batch 128), sampling the process's
   resident memory and its peak every steps/samples steps: the peak must stay flat.
2. With the cyclic garbage collector disabled, build a loss's graph, drop it (once before and
   once after backward) and check with weakrefs and tracemalloc that every array of the graph
   was freed by reference counting alone.
"""

from __future__ import annotations

import gc
import tracemalloc
import weakref
from typing import Any

from workloads.common import SIZES, batches, linear_init, mlp_data, tge_mlp, tge_sgd
from workloads.rss import peak_rss_mb, reset_peak_rss, rss_mb

MLP = SIZES["mlp"]["full"]


def run_tinygrad_edu(size: dict[str, Any]) -> dict[str, Any]:
    """Both checks for tinygrad_edu; returns what the parent prints."""
    return {"samples": training_samples(size["steps"], size["samples"]), "freed": graph_freed()}


def _mlp_step_factory() -> Any:
    from tinygrad_edu import Tensor
    from workloads.mlp import tge_cross_entropy

    sizes = MLP["sizes"]
    X, y = mlp_data(MLP["n"], sizes[0], sizes[-1])
    model, params = tge_mlp(sizes, linear_init(sizes))
    cross_entropy = tge_cross_entropy()
    return X, y, model, params, cross_entropy, Tensor


def training_samples(steps: int, samples: int) -> list[dict[str, float]]:
    """Train for `steps` steps; every steps/samples steps record (step, RSS, peak RSS) in MB."""
    X, y, model, params, cross_entropy, Tensor = _mlp_step_factory()
    opt = tge_sgd(params, MLP["lr"])
    every = max(1, steps // samples)
    reset_peak_rss()
    out = [{"step": 0, "rss_mb": rss_mb(), "peak_mb": peak_rss_mb()}]
    for i, rows in enumerate(batches(MLP["n"], MLP["batch"], steps), start=1):
        opt.zero_grad()
        loss = cross_entropy(model(Tensor(X[rows])), y[rows])
        loss.backward()
        opt.step()
        if i % every == 0:
            out.append({"step": i, "rss_mb": rss_mb(), "peak_mb": peak_rss_mb()})
    return out


def _graph_refs(loss: Any) -> list[weakref.ref]:
    """Weak references to every non-leaf tensor of loss's graph, its array and its node."""
    refs: list[weakref.ref] = []
    seen: set[int] = set()
    stack = [loss]
    while stack:
        t = stack.pop()
        if id(t) in seen or t.grad_fn is None:
            continue
        seen.add(id(t))
        for obj in (t, t.data, t.grad_fn):
            try:
                refs.append(weakref.ref(obj))
            except TypeError:  # an object without weakref support is simply not tracked
                pass
        stack.extend(t.grad_fn.inputs)
    return refs


def graph_freed() -> dict[str, Any]:
    """Build, (optionally backprop) and drop a loss with gc disabled; count what survives."""
    X, y, model, params, cross_entropy, Tensor = _mlp_step_factory()
    rows = slice(0, MLP["batch"])
    results: dict[str, Any] = {}
    cross_entropy(model(Tensor(X[rows])), y[rows]).backward()  # fill any one-time caches
    for p in params:
        p.grad = None
    gc.collect()
    gc.disable()
    try:
        for backward in (False, True):
            tracemalloc.start()
            before = tracemalloc.get_traced_memory()[0]
            loss = cross_entropy(model(Tensor(X[rows])), y[rows])
            refs = _graph_refs(loss)
            peak_graph = tracemalloc.get_traced_memory()[0] - before
            if backward:
                loss.backward()
            del loss
            for p in params:  # the leaves' gradients are kept on purpose: drop them too
                p.grad = None
            alive = sum(ref() is not None for ref in refs)
            left = tracemalloc.get_traced_memory()[0] - before
            tracemalloc.stop()
            key = "after_backward" if backward else "before_backward"
            results[key] = {
                "tracked": len(refs),
                "alive": alive,
                "graph_kb": peak_graph / 1024,
                "left_kb": left / 1024,
            }
    finally:
        gc.enable()
    return results
