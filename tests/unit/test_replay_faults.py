"""Fault specs: the text form parses into a frozen, validated object; bad specs are refused with a clear error."""

from __future__ import annotations

import dataclasses

import pytest

from actors.errors import ConfigError
from actors.replay.faults import FaultSpec, parse_duration_ns, parse_fault_spec

EXAMPLE = "drop=0.001,dup=0.0005,reorder=0.001:5,disconnect_every=20s,corrupt=0.0001,delay_ms=50@0.01,rest_429=0.1"


def test_the_issue_example_parses_into_typed_fields():
    spec = parse_fault_spec(EXAMPLE)
    assert spec == FaultSpec(drop=0.001, dup=0.0005, reorder=0.001, reorder_window=5, corrupt=0.0001,
                             disconnect_every_ns=20_000_000_000, delay_ms=50, delay_p=0.01, rest_429=0.1)  # fmt: skip
    assert spec.ws_active and spec.rest_active


def test_spec_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        parse_fault_spec("drop=0.1").drop = 0.2  # type: ignore[misc]


@pytest.mark.parametrize("text", [None, "", "  ", "none"])
def test_empty_spec_means_no_faults(text):
    spec = parse_fault_spec(text)
    assert spec == FaultSpec()
    assert not spec.active


def test_canonical_text_parses_back_to_the_same_spec():
    spec = parse_fault_spec(EXAMPLE + ",truncate=0.002,rest_418=0.01,rest_5xx=0.02,retry_after=3s")
    assert parse_fault_spec(spec.to_text()) == spec


def test_reorder_window_defaults_to_five_frames():
    assert parse_fault_spec("reorder=0.01").reorder_window == 5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("explode=0.1", "unknown fault 'explode'"),
        ("drop=0.1,drop=0.2", "'drop' given twice"),
        ("drop=1.5", "probability must be in [0, 1]"),
        ("drop=-0.1", "probability must be in [0, 1]"),
        ("drop=lots", "not a probability"),
        ("drop", "not key=value"),
        ("reorder=0.1:x", "whole number of frames"),
        ("reorder=0.1:0", "reorder window must be >= 1"),
        ("delay_ms=50", "not MS@P"),
        ("delay_ms=50@2", "probability must be in [0, 1]"),
        ("disconnect_every=soon", "not a duration"),
        ("disconnect_every=0s", "must be > 0"),
        ("retry_after=1.5s", "whole seconds"),
        ("rest_429=0.6,rest_5xx=0.6", "must not exceed 1"),
    ],
)
def test_bad_specs_are_refused_naming_the_item(text, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_fault_spec(text)


@pytest.mark.parametrize(("text", "ns"), [("20s", 20 * 10**9), ("500ms", 5 * 10**8), ("2m", 120 * 10**9),
                                          ("1.5", 15 * 10**8), ("10us", 10_000)])  # fmt: skip
def test_durations_carry_units_and_default_to_seconds(text, ns):
    assert parse_duration_ns(text) == ns
