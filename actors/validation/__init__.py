"""Market-data validation: the data-quality checks of the feeder plan, pure and Ray-free (issue 11 §3).

One check per module: :mod:`.crossed` (hard), :mod:`.outlier`, :mod:`.spread`, :mod:`.stale`,
:mod:`.divergence` (soft); :mod:`.config` the thresholds, :mod:`.alerts` the rate-limited ``system_alerts`` rows,
:mod:`.validator` the per-instrument runner the feed pipeline drives. Where each runs and why: README "Market-data
validation".
"""

from actors.validation.config import InstrumentOverrides, Thresholds, ValidationSettings, load_validation
from actors.validation.validator import CHECKS, HARD_CHECKS, InstrumentChecks, Validator

__all__ = ["CHECKS", "HARD_CHECKS", "InstrumentChecks", "InstrumentOverrides", "Thresholds", "ValidationSettings",
           "Validator", "load_validation"]
