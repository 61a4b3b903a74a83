"""dbt layers (the dbt style guide): staging reads sources, intermediate reads staging
and intermediate, a mart reads staging and intermediate models and never another mart
(a mart's logic that another model needs lives in an intermediate model)."""

import re
from pathlib import Path

MODELS = Path(__file__).resolve().parents[2] / "dbt_project" / "models"
REF = re.compile(r"ref\(\s*['\"](\w+)['\"]\s*\)")


def _layer_of() -> dict[str, str]:
    return {sql.stem: sql.relative_to(MODELS).parts[0] for sql in MODELS.rglob("*.sql")}


def test_models_read_only_lower_layers():
    layer = _layer_of()
    assert {"staging", "intermediate", "marts"} <= set(layer.values())
    allowed = {
        "staging": {"staging"},
        "intermediate": {"staging", "intermediate"},
        "marts": {"staging", "intermediate"},
    }
    wrong = []
    for sql in MODELS.rglob("*.sql"):
        own = layer[sql.stem]
        for name in REF.findall(sql.read_text()):
            if name in layer and layer[name] not in allowed[own]:
                wrong.append(f"{sql.stem} ({own}) reads {name} ({layer[name]})")
    assert not wrong, wrong
