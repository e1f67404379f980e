from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.errors import PrecisionError
from actors.fixedpoint import fixed_to_decimal, fixed_to_str, level_converter, to_fixed


def test_to_fixed_scales_exactly():
    assert to_fixed("61837.63000000", 8) == 6_183_763_000_000
    assert to_fixed("61800.2", 2) == 6_180_020
    assert to_fixed("1001", 0) == 1001
    assert to_fixed("-0.5", 2) == -50


def test_to_fixed_accepts_trailing_zeros_beyond_scale_but_rejects_digits():
    assert to_fixed("1.2300", 2) == 123
    with pytest.raises(PrecisionError):
        to_fixed("1.234", 2)


@pytest.mark.parametrize("bad", ["", "abc", "1e5", "1.2.3", "--1", None, 5])
def test_to_fixed_rejects_non_decimals_with_typed_error(bad):
    with pytest.raises(PrecisionError):
        to_fixed(bad, 8)


def test_level_converter_fast_and_slow_paths_agree():
    convert = level_converter(2, 3)
    assert convert([["61800.20", "0.014"], ["61800.2", "1"], ["5", "0.0140"]]) == (
        (6_180_020, 14),
        (6_180_020, 1000),
        (500, 14),
    )


def test_level_converter_integer_sizes():
    assert level_converter(1, 0)([["61773.6", "1001"]]) == ((617_736, 1001),)


def test_level_converter_rejects_junk_with_typed_error():
    with pytest.raises(PrecisionError):
        level_converter(8, 8)([["x", "1"]])
    with pytest.raises(PrecisionError):
        level_converter(8, 8)([["1.0"]])


@given(st.decimals(min_value=0, max_value=10**9, places=8, allow_nan=False, allow_infinity=False))
def test_round_trip_is_exact(value):
    text = f"{value:.8f}"
    fixed = to_fixed(text, 8)
    assert fixed_to_str(fixed, 8) == text
    assert fixed_to_decimal(fixed, 8) == Decimal(text)


def test_level_converter_rejects_negative_and_exotic_digits():
    convert = level_converter(2, 2)
    for bad in (["-1.00", "1.00"], ["1.00", "-0.50"], ["1_0.00", "1.00"], ["١.00", "1.00"]):
        with pytest.raises(PrecisionError):
            convert([bad])


def test_level_converter_cache_stays_exact_and_bounded():
    convert = level_converter(2, 3, cache_size=4)
    levels = [[f"{i}.00", f"{i}.500"] for i in range(10)]
    assert convert(levels) == tuple((i * 100, i * 1000 + 500) for i in range(10))
    assert convert(levels[:2]) == ((0, 500), (100, 1500))
