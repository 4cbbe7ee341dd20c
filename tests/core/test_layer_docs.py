from pathlib import Path

from visnet.core import layer_docs, layers

DOC = Path(__file__).resolve().parents[2] / "docs" / "layers.md"


def test_layers_md_is_in_step_with_the_catalogue():
    assert DOC.read_text(encoding="utf-8") == layer_docs.render(), (
        "docs/layers.md is stale: run `python -m visnet.core.layer_docs > docs/layers.md`")


def test_every_type_and_param_is_documented():
    text = DOC.read_text(encoding="utf-8")
    for t in layers.LAYER_TYPES:
        assert f"### {t.name}\n" in text
        for p in t.params:
            assert f"`{p.name}`" in text
