"""docs/layers.md, written from the catalogue so the reference never drifts from the code.

`python -m visnet.core.layer_docs > docs/layers.md` rewrites it; a test checks it is in step.
"""

from __future__ import annotations

import json

from .layers import by_category, fmt_shape


def _value(v) -> str:
    return json.dumps(v)


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
                    out.append(f"| `{w.name}`{cond} | {shape} | {w.init} | "
                               f"{'yes' if w.trainable else 'no'} |")
                out.append("")
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
