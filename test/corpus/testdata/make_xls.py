#!/usr/bin/env python3
"""Writes the corpus's legacy .xls workbooks (BIFF8) from the rows that
`go run ./test/corpus/dump` prints, with python3-xlwt (Debian package
python3-xlwt). Numbers are written as numbers, text as text.

    go run ./test/corpus/dump | python3 test/corpus/testdata/make_xls.py test/corpus/testdata
"""
import json
import os
import sys

import xlwt


def main():
    out_dir = sys.argv[1]
    books = json.load(sys.stdin)
    for filename, sheets in sorted(books.items()):
        wb = xlwt.Workbook()
        for sheet in sheets:
            ws = wb.add_sheet(sheet["name"])
            for r, row in enumerate(sheet["rows"] or []):
                for c, v in enumerate(row or []):
                    if v is None or v == "":
                        continue
                    ws.write(r, c, v)
        wb.save(os.path.join(out_dir, filename))


if __name__ == "__main__":
    main()
