"""ID numbers that end in 000 in a file where Excel stored ID numbers as numbers.

Excel keeps 15 significant digits of a number: an 18-digit ID number typed into a number
cell ends in 000, and one in eleven of those still passes the check character — a valid
number of someone else. A file whose other ID numbers show that damage (refused with
``excel_number_message``) has its numbers ending in 000 refused too. Those rows are held
back until the end of the file (a damaged number may come after them); when no number of
the file was Excel's, they are written then: a real number may end in 000 (about one
in a thousand women's).
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from residents.ids import excel_mangled, excel_number_message, normalise_id
from residents.imports.columns import ERROR_HEADERS
from residents.imports.reading import blank_cell
from residents.imports.report import RowError
from residents.imports.validation import R_ID_MASK

ID_COLUMN = "公民身份号码"
REASON_HEADER = ERROR_HEADERS[2]  # 错误原因


class ZeroedIds:
    """``position``: the ID column's position in the rows; ``header``: the file's header
    (an error report's 错误原因 column says which rows were refused so)."""

    def __init__(self, position: int, header: list[str]):
        self.position = position
        self.reason_at = header.index(REASON_HEADER) if REASON_HEADER in header else None
        self.damaged = False  # a row of the file was refused for Excel's number
        self.rows: list[tuple[int, list, list]] = []  # held back: (number, cells, values)
        self._message = excel_number_message()
        self._said = []  # this refusal's words in each language, as a report may hold them
        for language in dict(settings.LANGUAGES):
            with translation.override(language):
                self._said.append(self.error(0).reason[:40])

    def _cell(self, cells: list):
        return cells[self.position] if self.position < len(cells) else None

    def saw(self, errors: list[RowError], cells: list) -> None:
        """Note a refused row: Excel's number in its ID cell marks the file, whatever else
        the row was refused for (a missing name is checked before the ID number)."""
        if self.damaged:
            return
        if any(error.column == ID_COLUMN for error in errors):
            self.damaged = any(error.column == ID_COLUMN and error.reason == self._message for error in errors)
            return
        cell = self._cell(cells)
        if cell.__class__ is str:
            self.damaged = not blank_cell(cell) and excel_mangled(normalise_id(cell))
        else:
            self.damaged = excel_mangled(cell) if isinstance(cell, (int, float)) else False

    def held(self, number: int, cells: list, values: list, add_error) -> bool:
        """For a valid row whose ID number ends in 000: refuse it (``add_error``) when the
        file is marked, else hold it back. False for a number typed with 15 digits (Excel
        keeps all; upgraded with ``upgrade_ids``, its 18-character form may end in 000)."""
        cell = self._cell(cells)
        if len(values[R_ID_MASK]) != 18 or cell.__class__ is not str or len(normalise_id(cell)) != 18:
            return False
        if self.reason_at is not None and self.reason_at < len(cells) and cells[self.reason_at].__class__ is str and \
                any(said in cells[self.reason_at] for said in self._said):
            # An error report imported again, the number as it was refused: refused again,
            # whatever the other rows now hold, until the user types it again or says it is right.
            add_error(number, cells, [RowError(number, ID_COLUMN, _(
                "the error report refused this number as one whose last digits Excel probably lost: type it again, or, "
                "if it is right, empty the row's 错误原因 cell and import the report again"))])
        elif self.damaged:
            add_error(number, cells, [self.error(number)])
        else:
            self.rows.append((number, cells, values))
        return True

    def finish(self, add_error) -> list[tuple[int, list, list]]:
        """The rows held back, to write when the file is not marked; when it is, none:
        each is refused (``add_error``, to the report's stream of rows held back)."""
        rows, self.rows = self.rows, []
        if not self.damaged:
            return rows
        for number, cells, _values in rows:
            add_error(number, cells, [self.error(number)], held=True)
        return []

    @staticmethod
    def error(number: int) -> RowError:
        return RowError(number, ID_COLUMN, _(
            "ends in 000 like the ID numbers of this file that Excel stored as numbers: its last digits are probably lost "
            "too; format the column as text and type it again"))

