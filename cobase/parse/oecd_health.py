"""Read OECD Health Statistics answers from the OECD SDMX API (SDMX-JSON or SDMX-CSV), one series per
indicator declared in ``sources.yml``.

The message is read by the generic :mod:`cobase.parse._sdmx` reader; this module only says what an OECD
observation means for cobase:

* the indicator is the one the spider asked for (``request_meta["indicator"]``): an SDMX message names
  the dataflow and the dimension values, not cobase's indicator code.
* the country is the reference-area dimension (``REF_AREA``; ``LOCATION`` in the legacy OECD.Stat
  layout), an ISO3 code for countries. Aggregates (``OECD``, ``EU27_2020``) are left to harmonization.
* the period is ``TIME_PERIOD``: ``2019``, ``2019-Q1``, ``2019-01`` or ``2019-01-15``, else the
  ``start``/``end`` the JSON gives. A message without a time dimension cannot be stored as dated
  evidence and raises :class:`~cobase.parse.ParseError`.
* breakdowns: the request key pins every dimension but the area for most series; a dimension left open
  that comes back with several values (sex, age) becomes the record's breakdown, ``"SEX=F"``; dimensions
  with one value in the answer are not repeated on every record.
* ``UNIT_MULT`` (a power of ten) is applied, so the stored value is in the unit ``sources.yml`` states.
* **only what was asked for is accepted.** The request names a dataflow and a key
  (``request_meta["dataflow"]``, ``["key"]``); the answer must name the same dataflow (agency and id:
  the JSON structure's ``dataflow`` link, the CSV's ``STRUCTURE_ID``/``DATAFLOW`` column), and every
  observation must carry, in each dimension the key pins (``MEASURE``, ``UNIT_MEASURE``...), one of the
  values asked for. Otherwise the answer is refused (:class:`~cobase.parse.ParseError`): the GDP series
  served at the physicians' path must never be stored as "practising physicians per 1 000".
* ``UNIT_MEASURE`` and ``CURRENCY`` given as attributes that differ between observations become part of
  the breakdown (two currencies are two series, never one); ``UNIT_MULT`` is applied to each value.
* observations without a value (``null``, empty, ``NaN``) are skipped.
* the message states when it was *prepared* (the retrieval), not when OECD published the series, so
  ``published_at`` stays empty and the retrieval date stands in.

OECD Health Statistics covers the OECD members and a few partner countries; :func:`covers` says whether a
country is among them (the list is ``params.countries`` of the source in ``sources.yml``, the same list the
spider requests), so that a gap can read "not covered by the OECD" rather than "no data".

Why not the maintained ``sdmx1`` package: tried (2.28) on the OECD's own answers, offline, it cannot read
them. The SDMX-JSON 1.0 data message of ``sdmx.oecd.org`` (``meta`` + ``data`` with one ``structure``)
fails with ``KeyError: 'structures'``, and its SDMX-CSV reader needs the dataflow's structure
definition, which would be one more request per refresh and one more snapshot to keep in step. The small
reader of :mod:`cobase.parse._sdmx` reads both from the answer alone; its tests pin its behaviour on
recorded answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from cobase.clock import BadDateError, month_period, period_from_year_text, quarter_period
from cobase.parse import ParsedRecord, ParseError, number_text
from cobase.parse._sdmx import SdmxData, SdmxObservation, read_sdmx

SOURCE = "oecd_health"
# What ``published_at`` means here: the OECD states no date: every record is ``first_seen`` (this default is
# never used).
PUBLISHED_BASIS = "last_modified"

_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse(body: bytes, url: str, request_meta: Mapping[str, Any]) -> Iterator[ParsedRecord]:
    """Yield one record per observation with a value, for the indicator the request was made for."""
    indicator = str(request_meta.get("indicator") or "").strip()
    if not indicator:
        raise ParseError(
            f"{SOURCE}: {url}: the request carries no indicator code (request_meta['indicator'])"
        )
    data = read_sdmx(body, url, SOURCE)
    _check_asked_for(data, request_meta, url)
    observations = [obs for obs in data.observations if obs.value is not None]
    if not observations:
        return
    if data.area_dimension is None:
        raise ParseError(f"{SOURCE}: {url} has no reference-area dimension (REF_AREA or LOCATION)")
    if not data.has_time_dimension:
        raise ParseError(f"{SOURCE}: {url} has no TIME_PERIOD dimension: its values cannot be dated")
    breakdowns = _varying_dimensions(observations, exclude=data.area_dimension)
    breakdowns += [
        name
        for name in _UNIT_ATTRIBUTES
        if name not in breakdowns and len({obs.attributes.get(name) for obs in observations}) > 1
    ]
    for observation in observations:
        yield _record(observation, indicator, data.area_dimension, breakdowns, url)


_UNIT_ATTRIBUTES = ("UNIT_MEASURE", "CURRENCY")


def _flow_id(text: str) -> tuple[str, str]:
    """(agency, id) of ``OECD.ELS.HD,DSD_SHA@DF_SHA,1.1`` or ``OECD.ELS.HD:DSD_SHA@DF_SHA(1.1)``."""
    cleaned = text.strip().split("(", 1)[0]
    parts = [part.strip() for part in cleaned.replace(":", ",").split(",")]
    return (parts[0], parts[1]) if len(parts) >= 2 else ("", parts[0])


def _check_asked_for(data: SdmxData, request_meta: Mapping[str, Any], url: str) -> None:
    """Refuse an answer for another dataflow, or with values outside the dimensions the key pins."""
    asked = str(request_meta.get("dataflow") or "").strip()
    if asked:
        if data.dataflow is None:
            raise ParseError(f"{SOURCE}: {url} does not say which dataflow it holds (asked {asked})")
        if _flow_id(data.dataflow) != _flow_id(asked):
            raise ParseError(
                f"{SOURCE}: {url} holds dataflow {data.dataflow}, not the {asked} that was asked for: refused"
            )
    key = str(request_meta.get("key") or "").strip()
    if not key or data.key_order is None:
        return
    parts = key.split(".")
    if len(parts) != len(data.key_order):
        raise ParseError(
            f"{SOURCE}: {url}: the key asked for has {len(parts)} dimensions, the answer's dataflow "
            f"{len(data.key_order)} ({'.'.join(data.key_order)}): refused"
        )
    pinned = {dim: set(part.split("+")) for dim, part in zip(data.key_order, parts, strict=True) if part}
    for observation in data.observations:
        for dim, wanted in pinned.items():
            value = observation.key.get(dim) or observation.attributes.get(dim)
            if value not in wanted:
                raise ParseError(
                    f"{SOURCE}: {url} holds {dim}={value}, not the {'+'.join(sorted(wanted))} that was "
                    "asked for: refused"
                )


def _record(
    observation: SdmxObservation, indicator: str, area: str, breakdowns: list[str], url: str
) -> ParsedRecord:
    country = observation.key.get(area, "").strip()
    where = f"{SOURCE}: {url} ({country or '?'} {observation.time_period or '?'})"
    if not country:
        raise ParseError(f"{where}: an observation has no {area}")
    period_start, period_end = _period(observation, where)
    value = observation.value
    if isinstance(value, float):
        value *= 10 ** _unit_multiplier(observation, where)
        value_num: float | None = value
        value_text = number_text(value)
    else:
        value_num, value_text = None, str(value)
    return ParsedRecord(
        country=country,
        indicator=indicator,
        period_start=period_start,
        period_end=period_end,
        value_text=value_text,
        value_num=value_num,
        breakdown=";".join(
            f"{dim}={observation.key.get(dim, observation.attributes.get(dim, ''))}" for dim in breakdowns
        ),
    )


def _varying_dimensions(observations: list[SdmxObservation], exclude: str) -> list[str]:
    """Dimensions (in message order) that take more than one value among the observations."""
    order = list(dict.fromkeys(dim for obs in observations for dim in obs.key))
    return [dim for dim in order if dim != exclude and len({obs.key.get(dim) for obs in observations}) > 1]


def _period(observation: SdmxObservation, where: str) -> tuple[date, date]:
    text = (observation.time_period or "").strip()
    if m := _QUARTER.match(text):
        return quarter_period(int(m.group(1)), int(m.group(2)))
    if (m := _MONTH.match(text)) and 1 <= int(m.group(2)) <= 12:
        return month_period(int(m.group(1)), int(m.group(2)))
    try:
        if _DAY.match(text):
            day = date.fromisoformat(text)
            return day, day
        return period_from_year_text(text)
    except (BadDateError, ValueError):
        if observation.period is not None:
            return observation.period
    raise ParseError(f"{where}: unreadable TIME_PERIOD {text!r} (expected 2019, 2019-Q1, 2019-01)")


def _unit_multiplier(observation: SdmxObservation, where: str) -> int:
    text = observation.attributes.get("UNIT_MULT", "0").strip() or "0"
    try:
        return int(text)
    except ValueError:
        raise ParseError(f"{where}: UNIT_MULT {text!r} is not a power of ten") from None
