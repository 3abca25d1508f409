"""What a study can support, from what its configuration declares.

Steps and report sections name the capabilities they need; when one is missing they are
skipped with the capability's one-line reason instead of failing or saying something false.

Example
-------
>>> caps = capabilities(study)                        # doctest: +SKIP
>>> caps["change"].available, caps["change"].reason   # doctest: +SKIP
(False, 'one wave (2025): no change between rounds')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from survey.study import Study


@dataclass(frozen=True)
class Capability:
    """Whether the study supports something, and in one line why not."""

    name: str
    available: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.available


#: The capabilities, with what each lets the workspace do.
CAPABILITIES = {
    "change": "change between rounds (two or more waves)",
    "pilot": "a programme evaluation (a pilot declared under `pilot:`)",
    "effects": "difference-in-differences effects (a pilot and waves before and after its start)",
    "raking": "raked estimates (population margins under `margins:`)",
    "standardisation": "age-standardised rates (`standard_population:` and `age_groups:`)",
    "services": "service indicators (`services.yearly`)",
    "targets": "policy targets (`targets:` on an indicator)",
    "subgroups": "subgroup tables (`subgroups:`)",
}


def capabilities(study: Study) -> dict[str, Capability]:
    """Every capability of :data:`CAPABILITIES`, available or not (with the reason)."""
    config = study.config
    waves = study.waves
    pilot = config.pilot is not None
    found = {
        "change": (len(waves) >= 2, f"one wave ({waves[0] if waves else 'none declared'}): no change between rounds"),
        "pilot": (pilot, "no pilot programme declared (`pilot:`)"),
        "effects": (pilot and len(waves) >= 2,
                    "no pilot programme declared (`pilot:`)" if not pilot else
                    "one wave: a difference-in-differences needs waves before and after the pilot start"),
        "raking": (config.margins is not None, "no population margins declared (`margins:`): no raked rates"),
        "standardisation": (bool(config.standard_population and config.age_groups),
                            "no standard population and age groups declared: no age-standardised rates"),
        "services": (bool(config.services and config.services.yearly),
                     "no service table declared (`services.yearly`)"),
        "targets": (any(i.targets for i in config.indicators), "no indicator has a policy target"),
        "subgroups": (bool(config.subgroups), "no subgroup variables declared (`subgroups:`)"),
    }
    return {name: Capability(name, ok, "" if ok else reason) for name, (ok, reason) in found.items()}
