"""Words and numbers in the learner's names: how each op reads as typed, its local derivative,
and numbers without `-0`.

Rules are written in operand letters that cannot be mistaken for a user's variables: `{a}`,
`{b}`, `{c}` are the op's operands, `{out}` its result, `G` the upstream gradient (the
gradient of the final output with respect to `{out}`), `n` the number of elements an op
averages over. `fill` puts the learner's labels in their place: for `t3 = x * y` the rule
`{b}` for operand a reads `∂t3/∂x = y`. A rule that mentions G is a vector-Jacobian product
(how G becomes the operand's gradient), written `∂t3/∂W: G ↦ Xᵀ·G`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..tensor_reduce import correction_of

# ---------------------------------------------------------------- the ops as typed
TYPED: dict[str, str] = {
    "Add": "{a} + {b}",
    "Sub": "{a} - {b}",
    "Mul": "{a} * {b}",
    "Div": "{a} / {b}",
    "Neg": "-{a}",
    "Pow": "{a} ** {b}",
    "MatMul": "{a} @ {b}",
    "Maximum": "maximum({a}, {b})",
    "Minimum": "minimum({a}, {b})",
    "Where": "where({a}, {b}, {c})",
    "Exp": "exp({a})",
    "Log": "log({a})",
    "Sin": "sin({a})",
    "Cos": "cos({a})",
    "Tanh": "tanh({a})",
    "Sigmoid": "sigmoid({a})",
    "Relu": "relu({a})",
    "Abs": "abs({a})",
    "Sqrt": "sqrt({a})",
    "Sum": "{a}.sum({axis})",
    "Mean": "{a}.mean({axis})",
    "Max": "{a}.max({axis})",
    "Min": "{a}.min({axis})",
    "Reshape": "{a}.reshape{shape}",
    "Transpose": "{a}{transpose}",
    "BroadcastTo": "{a}.broadcast_to{shape}",
    "GetItem": "{a}[…]",
    "ScatterAdd": "scatter_add({a})",
    "Cat": "cat({*})",
    "Cast": "{a}.astype({dtype})",
    "Rsqrt": "rsqrt({a})",
    "Log1p": "log1p({a})",
    "Expm1": "expm1({a})",
    "Tan": "tan({a})",
    "Erf": "erf({a})",
    "Linear": "linear({a}, {b}, {c})",
    "LogSoftmax": "{a}.log_softmax()",
    "NllLoss": "nll_loss({a}, targets)",
}

# ---------------------------------------------------------------- local derivatives, one per operand
DERIVATIVES: dict[str, tuple[str, ...]] = {
    "Add": ("1", "1"),
    "Sub": ("1", "-1"),
    "Mul": ("{b}", "{a}"),
    "Div": ("1/{b}", "-{a}/{b}²"),
    "Neg": ("-1",),
    "Pow": ("{b}·{a}^({b} - 1)", "{out}·log({a})"),
    "MatMul": ("G·{b}ᵀ", "{a}ᵀ·G"),
    "Maximum": ("[{a} > {b}] (½ at ties)", "[{b} > {a}] (½ at ties)"),
    "Minimum": ("[{a} < {b}] (½ at ties)", "[{b} < {a}] (½ at ties)"),
    "Where": ("", "[{a}]", "[not {a}]"),
    "Exp": ("exp({a})",),
    "Log": ("1/{a}",),
    "Sin": ("cos({a})",),
    "Cos": ("-sin({a})",),
    "Tanh": ("1 - {out}²",),
    "Sigmoid": ("{out}·(1 - {out})",),
    "Relu": ("[{a} > 0]",),
    "Abs": ("sign({a})",),
    "Sqrt": ("1/(2·{out})",),
    "Sum": ("1",),
    "Mean": ("1/{n}",),
    "Max": ("[{a} = {out}] / ties",),
    "Min": ("[{a} = {out}] / ties",),
    "Reshape": ("G reshaped back",),
    "Transpose": ("Gᵀ",),
    "BroadcastTo": ("G summed back",),
    "GetItem": ("G put back at the index",),
    "ScatterAdd": ("G[index]",),
    "Cat": ("G's slice",),
    "Cast": ("G cast back",),
    "Rounding": ("0",),
    "Rsqrt": ("-{out}³/2",),
    "Log1p": ("1/(1 + {a})",),
    "Expm1": ("{out} + 1",),
    "Tan": ("1 + {out}²",),
    "Erf": ("2/√π·exp(-{a}²)",),
    "Linear": ("G·{b}", "Gᵀ·{a}", "sum of G"),
    "LogSoftmax": ("G - softmax({a})·sum(G)",),
    "NllLoss": ("-1 at each row's target",),
    # (no Softplus: a user's own op of that name, as in docs/adding-an-op.md, shows its docstring)
}

_SLOT = re.compile(r"\{(\w+'?|\*|/\w+)\}")


def fill(template: str, names: Mapping[str, str]) -> str:
    """`template` with each `{a}`, `{b}`, `{out}`, `{*}` replaced by its name, in one pass (a
    name that itself contains braces is left as it is)."""
    return _SLOT.sub(lambda m: names.get(m.group(1), m.group(0)), template)


def operand_names(labels: Sequence[str], out: str, n: int | None = None) -> dict[str, str]:
    """The slot names for an op with operands `labels` and result `out`."""
    many = list(labels) if len(labels) <= 6 else [*labels[:4], "…", labels[-1]]  # cat(x0, x1, x2, x3, …, x19)
    names = {"out": out, "*": ", ".join(many)}
    names.update(zip("abcdefgh", labels))
    if n is not None:
        names["n"] = str(n)
    return names


def typed(
    op: str, labels: Sequence[str], out: str, template: str | None = None, options: Mapping[str, str] | None = None
) -> str:
    """How the op reads as typed, with the operands' labels: `y - t3`, `z.softmax()`.
    `options` fill the slots for arguments: {axis}, {shape}, {transpose}, {dtype}."""
    template = template or TYPED.get(op) or op + "({*})"
    return fill(template, {**operand_names(labels, out), **(options or {})})


def reduced_axes(before: tuple[int, ...], after: tuple[int, ...], axis: Any = None, keepdims: Any = None) -> str:
    """The arguments of a reduction from shape `before` to `after`: '' for all axes,
    'axis=1', 'axis=(0, 2), keepdims=True'. Uses `axis` when the op kept it, else the shapes."""
    if axis is None:
        if len(after) == len(before):
            axis = tuple(i for i, (m, k) in enumerate(zip(before, after)) if k == 1 and m != 1)
            keepdims = True
        else:  # dropped axes: match the kept ones from the left
            kept, j = [], 0
            for i, m in enumerate(before):
                if j < len(after) and after[j] == m:
                    kept.append(i)
                    j += 1
            axis = tuple(i for i in range(len(before)) if i not in kept)
            keepdims = False
    axis = (int(axis),) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if not keepdims and len(axis) == len(before):
        return ""
    words = f"axis={axis[0]}" if len(axis) == 1 else f"axis={axis}"
    return words + (", keepdims=True" if keepdims else "")


def option_slots(options: Mapping[str, Any], n: int | None, shape: tuple[int, ...] = ()) -> dict[str, str]:
    """The slots a composed op's rule may use besides its operands, from the arguments it was
    called with (`options`), `n` (the elements its output takes from the operand) and the
    operand's `shape`:
    - every argument by name, as its value: `{delta}` -> `1`, `{negative_slope}` -> `0.01`;
      an unset bound (`{low}`, `{high}` of clip) is -∞ or ∞;
    - `{/n}`: `/n` when the op averages its terms (reduction='mean'), nothing for 'sum' and
      'none'; `{/rows}` the same over the rows of a 2-D operand (cross_entropy's examples);
    - `{dof}`: what a variance divides by, `n` or `(n - correction)`;
    - `{target}`: cross_entropy's target row, `onehot` or its label-smoothed form;
    - `{norm'}`: the p-norm's derivative for the p used (2, 1 or inf)."""
    slots: dict[str, str] = {}
    for key, value in options.items():
        if value is None and key in ("low", "min_val"):
            slots[key] = "-∞"
        elif value is None and key in ("high", "max_val"):
            slots[key] = "∞"
        elif isinstance(value, (bool, int, float, np.number)):
            slots[key] = num(value)
        elif isinstance(value, str):
            slots[key] = value
    mean = options.get("reduction", "mean") == "mean"
    count = n if n is not None else 1
    rows = shape[0] if len(shape) == 2 else 1
    slots["/n"] = f"/{count}" if mean and count != 1 else ""
    slots["/rows"] = f"/{rows}" if mean and rows != 1 else ""
    # var/std: correction=, unbiased= or ddof= as given, PyTorch's default 1 when none is
    c = (
        correction_of("var", options.get("correction"), options.get("unbiased"), options.get("ddof"))
        if "correction" in options
        else 0
    )
    slots["dof"] = f"({count} - {num(c)})" if c else str(count)
    smoothing = float(options.get("label_smoothing", 0.0) or 0.0)
    classes = shape[-1] if shape else 1
    slots["target"] = f"((1 - {num(smoothing)})·onehot + {num(smoothing)}/{classes})" if smoothing else "onehot"
    p = options.get("p", 2)
    if p in (1, 1.0):
        slots["norm'"] = "sign({a})"
    elif p in (np.inf, "inf"):
        slots["norm'"] = "sign({a})·[|{a}| = {out}] / ties"
    else:
        slots["norm'"] = "{a}/{out}"
    if options.get("approximate") == "tanh":
        slots["P"] = "P = (1 + tanh(√(2/π)·({a} + 0.044715·{a}³)))/2"
    else:
        slots["P"] = "P = Phi, the normal CDF"
    return slots


def derivative(
    op: str,
    i: int,
    labels: Sequence[str],
    out: str,
    rules: Sequence[str] = (),
    constant: Any = None,
    n: int | None = None,
    options: Mapping[str, Any] | None = None,
    shape: tuple[int, ...] = (),
) -> str:
    """The local derivative of `out` with respect to operand `i`, in the learner's names, as
    `∂t3/∂x = y` or (a vector-Jacobian product) `∂t3/∂W: G ↦ Xᵀ·G`. `constant` is the
    exponent's value for a power with a constant exponent; `options` are the arguments a
    composed op was called with and `shape` the operand's shape (see `option_slots`). Just
    `∂t3/∂x` when no rule is known."""
    rules = tuple(rules) or DERIVATIVES.get(op, ())
    if len(rules) == 1 and len(labels) > 1 and op not in DERIVATIVES:
        rule = rules[0]  # one rule for every operand (l2_penalty(p, q): 2·p, 2·q)
        names = operand_names([labels[i]], out, n)
    elif op == "Cat":
        rule = rules[0]  # every operand gets its slice
        names = operand_names(labels, out, n)
    else:
        rule = rules[i] if i < len(rules) else ""
        names = operand_names(labels, out, n)
    if options is not None:
        rule = fill(rule, option_slots(options, n, shape))  # may bring in {a} and {out}
    if op == "Pow" and i == 0 and constant is not None:
        k = float(constant)
        rule = "{a}" if k == 1 else f"{num(k)}·{{a}}" if k == 2 else f"{num(k)}·{{a}}^{num(k - 1)}"
    lhs = f"∂{out}/∂{labels[i]}"
    if not rule:
        return lhs
    text = fill(rule, names)
    return f"{lhs}: G ↦ {text}" if "G" in re.sub(r"\{\w+\}", "", rule) else f"{lhs} = {text}"


# ---------------------------------------------------------------- numbers
def num(value: Any) -> str:
    """A number in at most 4 significant digits; never `-0`."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    v = float(value)
    return "0" if v == 0 else f"{v:.4g}"


def values(a: Any) -> str:
    """Every entry of a small array, nested like a list: `[1, 2]`, `[[1, 0], [1, 1]]`, `13`."""
    a = np.asarray(a)
    if a.ndim == 0:
        return num(a.item())
    return "[" + ", ".join(values(row) for row in a) + "]"


def shape_str(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def summary(a: Any) -> str:
    """min, mean and max of an array (all of it when it is small)."""
    a = np.asarray(a)
    if a.size == 0:
        return "[]"
    if a.size <= 6:
        return values(a)
    f = a.astype(np.float64)
    return f"min {num(f.min())}  mean {num(f.mean())}  max {num(f.max())}"


def brief(a: Any, max_elems: int = 6) -> str:
    """What fits in a box: every entry of a small array, else its shape."""
    a = np.asarray(a)
    if (a.ndim <= 1 and a.size <= max_elems) or (a.ndim == 2 and a.size <= 4):
        return values(a)
    return shape_str(a.shape)


def wrap(text: str, width: int = 64) -> list[str]:
    """`text` broken into lines of at most about `width` characters, at spaces."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
    return lines
