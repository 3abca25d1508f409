"""Chinese item descriptions (`about_zh`): our own words, on every item or none."""

from __future__ import annotations

import copy

import pytest
import yaml

from survey.errors import ConfigError
from survey.instruments import load_instrument, read_instrument_file

DESCRIBED = ("phq9", "gad7", "isi", "who5")


@pytest.mark.parametrize("instrument_id", DESCRIBED)
def test_described_instruments_have_a_chinese_description_per_item(instrument_id):
    items = load_instrument(instrument_id).items
    assert all(item.about_zh for item in items)
    assert len({item.about_zh for item in items}) == len(items)


def test_about_zh_on_some_items_only_is_an_error(tmp_path):
    spec = copy.deepcopy(load_instrument("gad7").spec)
    del spec["items"][3]["about_zh"]
    path = tmp_path / "gad7.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"about_zh` on every item or none, found it missing on \['gad7_4'\]"):
        read_instrument_file(path)
