"""Caller region: geocoder text -> province/city, matching halls, GB/T 2260 codes, tier chain county -> city ->
province, and the lookup adapter on real numbers (a Guangdong mobile, a Shenzhen landline)."""
import pytest

from engine.domain.regions import (CallerRegion, HallLevel, HallRef, choose_tier, code_prefix, hall_for_code,
                                   match_hall, names_match, region_codes, split_description, tier_chain,
                                   validate_region_code, validate_tree)
from engine.region_lookup import area_code, lookup_region

P, C, K = HallLevel.PROVINCE, HallLevel.CITY, HallLevel.COUNTY
HALLS = [
    HallRef(1, "GD", "广东省", P, None, "440000"),
    HallRef(2, "SZ", "深圳市", C, 1, "440300"),
    HallRef(3, "FT", "福田区", K, 2, "440304"),
    HallRef(4, "NS", "南山区", K, 2, "440305"),
    HallRef(5, "ST", "汕头市", C, 1, "440500"),
    HallRef(6, "GZ", "广州市", C, 1, "440100", active=False),
    HallRef(7, "TH", "天河区", K, 6, "440106"),
]


@pytest.mark.parametrize("text, expected", [
    ("广东省深圳市", ("广东省", "深圳市")), ("北京市", ("北京市", "北京市")), ("重庆市", ("重庆市", "重庆市")),
    ("内蒙古呼和浩特市", ("内蒙古自治区", "呼和浩特市")), ("广西壮族自治区南宁市、崇左市", ("广西壮族自治区", "南宁市")),
    ("新疆维吾尔自治区乌鲁木齐市", ("新疆维吾尔自治区", "乌鲁木齐市")), ("中国", (None, None)), ("", (None, None)),
])
def test_geocoder_text_splits_into_province_and_city(text, expected):
    assert split_description(text) == expected


def test_names_and_codes():
    assert names_match("深圳", "深圳市") and names_match("广东", "广东省") and names_match("内蒙古", "内蒙古自治区")
    assert not names_match("深圳", "广州市") and not names_match(None, "深圳")
    assert [code_prefix(c) for c in ("440000", "440300", "440305")] == ["44", "4403", "440305"]
    assert region_codes("440305") == ("440000", "440300", "440305") and region_codes("440000") == ("440000",)
    assert validate_region_code("440305") is None
    assert "six digits" in validate_region_code("4403") and "province code" in validate_region_code("990000")


def test_tier_chain_walks_county_city_province():
    assert [h.code for h in tier_chain(HALLS[2], HALLS)] == ["FT", "SZ", "GD"]
    assert [h.code for h in tier_chain(HALLS[1], HALLS)] == ["SZ", "GD"]
    assert [h.code for h in tier_chain(HALLS[6], HALLS)] == ["TH", "GD"]        # inactive 广州 walked through
    loop = [HallRef(1, "A", "a", C, 2, "440300"), HallRef(2, "B", "b", C, 1, "440500")]
    assert [h.code for h in tier_chain(loop[0], loop)] == ["A", "B"]           # a cycle ends the chain


def test_hall_for_code_and_match_by_name():
    assert hall_for_code("440304", HALLS).code == "FT"
    assert hall_for_code("440306", HALLS).code == "SZ"          # 宝安 has no hall: its city's
    assert hall_for_code("440106", HALLS).code == "TH"
    assert hall_for_code("440111", HALLS).code == "GD"          # 广州 inactive: the province
    assert hall_for_code("110000", HALLS) is None
    assert match_hall("广东省", "深圳市", HALLS).code == "SZ"
    assert match_hall("广东省", "东莞市", HALLS).code == "GD"
    assert match_hall("北京市", "北京市", HALLS) is None


def test_choose_tier_takes_the_lowest_level_with_a_free_agent():
    chain = tier_chain(HALLS[2], HALLS)
    first = choose_tier(chain, {3: 2, 2: 5})
    assert first.hall.code == "FT" and first.reason == "福田区 (county) has 2 free agent(s)"
    busy_county = choose_tier(chain, {3: 0, 2: 0, 1: 4})
    assert busy_county.hall.code == "GD" and busy_county.reason == "福田区、深圳市 busy; 广东省 (province) has 4 free agent(s)"
    all_busy = choose_tier(chain, {})
    assert all_busy.hall is None and "all levels busy" in all_busy.reason


def test_tree_validation_names_the_hall():
    bad = [HallRef(1, "GD", "广东省", P, None, "440000"), HallRef(2, "SZ", "深圳市", K, 1, "450300"),
           HallRef(3, "X", "x", C, 2, "440300"), HallRef(4, "Y", "y", P, 1, "44")]
    problems = validate_tree(bad)
    assert "hall SZ: region 450300 is not inside its parent's 440000" in problems
    assert "hall X: parent SZ (county) must be above city" in problems
    assert "hall Y: a province hall has no parent" in problems
    assert any(p.startswith("hall Y: region code \"44\"") for p in problems)
    assert validate_tree(HALLS) == []


def test_a_guangdong_mobile_is_located_and_matched_to_its_city_hall():
    region = lookup_region("13531234567", HALLS)          # a 135 3123 segment of 汕头
    assert (region.kind, region.province, region.city) == ("mobile", "广东省", "汕头市")
    assert region.hall.code == "ST" and region.codes == ("440000", "440500")
    assert lookup_region("+86 135 3123 4567", HALLS).hall.code == "ST"


def test_a_shenzhen_landline_is_located_by_its_area_code():
    region = lookup_region("075583765432", HALLS)
    assert (region.kind, region.province, region.city, region.hall.code) == ("landline", "广东省", "深圳市", "SZ")
    assert str(region) == "广东省深圳市"
    assert lookup_region("0755-8376543", HALLS).city == "深圳市"      # odd length: the area code still counts
    assert area_code("02088888888") == "020" and area_code("01088888888") == "010"
    assert area_code("075583765432") == "0755" and area_code("13800138000") is None


def test_callers_outside_the_tree_or_unknown():
    beijing = lookup_region("13800138000", HALLS)
    assert (beijing.province, beijing.city, beijing.hall, beijing.codes) == ("北京市", "北京市", None, ("110000",))
    for number in ("", "anonymous", "10086", "12366"):
        region = lookup_region(number, HALLS)
        assert region == CallerRegion(kind="unknown") and not region.known
