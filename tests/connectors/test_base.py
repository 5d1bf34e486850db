"""Wire-format helpers every connector shares."""

import json

import pytest

from connectors.base import MAX_JSON_DEPTH, parse_json


def nested(depth: int, open_: str = "[", close: str = "]", inner: str = "0") -> str:
    return open_ * depth + inner + close * depth


def test_json_nested_up_to_the_limit_is_read():
    assert parse_json(nested(MAX_JSON_DEPTH).encode()) == json.loads(nested(MAX_JSON_DEPTH))
    deep_objects = '{"a":' * MAX_JSON_DEPTH + "1" + "}" * MAX_JSON_DEPTH
    assert parse_json(deep_objects) == json.loads(deep_objects)


@pytest.mark.parametrize("text", [nested(MAX_JSON_DEPTH + 1), nested(900), nested(100_000),
                                  '{"a":' * 5000 + "1" + "}" * 5000, '{"a":[{"b":' * 40 + "1" + "}]}" * 40])
def test_json_nested_deeper_is_a_value_error_not_a_recursion_error(text):
    with pytest.raises(ValueError, match=f"nested deeper than {MAX_JSON_DEPTH} levels"):
        parse_json(text)


@pytest.mark.parametrize("body", [b"{", b"\xff\xfe", b""])
def test_what_is_not_json_is_a_value_error(body):
    with pytest.raises(ValueError, match="not JSON"):
        parse_json(body)
