"""Emulated EHRs: ``ms-monitor sandbox --ehr hapi|us-core|epic|oracle|athena``.

Vendor facts are data (one module per vendor); :mod:`.emulator` holds the mechanics.
"""

from __future__ import annotations

from launch.sandbox.ehr import athena, epic, hapi, oracle, us_core
from launch.sandbox.ehr.profile import EhrProfile

PROFILES: dict[str, EhrProfile] = {
    p.name: p for p in (hapi.PROFILE, us_core.PROFILE, epic.PROFILE, oracle.PROFILE, athena.PROFILE)
}
EHR_NAMES = tuple(PROFILES)


def profile_named(name: str) -> EhrProfile:
    """The profile called ``name``; ValueError names the choices."""
    try:
        return PROFILES[name]
    except KeyError:
        choices = ", ".join(EHR_NAMES)
        raise ValueError(f"unknown EHR profile {name!r} (choose from {choices})") from None


__all__ = ["EHR_NAMES", "PROFILES", "EhrProfile", "profile_named"]
