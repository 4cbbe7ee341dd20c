"""docs/layers.md, written from the catalogue so the reference never drifts from the code.

`python -m visnet.core.layer_docs > docs/layers.md` rewrites it; a test checks it is in step.
"""

from __future__ import annotations

import json

from .layers import by_category, fmt_shape


def _value(v) -> str:
    return json.dumps(v)


INITIALIZERS_SECTION = [
    "## Initial weights",
    "",
    "Layers with a kernel or a bias take `kernel_initializer` and `bias_initializer`: Keras' "
    "initialisers by their Keras names (glorot_uniform, glorot_normal, he_uniform, he_normal, "
    "lecun_normal, random_normal, zeros, ones; the normal ones truncated at two standard "
    "deviations, as Keras draws them) or `torch`, PyTorch's default for nn.Linear, nn.Conv2d "
    "and the recurrent layers: uniform within 1/sqrt(fan_in), where fan_in is the layer's "
    "(in_features; in_channels x kernel height x kernel width; a recurrent layer's units).",
    "",
    "Dense, Conv2D and Conv1D start with he_uniform kernels and `torch` biases. The reason is "
    "measured (training accuracy over seeds): a TensorFlow-Playground-style network (Dense "
    "2-32-32-2, tanh, Adam 0.01, batch 32, 150 epochs, a 600-point two-arm spiral) reaches "
    "0.59-0.63 from Keras' start (glorot_uniform kernels, zero biases), 0.565-0.988 from "
    "PyTorch's (one seed in three stalls), 0.985-0.99 from glorot kernels with PyTorch's "
    "biases and 0.985-0.988 from he_uniform kernels with PyTorch's biases; the relu spiral_mlp "
    "template reaches 0.985-0.99 from Keras' start, 0.965-0.99 from PyTorch's, only 0.90-0.975 "
    "from glorot kernels with PyTorch's biases, and 0.985-0.99 from he_uniform with PyTorch's "
    "biases. A glorot kernel of a 2-input layer is too small for zero biases to place its units "
    "anywhere but through the origin; He's scale with PyTorch's biases learns both at least as "
    "well as PyTorch. Set `kernel_initializer` to glorot_uniform and `bias_initializer` to "
    "zeros for Keras' behaviour. Recurrent layers keep Keras' start (glorot kernels, zero "
    "biases, an LSTM's forget-gate bias at one: `unit_forget`; orthogonal recurrent "
    "kernels), which trains them well; their kernel and bias initialisers can be chosen too.",
    "",
]


def render() -> str:
    out = [
        "# Layer reference",
        "",
        "Every layer type VisNet knows, with its parameters as the file format spells them "
        "(Keras' names). Shapes leave out the batch axis: images are (channels, height, width), "
        "sequences (time, features). This page is generated from the declarations in "
        "`visnet/core/layers/`.",
        "",
    ]
    for category, types in by_category().items():
        out += [f"## {category}", ""]
        for t in types:
            out += [f"### {t.name}", "", t.summary, ""]
            if t.max_inputs == 0:
                inputs = "none"
            elif t.variadic:
                inputs = f"{t.min_inputs} or more"
            else:
                inputs = str(t.max_inputs)
            out += [f"Inputs: {inputs}. Output: {'yes' if t.has_output else 'none (a sink)'}.",
                    ""]
            if t.params:
                out += ["| param | default | allowed | meaning |", "|---|---|---|---|"]
                out += [f"| `{p.name}` | `{_value(p.default)}` | {p.describe_range()} | "
                        f"{p.help} |" for p in t.params]
                out.append("")
            params = t.resolve(t.check_params(t.example[0]))
            inputs_ex = list(t.example[1])
            given = ", ".join(f"{k}={_value(v)}" for k, v in t.example[0].items())
            arrow = " + ".join(fmt_shape(s) for s in inputs_ex) or "no input"
            result = t.output_shape(params, inputs_ex)
            result_text = "a scalar loss" if result == () else fmt_shape(result)
            out += [f"Example: `{t.name}({given})` maps {arrow} to {result_text}.", ""]
            if t.weights:
                shapes = t.weight_shapes(params, inputs_ex)
                out += ["| tensor | shape in the example | initialiser | trainable |",
                        "|---|---|---|---|"]
                for w in t.weights:
                    shape = fmt_shape(shapes[w.name]) if w.name in shapes else "—"
                    cond = f" (when `{w.when}`)" if w.when else ""
                    init = f"`{w.init_param}` ({w.init})" if w.init_param else w.init
                    out.append(f"| `{w.name}`{cond} | {shape} | {init} | "
                               f"{'yes' if w.trainable else 'no'} |")
                out.append("")
    out += INITIALIZERS_SECTION
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
