"""Drift is never silent (issue 10, item 6): the shape of an answer, and how it is weighed against the
previous answer to the same request. Pure functions; the end-to-end refreshes are test_drift_e2e.py."""

from __future__ import annotations

import io
import json
import zipfile

from cobase.drift import Shape, ShapeObserver, body_fields, compare
from cobase.harmonize.records import ObservationIn
from tests.helpers import fixture_bytes

GHO_FIELDS = {
    "Comments", "DataSourceDim", "DataSourceDimType", "Date", "Dim1", "Dim1Type", "Dim2", "Dim2Type", "Dim3",
    "Dim3Type", "High", "Id", "IndicatorCode", "Low", "NumericValue", "ParentLocation", "ParentLocationCode",
    "SpatialDim", "SpatialDimType", "TimeDim", "TimeDimType", "TimeDimensionBegin", "TimeDimensionEnd",
    "TimeDimensionValue", "Value",
}  # fmt: skip


def _row(country: str, value: float | None, breakdown: str = "", indicator: str = "I") -> ObservationIn:
    from datetime import date

    text = "n/a" if value is None else str(value)
    return ObservationIn(
        country, indicator, date(2023, 1, 1), date(2023, 12, 31), text, value, None, breakdown
    )


def _shape(rows: list[ObservationIn], body: bytes = b"") -> Shape:
    observer = ShapeObserver()
    assert list(observer.watch(rows)) == rows  # passed through unchanged
    return observer.shape(body)


# --- fields of raw bodies -------------------------------------------------------------------------------


def test_gho_fields_are_the_keys_of_every_row() -> None:
    fields = body_fields(fixture_bytes("who_gho", "HIV_ARTCOVERAGE.json"))
    assert set(fields) == {"value[]"} and set(fields["value[]"]) == GHO_FIELDS


def test_world_bank_fields_are_the_page_header_and_the_rows() -> None:
    fields = body_fields(fixture_bytes("worldbank_wdi", "SH.MED.PHYS.ZS.json"))
    assert fields["[][]"] == [
        "country",
        "countryiso3code",
        "date",
        "decimal",
        "indicator",
        "obs_status",
        "unit",
        "value",
    ]
    assert "lastupdated" in fields["[]"]


def test_reliefweb_fields_stop_at_the_report_not_its_nested_lists() -> None:
    fields = body_fields(fixture_bytes("reliefweb_reports", "reports_GIN_offset0.json"))
    assert set(fields) == {"data[]"} and "fields" in fields["data[]"]


def test_only_keys_every_row_holds_count() -> None:
    body = json.dumps({"value": [{"a": 1, "b": 2}, {"a": 3}]}).encode()
    assert body_fields(body) == {"value[]": ["a"]}


def test_csv_and_zip_fields_are_headers() -> None:
    assert body_fields(b"\xef\xbb\xbfA,B,C\r\n1,2,3\r\n") == {"": ["A", "B", "C"]}
    fields = body_fields(fixture_bytes("unaids_aidsinfo", "Estimates_2025_en.zip"))
    assert (
        "Indicator_GId" in fields["Estimates_2025_en.csv"] and "Area Level" in fields["Estimates_2025_en.csv"]
    )


def test_bodies_without_fields() -> None:
    assert body_fields(b"%PDF-1.7 ...") == {} and body_fields(b"<html></html>") == {}
    assert body_fields(b"{not json") == {} and body_fields(b"PK\x03\x04broken") == {}


def test_shape_survives_its_json() -> None:
    shape = _shape([_row("GIN", 1.0, "SEX=F"), _row("GIN", None, "SEX=M")], b'{"value":[{"x":1}]}')
    again = Shape.from_json(shape.to_json())
    assert again == shape and again.series == 2 and again.indicators["I"].breakdowns == {"SEX"}


# --- the verdict ------------------------------------------------------------------------------------------

NUMBERS = [_row("GIN", 60.0), _row("CIV", 40.0)]


def test_no_previous_answer_no_verdict() -> None:
    verdict = compare(None, _shape(NUMBERS))
    assert (verdict.refusals, verdict.warnings) == ([], [])


def test_numbers_turned_into_text_are_refused() -> None:
    verdict = compare(_shape(NUMBERS), _shape([_row("GIN", None), _row("CIV", None)]))
    assert verdict.refusals == ["the values of I are now text, they were numbers"]


def test_some_text_among_numbers_is_not_drift() -> None:
    verdict = compare(_shape(NUMBERS), _shape([_row("GIN", None), _row("CIV", 41.0)]))
    assert (verdict.refusals, verdict.warnings) == ([], [])


def test_lost_breakdown_is_refused() -> None:
    before = _shape([_row("GIN", 1.0, "SEX=F"), _row("GIN", 2.0, "SEX=M")])
    verdict = compare(before, _shape([_row("GIN", 1.0), _row("GIN", 2.0)]))
    assert verdict.refusals == ["the breakdown SEX of I is gone"]


def test_renamed_field_with_fewer_series_is_refused_naming_the_field() -> None:
    before = _shape(NUMBERS, json.dumps({"value": [{"value": 1, "date": "2023"}]}).encode())
    after = _shape([], json.dumps({"value": [{"obs": 1, "date": "2023"}]}).encode())
    assert compare(before, after).refusals == ["field 'value[].value' is no longer in the answer (renamed?)"]


def test_lost_field_with_the_same_values_is_only_flagged() -> None:
    before = _shape(NUMBERS, json.dumps({"value": [{"a": 1, "Comments": None}]}).encode())
    verdict = compare(before, _shape(NUMBERS, json.dumps({"value": [{"a": 1}]}).encode()))
    assert verdict.refusals == [] and verdict.warnings == [
        "field 'value[].Comments' is no longer in the answer; the values read are unchanged"
    ]


def test_a_withdrawn_row_is_flagged_not_refused() -> None:
    verdict = compare(_shape(NUMBERS, b"A,B\n1,2\n"), _shape(NUMBERS[:1], b"A,B\n1,2\n"))
    assert verdict.refusals == [] and verdict.warnings == [
        "fewer series than the previous answer to the same request (2 -> 1): the missing ones are marked "
        "withdrawn"
    ]


def test_an_emptied_answer_is_flagged_not_refused() -> None:
    verdict = compare(_shape(NUMBERS, b'{"value":[{"a":1}]}'), _shape([], b'{"value":[]}'))
    assert verdict.refusals == [] and "2 -> 0" in verdict.warnings[0]


def test_more_series_or_new_fields_are_fine() -> None:
    before = _shape(NUMBERS[:1], b"A,B\n1,2\n")
    verdict = compare(before, _shape(NUMBERS, b"A,B,C\n1,2,3\n"))
    assert (verdict.refusals, verdict.warnings) == ([], [])


def test_zip_member_header_lost_column_is_seen() -> None:
    def zipped(header: str) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("GAM.csv", f"{header}\n1,2,3\n")
        return buffer.getvalue()

    before = _shape(NUMBERS, zipped("Indicator,Area ID,Data value"))
    after = _shape(NUMBERS[:1], zipped("Indicator,Area ID,Value"))
    assert compare(before, after).refusals == [
        "field 'GAM.csv.Data value' is no longer in the answer (renamed?)"
    ]


def test_search_results_are_not_complete_answers() -> None:
    before = _shape([_row("GIN", None, "report=1;source=WHO"), _row("GIN", None, "report=2;source=MSF")])
    after = _shape([_row("GIN", None, "report=3")])
    assert compare(before, after).refusals == ["the breakdown source of I is gone"]
    verdict = compare(before, after, complete=False)
    assert (verdict.refusals, verdict.warnings) == ([], [])
