"""The process that parses a sheet for an import: `python sheet_reader.py FILE`, run by its path so it
imports nothing of the portal (a fresh interpreter, no inherited database connection).

It writes pickled messages to stdout: ("header", row, values, declared rows), then lists of
(row, values) for the rows that hold anything, then None; or ("refused", reason) whenever openpyxl
(which parses with defusedxml) refuses the file. It stops as soon as its reader stops listening."""

import pickle
import sys

BATCH = 1000
# No sheet the portal reads is wider. A sheet's own <dimension> is never trusted: 5 KB declaring
# A1:XFD1048576 would otherwise pad every row to 16,384 cells (gigabytes, or minutes of a core).
MAX_COLUMNS = 64


def bounded_rows(sheet):
    """A read-only sheet's rows as values, at most MAX_COLUMNS wide and as long as its rows really are,
    whatever its <dimension> declares. Rows missing between two rows come as one shared empty tuple."""
    sheet.reset_dimensions()
    return sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)


def main(path: str, out) -> None:
    from openpyxl import load_workbook

    def send(message) -> None:
        pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)

    try:
        book = load_workbook(path, read_only=True, data_only=False)
    except Exception:  # noqa: BLE001 - whatever openpyxl or defusedxml refuses, the answer is the same
        send(("refused", "unreadable"))
        return
    try:
        if not book.worksheets:
            send(("refused", "no_sheet"))
            return
        sheet = book.worksheets[0]
        declared = sheet.max_row if isinstance(sheet.max_row, int) else 0  # for progress only
        rows = bounded_rows(sheet)
        number, header = 0, None
        for values in rows:
            number += 1
            if any(v not in (None, "") for v in values):
                header = values
                break
        if header is None:
            send(("refused", "empty"))
            return
        send(("header", number, header, declared))
        batch = []
        for row_number, values in enumerate(rows, start=number + 1):
            if values.count(None) == len(values):  # a missing row (quick: a sheet may skip a million)
                continue
            if any(v is not None and (not isinstance(v, str) or v.strip()) for v in values):
                batch.append((row_number, values))
                if len(batch) >= BATCH:
                    send(batch)
                    batch = []
        if batch:
            send(batch)
        send(None)
    except BrokenPipeError:
        raise
    except Exception:  # noqa: BLE001 - a sheet that breaks half-way is refused as a whole
        send(("refused", "unreadable"))
    finally:
        book.close()


if __name__ == "__main__":
    try:
        main(sys.argv[1], sys.stdout.buffer)
        sys.stdout.buffer.flush()
    except BrokenPipeError:  # the import stopped listening (ended, refused, or killed)
        sys.exit(0)
