"""``yujing replay --counts FILE.csv``: a count series through the daemon's detector.

``timestamp,value`` (one series named after the file) or ``timestamp,product,value``, with or
without a header, oldest first. The bucket size is the most common step between timestamps; the
window is at least one bucket. See ``replay`` for what the output lines hold.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

from yujing.config import Config, Detection
from yujing.records import format_time

from ..burst import BurstDetector, utc_offset
from .common import (
    DRAIN_WINDOWS,
    MEASURE_DIGITS,
    Emit,
    Events,
    ReplayInputError,
    Say,
    logged,
    longest_window,
    parse_local_time,
)

__all__ = ["replay_counts", "infer_bucket", "measurement_scale", "parse_local_time", "regular"]

_SPACE_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?$")


def _formatter(sample: str, tz: tzinfo) -> Callable[[datetime], str]:
    """Times written as the input writes them: naive ones in ``tz``, as they were read."""
    sample = sample.strip()
    if _SPACE_TIME.match(sample):
        pattern = "%Y-%m-%d %H:%M:%S" if sample.count(":") == 2 else "%Y-%m-%d %H:%M"
        return lambda dt: dt.astimezone(tz).strftime(pattern)
    naive = datetime.fromisoformat(sample).tzinfo is None
    if naive:
        return lambda dt: dt.astimezone(tz).replace(tzinfo=None).isoformat(timespec="seconds")
    return format_time


MAX_VALUE = 1e15  # past this a "count" is a column mix-up or an overflow, not a count
FIRST_YEAR = 1970  # buckets are counted from the epoch; older times are a wrong column


def _reading(row: list[str], ts_col: int, value_col: int, tz: tzinfo) -> tuple[datetime, float]:
    """A row's time and value, or a ValueError naming the field and what it should hold."""
    if max(ts_col, value_col) >= len(row):
        raise ValueError(f"{len(row)} column(s); expected a time and a value")
    raw_time, raw_value = row[ts_col].strip(), row[value_col].strip()
    try:
        year = datetime.fromisoformat(raw_time).year
        at = parse_local_time(raw_time, tz) if year >= FIRST_YEAR else None
    except (ValueError, OverflowError):
        raise ValueError(
            f'field "timestamp": {raw_time!r} is not a time (ISO 8601: 2026-11-20 14:00:00)'
        ) from None
    if at is None:
        raise ValueError(f'field "timestamp": {raw_time!r} is before {FIRST_YEAR}; is it the time?')
    try:
        value = float(raw_value)
    except ValueError:
        raise ValueError(f'field "value": {raw_value!r} is not a number') from None
    if not (math.isfinite(value) and 0 <= value <= MAX_VALUE):
        raise ValueError(f'field "value": {raw_value!r} is not a count (a number from 0 to 1e15)')
    return at, value


def _rows(
    path: Path,
    default_product: str,
    tz: tzinfo,
    refused: list[str] | None = None,
    say: Say = logged,
) -> Iterator[tuple[datetime, str, float]]:
    """(time, product, value) rows; a header row is recognised by its unparseable time. A bad
    row is left out, and named in ``refused`` (and to ``say``) when a list is given."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        cols: tuple[int, int | None, int] | None = None
        for lineno, row in enumerate(reader, 1):
            if not row or not "".join(row).strip():
                continue
            if cols is None:
                names = [c.strip().lower() for c in row]
                if len(row) >= 3:
                    cols = (0, 1, 2)
                    if "product" in names and "value" in names:
                        ts_col = names.index("timestamp") if "timestamp" in names else 0
                        cols = (ts_col, names.index("product"), names.index("value"))
                else:
                    cols = (0, None, 1)
                try:
                    parse_local_time(row[cols[0]], tz)
                except (ValueError, OverflowError):
                    continue  # the header
            ts_col, product_col, value_col = cols
            try:
                at, value = _reading(row, ts_col, value_col, tz)
            except ValueError as exc:
                if refused is not None:
                    refused.append(f"{path}:{lineno}: {exc}")
                    say(f"{refused[-1]}; row left out")
                continue
            product = row[product_col].strip() if product_col is not None else default_product
            yield at, product, value


def infer_bucket(times: list[float]) -> float:
    """The most common positive step between consecutive timestamps of one series."""
    steps = Counter(round(b - a, 3) for a, b in zip(times, times[1:], strict=False) if b > a)
    return float(steps.most_common(1)[0][0]) if steps else 3600.0


def _counts_detection(detection: Detection, bucket: float) -> Detection:
    def fit(window: float) -> float:
        return max(bucket, math.ceil(window / bucket - 1e-9) * bucket)

    rule = detection.burst.model_copy(
        update={"bucket": bucket, "window": fit(detection.burst.window)}
    )
    products = {
        p: o.model_copy(
            update={"bucket": None, "window": fit(o.window) if o.window is not None else None}
        )
        for p, o in detection.products.items()
    }
    return detection.model_copy(update={"burst": rule, "products": products})


def measurement_scale(values: list[float]) -> int:
    """The power of ten that turns a series' values into whole counts without losing resolution.

    Counts are whole numbers and are replayed as they are (scale 1). A series with fractional
    values (CPU percent, a price, a rate) is a measurement, not a count: rounding 0.13 to 0 would
    erase it. Its unit is arbitrary, so it is multiplied by the smallest power of ten that gives
    its typical (median non-zero) value ``MEASURE_DIGITS`` significant digits. The detector's
    verdicts do not depend on that choice: at such sizes the window's spread comes from the
    dispersion it learns from the series' own residuals, not from counting noise.
    """
    if all(v == math.floor(v) for v in values):
        return 1
    nonzero = sorted(abs(v) for v in values if v != 0)
    if not nonzero:
        return 1
    typical = nonzero[len(nonzero) // 2]
    digits = math.ceil(MEASURE_DIGITS - 1 - math.log10(typical) - 1e-9)
    return 10 ** min(max(digits, 0), 15)


def regular(times: list[float], values: list[float], bucket: float) -> bool:
    """Whether a missing row of this series is a gap in the data rather than a zero.

    An export that writes zeros (any value is 0), or whose rows mostly follow each other bucket
    by bucket (within half a bucket: sensors' clocks jitter), lists every bucket it has: a
    bucket without a row was not recorded (an outage, a sensor's missed reading), and reading it
    as zero would invent a drop and then a rise. A sparse export (rows only where something was
    counted, as ``GROUP BY hour`` gives for a quiet product) leaves zeros out: there a missing
    row is a zero.
    """
    if any(v == 0 for v in values):
        return True
    steps = [b - a for a, b in zip(times, times[1:], strict=False) if b > a]
    return bool(steps) and sum(d < 1.5 * bucket for d in steps) >= 0.5 * len(steps)


class _Readings:
    """One product's rows as bucket counts for the detector.

    Sparse series: each row's value is added to its bucket (a count). Regular series (see
    ``regular``): each row is a reading of its bucket, so two rows in one bucket (a repeated
    timestamp, a clock change) make their mean, not their sum; and the buckets between two rows
    are a gap, reported to the detector when the later row arrives, before it is judged.
    """

    def __init__(
        self, detector: BurstDetector, product: str, bucket: float, scale: int, dense: bool
    ):
        self.detector, self.product, self.bucket = detector, product, bucket
        self.scale, self.dense = scale, dense
        self.last_b: int | None = None
        self.last_v = 0.0  # the last bucket's value, scaled
        self.n = 0  # readings in the last bucket
        self.sent = 0  # what the detector was given for the last bucket

    def _at(self, b: int) -> datetime:
        return datetime.fromtimestamp(b * self.bucket, UTC)

    def add(self, at: datetime, value: float) -> None:
        v = max(0.0, value) * self.scale
        b = math.floor(at.timestamp() / self.bucket)
        if not self.dense:
            self.detector.observe_count(self.product, at, round(v), measurement=self.scale != 1)
            return
        if self.last_b is not None and b == self.last_b:
            self.n += 1
            self.last_v += (v - self.last_v) / self.n
            fix = round(self.last_v) - self.sent
            if fix:
                self.detector.observe_count(
                    self.product, self._at(b), fix, measurement=self.scale != 1
                )
                self.sent += fix
            return
        if self.last_b is not None and b > self.last_b + 1:
            self.detector.observe_gap(self.product, self._at(self.last_b + 1), self._at(b - 1))
        if self.last_b is None or b > self.last_b:
            self.last_b, self.last_v, self.n = b, v, 1
            self.sent = round(v)
            self.detector.observe_count(self.product, at, self.sent, measurement=self.scale != 1)
        else:  # out of order: counted where it belongs
            self.detector.observe_count(self.product, at, round(v), measurement=self.scale != 1)


def replay_counts(
    config: Config,
    path: Path,
    emit: Emit,
    watch: Callable[[datetime, BurstDetector], None] | None = None,
    say: Say = logged,
) -> int:
    """Replay ``path``'s rows through a detector, ``emit``-ting each alert event; ``watch``, when
    given, is called after each bucket is judged (its start, and the detector: ``Series.last``
    says what each series saw), for tools that study the detector's verdicts. How a series is
    read (a measurement, gaps) and every row left out is told to ``say``."""
    stem = path.stem
    first: str | None = None
    per_product: dict[str, list[float]] = {}
    values: dict[str, list[float]] = {}
    tz = config.tz
    for i, (at, product, value) in enumerate(_rows(path, stem, tz)):
        per_product.setdefault(product, []).append(at.timestamp())
        values.setdefault(product, []).append(value)
        if i >= 5000:
            break
    if not per_product:
        raise ReplayInputError(f"{path}: no row with a timestamp and a value")
    bucket = min(infer_bucket(sorted(t)) for t in per_product.values())
    detection = _counts_detection(config.detection, bucket)
    with path.open(encoding="utf-8-sig") as fh:
        for line in fh:
            cells = next(csv.reader([line]), [])
            if cells:
                try:
                    parse_local_time(cells[0])
                    first = cells[0]
                    break
                except (ValueError, OverflowError):
                    continue
    events = Events(emit, _formatter(first or "2000-01-01 00:00:00", tz))
    detector = BurstDetector(detection, None, utc_offset=utc_offset(tz))
    readings: dict[str, _Readings] = {}
    for p, v in values.items():
        k, dense = measurement_scale(v), regular(per_product[p], v, bucket)
        readings[p] = _Readings(detector, p, bucket, k, dense)
        if k != 1 or dense:
            say(
                f"{path}: {p}: "
                + (f"fractional values, replayed x{k}; " if k != 1 else "")
                + ("missing rows are gaps" if dense else "missing rows are zeros")
            )
    step = timedelta(seconds=bucket)
    current: datetime | None = None
    touched: set[str] = set()

    def evaluate(at: datetime) -> None:
        products = touched | {a.product for a in events.firing.values()}
        touched.clear()
        # A bucket is judged once it is complete: at its end. fired_at names the bucket itself.
        events.handle(detector.evaluate(sorted(products), at + step), fired_shift=step)
        if watch is not None:
            watch(at, detector)

    refused: list[str] = []
    for at, product, value in _rows(path, stem, tz, refused, say):
        if current is not None and at != current:
            evaluate(current)
        current = at
        r = readings.get(product)
        if r is None:  # first seen after the sample: a sparse count, scaled by its first value
            r = readings[product] = _Readings(
                detector, product, bucket, measurement_scale([value]), False
            )
        r.add(at, value)
        touched.add(product)
    if current is not None:
        evaluate(current)
        end = current + DRAIN_WINDOWS * timedelta(seconds=longest_window(detection))
        while events.firing and current < end:
            current += step
            evaluate(current)
    if refused:
        # What could be read was replayed; the exit says the file was not all it should be.
        raise ReplayInputError(
            f"{path}: {len(refused)} row(s) left out (named above); "
            f"{events.count} alert event(s) from the rest"
        )
    return events.count
