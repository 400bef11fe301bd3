"""A small, generic reader of SDMX data messages: SDMX-JSON (1.0, 2.0 and the legacy OECD.Stat layout) and
SDMX-CSV (with or without label columns). It knows nothing of any producer's dataflows; a source's parser
turns the :class:`SdmxObservation` it yields into records.

SDMX-JSON, in short: ``structure.dimensions`` lists the dimensions at each level (``dataSet``, ``series``,
``observation``), each with its ``values``; an observation is keyed by the positions of its values,
``"0:1:2"``, either directly in ``dataSets[0].observations`` (flat, ``dimensionAtObservation=
AllDimensions``) or inside ``dataSets[0].series["0:1"].observations["2"]``. Its array holds the value,
then the positions of the observation-level attribute values. The message sits at the top level (legacy
``stats.oecd.org``: ``header``, ``dataSets``, ``structure``) or under ``data`` (``sdmx.oecd.org``:
``meta``, ``data``); SDMX-JSON 2.0 lists ``structures``.

Quirk: the legacy OECD.Stat JSON declares observation attributes that have no values (``TIME_FORMAT``)
and leaves them out of the observation arrays, so positions refer to the attributes *with* values only.
Attribute positions are read per the standard first and, when one points past its attribute's values,
again over the attributes that have values (as khaeru/sdmx#64 found). Attributes that still do not
resolve are left out: they never change a value or its key.

SDMX-CSV: one row per observation; the dimension columns come before ``OBS_VALUE`` (after the
``STRUCTURE``/``DATAFLOW`` and ``ACTION`` columns), attributes after it. ``csvfilewithlabels`` adds a
label column after each coded one, headed by a name such as "Reference area": columns whose header is not
an upper-case SDMX identifier are labels and are skipped.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cobase.clock import date_part
from cobase.parse import ParseError

TIME_DIMENSIONS = ("TIME_PERIOD", "TIME")
AREA_DIMENSIONS = ("REF_AREA", "LOCATION", "COU", "COUNTRY")
_CSV_STRUCTURE_COLUMNS = {"STRUCTURE", "STRUCTURE_ID", "STRUCTURE_NAME", "DATAFLOW", "ACTION"}
_IDENTIFIER = re.compile(r"^[A-Z][A-Z0-9_]*$")
_BOM_AND_SPACE = b"\xef\xbb\xbf \t\r\n"


@dataclass(frozen=True)
class SdmxObservation:
    """One observation: its dimension values (time excluded), time period, value and attributes."""

    key: dict[str, str]
    value: float | str | None
    time_period: str | None = None
    period: tuple[date, date] | None = None
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SdmxData:
    """The observations of a message, and which dimension holds the reference area (if any)."""

    observations: list[SdmxObservation]
    area_dimension: str | None
    has_time_dimension: bool
    dataflow: str | None = None
    """The dataflow the message says it holds, as written (``OECD.ELS.HD:DSD_SHA@DF_SHA(1.1)``), if any."""
    key_order: list[str] | None = None
    """The dimensions in the order of a data query's key (time excluded), when the message tells it."""


def read_sdmx(body: bytes, url: str, source: str) -> SdmxData:
    """Read an SDMX-JSON or SDMX-CSV message, told apart by its first character; errors name ``source``."""
    start = body.lstrip(_BOM_AND_SPACE)[:1]
    if not start:
        raise ParseError(f"{source}: {url} returned an empty body")
    if start == b"{":
        return read_sdmx_json(body, url, source)
    return read_sdmx_csv(body, url, source)


# --- SDMX-JSON -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Component:
    id: str
    values: list[dict[str, Any]]
    roles: tuple[str, ...] = ()
    default: str | None = None

    def value_at(self, position: Any) -> dict[str, Any] | None:
        if isinstance(position, bool) or not isinstance(position, int):
            return None
        return self.values[position] if 0 <= position < len(self.values) else None


def read_sdmx_json(body: bytes, url: str, source: str) -> SdmxData:
    """Every observation of the first data set of an SDMX-JSON message."""
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise ParseError(f"{source}: {url} is not valid JSON ({exc})") from None
    if not isinstance(document, dict):
        raise ParseError(f"{source}: {url} is not an SDMX-JSON message (not an object)")
    _raise_errors(document, url, source)
    message = document["data"] if isinstance(document.get("data"), dict) else document
    structure = message.get("structure")
    if structure is None and isinstance(message.get("structures"), list) and message["structures"]:
        structure = message["structures"][0]  # SDMX-JSON 2.0
    if not isinstance(structure, dict) or not isinstance(structure.get("dimensions"), dict):
        raise ParseError(f"{source}: {url} is not an SDMX-JSON message: no structure with dimensions")
    data_sets = message.get("dataSets")
    if not isinstance(data_sets, list):
        raise ParseError(f"{source}: {url} is not an SDMX-JSON message: no dataSets list")
    layout = _Layout.of(structure, f"{source}: {url}")
    observations = [
        observation for data_set in data_sets[:1] for observation in layout.observations(data_set)
    ]
    return SdmxData(
        observations=observations,
        area_dimension=_area_dimension(layout.all_dimensions),
        has_time_dimension=bool(layout.time_ids),
        dataflow=_dataflow_of(structure),
        key_order=_key_order(structure),
    )


_DATAFLOW_URN = "Dataflow="


def _dataflow_of(structure: Mapping[str, Any]) -> str | None:
    """The dataflow a JSON message names in its structure links (``rel: dataflow``), if any."""
    for link in structure.get("links") or []:
        if isinstance(link, dict) and link.get("rel") == "dataflow":
            urn = str(link.get("urn") or link.get("href") or "")
            return urn.split(_DATAFLOW_URN, 1)[1] if _DATAFLOW_URN in urn else urn or None
    return None


def _key_order(structure: Mapping[str, Any]) -> list[str] | None:
    """Dimension ids by ``keyPosition`` (time excluded); None when a dimension does not give it."""
    positioned = []
    for level in _LEVELS:
        for entry in structure["dimensions"].get(level) or []:
            if not isinstance(entry, dict) or entry.get("id") in TIME_DIMENSIONS:
                continue
            if not isinstance(entry.get("keyPosition"), int):
                return None
            positioned.append((entry["keyPosition"], str(entry["id"])))
    return [dim_id for _position, dim_id in sorted(positioned)]


_LEVELS = ("dataSet", "series", "observation")


@dataclass(frozen=True)
class _Layout:
    """The components of a message by level, and how to turn a data set into observations."""

    dimensions: dict[str, list[_Component]]
    attributes: dict[str, list[_Component]]
    where: str

    @classmethod
    def of(cls, structure: Mapping[str, Any], where: str) -> _Layout:
        return cls(
            dimensions={level: _components(structure["dimensions"], level, where) for level in _LEVELS},
            attributes={
                level: _components(structure.get("attributes") or {}, level, where) for level in _LEVELS
            },
            where=where,
        )

    @property
    def all_dimensions(self) -> list[_Component]:
        return [component for level in _LEVELS for component in self.dimensions[level]]

    @property
    def time_ids(self) -> set[str]:
        return {component.id for component in self.all_dimensions if _is_time(component)}

    def observations(self, data_set: Any) -> Iterator[SdmxObservation]:
        if not isinstance(data_set, dict):
            raise ParseError(f"{self.where}: a data set is not an object")
        key = {
            component.id: component.values[0] for component in self.dimensions["dataSet"] if component.values
        }
        attributes = _attribute_values(data_set.get("attributes") or [], self.attributes["dataSet"])
        if not isinstance(data_set.get("series"), dict):
            yield from self._observations(data_set.get("observations") or {}, key, attributes)
            return
        for series_key, series in data_set["series"].items():
            if not isinstance(series, dict):
                raise ParseError(f"{self.where}: series {series_key!r} is not an object")
            series_values = _key_values(series_key, self.dimensions["series"], self.where)
            series_attributes = _attribute_values(series.get("attributes") or [], self.attributes["series"])
            yield from self._observations(
                series.get("observations") or {},
                {**key, **series_values},
                {**attributes, **series_attributes},
            )

    def _observations(
        self, raw: Any, base_key: Mapping[str, dict[str, Any]], base_attributes: Mapping[str, str]
    ) -> Iterator[SdmxObservation]:
        if not isinstance(raw, dict):
            raise ParseError(f"{self.where}: observations are not an object keyed by value positions")
        time_ids = self.time_ids
        for observation_key, entry in raw.items():
            if not isinstance(entry, list) or not entry:
                raise ParseError(f"{self.where}: observation {observation_key!r} is not a non-empty array")
            values = {**base_key, **_key_values(observation_key, self.dimensions["observation"], self.where)}
            time_value = next((values.pop(dim_id) for dim_id in list(values) if dim_id in time_ids), None)
            yield SdmxObservation(
                key={dim_id: str(value.get("id")) for dim_id, value in values.items()},
                value=_observation_value(entry[0], observation_key, self.where),
                time_period=str(time_value.get("id")) if time_value else None,
                period=_start_end(time_value) if time_value else None,
                attributes={
                    **base_attributes,
                    **_attribute_values(entry[1:], self.attributes["observation"]),
                },
            )


def _components(section: Mapping[str, Any], level: str, where: str) -> list[_Component]:
    raw = section.get(level) or []
    if not isinstance(raw, list):
        raise ParseError(f"{where}: structure {level} components are not a list")
    components = []
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise ParseError(f"{where}: a {level} component has no id")
        values = entry.get("values") or []
        roles = entry.get("roles") or entry.get("role") or ()
        default = entry.get("default")
        components.append(
            _Component(
                id=entry["id"],
                values=[value for value in values if isinstance(value, dict)],
                roles=tuple(roles) if isinstance(roles, list) else (str(roles),),
                default=None if default is None else str(default),
            )
        )
    return components


def _key_values(key: str, components: Sequence[_Component], where: str) -> dict[str, dict[str, Any]]:
    """``"0:2"`` -> ``{dimension id: value object}``; the positions follow the components' order."""
    parts = key.split(":") if key else []
    if len(parts) != len(components):
        raise ParseError(f"{where}: key {key!r} has {len(parts)} positions for {len(components)} dimensions")
    resolved = {}
    for part, component in zip(parts, components, strict=True):
        value = component.value_at(int(part)) if part.isdigit() else None
        if value is None:
            raise ParseError(f"{where}: key {key!r}: {part!r} is not a value of dimension {component.id}")
        resolved[component.id] = value
    return resolved


def _attribute_values(positions: Sequence[Any], components: Sequence[_Component]) -> dict[str, str]:
    """Attribute id -> value id, tolerating the OECD.Stat layout (see the module docstring)."""
    resolved = _resolve_attributes(positions, components)
    if resolved is None:
        resolved = _resolve_attributes(positions, [c for c in components if c.values]) or {}
    for component in components:
        if component.id not in resolved and component.default is not None:
            resolved[component.id] = component.default
    return resolved


def _resolve_attributes(positions: Sequence[Any], components: Sequence[_Component]) -> dict[str, str] | None:
    resolved = {}
    for position, component in zip(positions, components, strict=False):
        if position is None:
            continue
        value = component.value_at(position)
        if value is None:
            return None
        resolved[component.id] = str(value.get("id"))
    return resolved


def _observation_value(raw: Any, key: str, where: str) -> float | str | None:
    if raw is None:
        return None  # a missing value reported as such
    if isinstance(raw, str):
        return _number_or_text(raw)
    if isinstance(raw, float | int) and not isinstance(raw, bool):
        return float(raw)
    raise ParseError(f"{where}: observation {key!r} has a value that is neither a number nor text: {raw!r}")


def _start_end(value: Mapping[str, Any]) -> tuple[date, date] | None:
    """The period from the value's ``start``/``end`` (date part as written), when the message gives them."""
    start, end = value.get("start"), value.get("end")
    try:
        return (date_part(start), date_part(end)) if start and end else None
    except ValueError:
        return None


def _raise_errors(document: Mapping[str, Any], url: str, source: str) -> None:
    errors = document.get("errors")
    if not errors:
        return
    described = "; ".join(
        " ".join(str(error.get(part)) for part in ("code", "title", "detail") if error.get(part))
        if isinstance(error, dict)
        else str(error)
        for error in (errors if isinstance(errors, list) else [errors])
    )
    raise ParseError(f"{source}: the SDMX service answered {url} with an error: {described}")


def _area_dimension(components: Sequence[_Component]) -> str | None:
    by_role = next((c.id for c in components if "REF_AREA" in c.roles), None)
    return by_role or next((c.id for c in components if c.id in AREA_DIMENSIONS), None)


def _is_time(component: _Component) -> bool:
    return component.id in TIME_DIMENSIONS or "TIME_PERIOD" in component.roles


# --- SDMX-CSV ------------------------------------------------------------------------------------------


def read_sdmx_csv(body: bytes, url: str, source: str) -> SdmxData:
    """Every row of an SDMX-CSV message (``format=csvfile`` or ``csvfilewithlabels``)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{source}: {url} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    rows = csv.reader(io.StringIO(text, newline=""))
    header = next(rows, [])
    if "OBS_VALUE" not in header:
        raise ParseError(
            f"{source}: {url} is neither SDMX-JSON nor SDMX-CSV "
            f"(no column 'OBS_VALUE'; it starts with {body[:40]!r})"
        )
    value_at = header.index("OBS_VALUE")
    coded = [(i, name) for i, name in enumerate(header) if _IDENTIFIER.match(name)]
    dimensions = [(i, name) for i, name in coded if i < value_at and name not in _CSV_STRUCTURE_COLUMNS]
    attribute_columns = [(i, name) for i, name in coded if i > value_at]
    time_at = next((i for i, name in dimensions if name in TIME_DIMENSIONS), None)
    observations = []
    first_row: list[str] | None = None
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        first_row = first_row or row
        if len(row) <= value_at:
            raise ParseError(
                f"{source}: line {line} of {url} has {len(row)} cells, OBS_VALUE is column {value_at + 1}"
            )
        observations.append(
            SdmxObservation(
                key={name: row[i].strip() for i, name in dimensions if i != time_at and i < len(row)},
                value=_number_or_text(row[value_at]),
                time_period=row[time_at].strip() if time_at is not None and time_at < len(row) else None,
                attributes={
                    name: row[i].strip() for i, name in attribute_columns if i < len(row) and row[i].strip()
                },
            )
        )
    names = [name for _i, name in dimensions]
    structure_at = next((i for i, name in enumerate(header) if name in ("STRUCTURE_ID", "DATAFLOW")), None)
    dataflow = None
    if structure_at is not None and first_row and structure_at < len(first_row):
        dataflow = first_row[structure_at].strip() or None
    return SdmxData(
        observations=observations,
        area_dimension=next((name for name in names if name in AREA_DIMENSIONS), None),
        has_time_dimension=time_at is not None,
        dataflow=dataflow,
        # SDMX-CSV lists the dimensions in the structure's order, the order of a query key.
        key_order=[name for i, name in dimensions if i != time_at],
    )


def _number_or_text(text: str) -> float | str | None:
    cleaned = text.strip()
    if not cleaned:
        return None
    try:
        number = float(cleaned)
    except ValueError:
        return cleaned
    return None if math.isnan(number) else number  # "NaN" is how some exports write a missing value
