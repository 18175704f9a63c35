import pytest

from gridgov.grids.codes import CodeError, Level, compose_code, level_of, parent_code, validate_code


@pytest.mark.parametrize(
    ("code", "level"),
    [("210104", Level.DISTRICT), ("210104001", Level.STREET), ("210104001002", Level.COMMUNITY), ("210104001002003", Level.GRID)],
)
def test_level_follows_code_length(code, level):
    assert level_of(code) == level


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("21010400100", "11 digits"),
        ("2101040010020031", "16 digits"),
        ("21010400A002003", "digits only"),
        ("", "digits only"),
        ("000104001002003", "county-level"),
        ("210100001002003", "county-level"),
        ("210104000002003", "sequence 000 at digits 7-9"),
        ("210104001000003", "sequence 000 at digits 10-12"),
        ("210104001002000", "sequence 000 at digits 13-15"),
    ],
)
def test_malformed_codes_are_refused_with_the_reason(code, reason):
    with pytest.raises(CodeError, match=reason):
        validate_code(code)


def test_parent_is_the_prefix_one_level_up():
    assert parent_code("210104001002003") == "210104001002"
    assert parent_code("210104001002") == "210104001"
    assert parent_code("210104001") == "210104"
    assert parent_code("210104") is None


def test_compose_code_pads_the_sequence():
    assert compose_code("210104001002", 7) == "210104001002007"
    with pytest.raises(CodeError, match="outside 1-999"):
        compose_code("210104001002", 1000)
    with pytest.raises(CodeError, match="no children"):
        compose_code("210104001002003", 1)
