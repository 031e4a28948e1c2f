"""Citations of the primary sources, attached to every recommendation and plan text.

docs/clinical-rules.md, "Sources". Each names the guideline or paper, never a project file.
"""

from __future__ import annotations

GUIDANCE = (
    "Benign MS clinical guidance: monitoring rather than escalation, neurological review every "
    "6-12 months, brain MRI at least yearly"
)
HAWKINS_1999 = "Hawkins & McDonnell, JNNP 1999;67:148"
SAYAO_2007 = "Sayao et al., Neurology 2007;68:496"
PITTOCK_2004 = "Pittock et al., Ann Neurol 2004;56:303"
TALLANTYRE_2019 = "Tallantyre et al., JNNP 2019;90:522"
KAPPOS_MSPROG = "Kappos et al.; msprog (Montobbio 2024): confirmed disability progression"
MAGNIMS_2021 = "MAGNIMS-CMSC-NAIMS 2021 consensus, Lancet Neurol 2021"
ECTRIMS_EAN_2018 = "ECTRIMS/EAN 2018 guideline"

CLASSIFICATION = (HAWKINS_1999, SAYAO_2007, PITTOCK_2004)
