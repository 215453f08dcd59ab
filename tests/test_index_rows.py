"""RowFile: rows of a saved array, read with pread or from the whole file held in memory (a
small one), equal NumPy's own reading of the file, in the order asked, and a damaged file is
refused with the fix."""

from __future__ import annotations

import numpy as np
import pytest

from index.store.rows import RowFile


@pytest.fixture(autouse=True, params=["pread", "whole"])
def way(request, monkeypatch):
    """Every test runs both ways a RowFile reads: by pread, and from the file read whole."""
    monkeypatch.setattr(RowFile, "WHOLE_BYTES", 0 if request.param == "pread" else RowFile.WHOLE_BYTES)
    return request.param


@pytest.fixture
def saved(tmp_path):
    matrix = np.random.default_rng(2).normal(size=(500, 12)).astype(np.float16)
    with open(tmp_path / "m.npy", "wb") as handle:
        np.save(handle, matrix)
    return matrix, tmp_path / "m.npy"


def test_rows_come_back_as_numpy_reads_them_in_the_order_asked(saved):
    matrix, path = saved
    rows = RowFile(path)
    assert rows.shape == (500, 12) and rows.dtype == np.float16 and len(rows) == 500
    for ids in ([7], [499, 0, 3, 4, 5, 3], list(range(100, 140)) + [2, 2], []):
        got = rows[np.array(ids, dtype=np.int64)]
        assert got.shape == (len(ids), 12) and np.array_equal(got, matrix[ids])
    assert np.array_equal(rows[17], matrix[17]) and np.array_equal(rows[-1], matrix[-1])
    assert np.array_equal(rows[10:20], matrix[10:20]) and np.array_equal(np.asarray(rows), matrix)
    assert np.asarray(rows, dtype=np.float32).dtype == np.float32


def test_a_one_dimensional_array_reads_by_slices_and_positions(tmp_path):
    values = np.arange(1000, dtype=np.int32) * 7
    np.save(tmp_path / "v.npy", values)
    rows = RowFile(tmp_path / "v.npy")
    assert rows.shape == (1000,) and len(rows) == 1000
    assert np.array_equal(rows[10:500], values[10:500]) and rows[10:10].shape == (0,)
    positions = np.array([999, 3, 4, 5, 600, 3])
    assert np.array_equal(rows[positions], values[positions]) and rows[42] == 294


def test_rows_outside_the_file_and_damaged_files_are_refused(saved, tmp_path):
    matrix, path = saved
    rows = RowFile(path)
    with pytest.raises(IndexError, match=r"rows \[500\] are outside 0..499"):
        rows[np.array([3, 500])]
    cut = tmp_path / "cut.npy"
    cut.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match="shorter than the 500 rows.*--rebuild"):
        RowFile(cut)
    cube = tmp_path / "cube.npy"
    np.save(cube, np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="not hold a 1-d or 2-d array"):
        RowFile(cube)


def test_reading_rows_maps_nothing_into_the_process(saved):
    """The point of RowFile: what it reads is not mapped (a memory map would count in RSS)."""
    _, path = saved
    rows = RowFile(path)
    rows[np.arange(0, 500, 3)]
    with open("/proc/self/maps") as maps:
        assert str(path) not in maps.read()
