"""The reader: encodings, delimiters, list cells, formula-safe cells."""

import codecs

import pytest

from syncs.imports.reading import (
    CsvStream,
    ImportFileError,
    detect_encoding,
    formula_safe,
    parse_list,
)


def _write(tmp_path, data: bytes):
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("gtin,name\n1,Café\n".encode(), "utf-8"),
        (codecs.BOM_UTF8 + "gtin,name\n1,Café\n".encode(), "utf-8-sig"),
        ("gtin,name\n1,Café – €\n".encode("cp1252"), "cp1252"),
        (b"gtin,name\n1,\x81\xe9\n", "latin-1"),
    ],
)
def test_the_encoding_is_detected(tmp_path, data, expected):
    assert detect_encoding(_write(tmp_path, data)) == expected


def test_a_bom_is_dropped_from_the_first_column_name(tmp_path):
    path = _write(tmp_path, codecs.BOM_UTF8 + b"gtin;name\n1;x\n")
    with CsvStream(path) as stream:
        assert stream.header == ["gtin", "name"]
        assert stream.delimiter == ";"


def test_a_windows_1252_file_reads_as_text(tmp_path):
    path = _write(tmp_path, "gtin,name\n1,Café – €\n".encode("cp1252"))
    with CsvStream(path) as stream:
        assert [r.cells for r in stream.records()] == [["1", "Café – €"]]


def test_a_file_that_is_not_the_chosen_encoding_names_the_line(tmp_path):
    path = _write(tmp_path, "gtin,name\n1,ok\n2,Café\n".encode("cp1252"))
    with (
        pytest.raises(ImportFileError, match="Line 3 is not valid UTF-8"),
        CsvStream(path, encoding="utf-8") as stream,
    ):
        list(stream.records())


def test_records_carry_the_line_they_start_on(tmp_path):
    path = _write(tmp_path, b'gtin,name\n1,"two\nlines"\n\n2,x\n')
    with CsvStream(path) as stream:
        assert [(r.line, r.cells) for r in stream.records()] == [
            (2, ["1", "two\nlines"]),
            (5, ["2", "x"]),
        ]


def test_an_empty_file_is_refused(tmp_path):
    with pytest.raises(ImportFileError, match="empty"):
        CsvStream(_write(tmp_path, b""))


@pytest.mark.parametrize(
    ("cell", "items"),
    [
        ("", []),
        ("a|b | c", ["a", "b", "c"]),
        ("a||b|", ["a", "b"]),
        ('["x", "y|z", 3]', ["x", "y|z", "3"]),
        ("[not json", ["[not json"]),
    ],
)
def test_list_cells(cell, items):
    assert parse_list(cell) == items


def test_a_json_array_of_objects_is_refused():
    with pytest.raises(ValueError, match="only strings"):
        parse_list('[{"a": 1}]')


@pytest.mark.parametrize("cell", ["=HYPERLINK(1)", "+1", "-5", "@SUM(A1)", "\tx", "\rx"])
def test_cells_a_spreadsheet_would_run_are_escaped(cell):
    assert formula_safe(cell) == "'" + cell


def test_plain_cells_are_left_alone():
    assert formula_safe("4006381333931") == "4006381333931"
