"""The first row number of each ID number of a file, in little memory (``validation``:
an import tells the later rows with one ID number from the first)."""

from array import array


class FirstRows:
    """The first row number of each ID hash of a file (its first 64 bits, the lowest
    set): an open-addressing table in two arrays, ~16 bytes a row where a dict of ints
    takes ~120 (121 MB for the million rows of a big file)."""

    def __init__(self):
        self._allocate(1 << 18)  # 4 MB: a file of up to ~180,000 rows never grows it

    def _allocate(self, size: int) -> None:
        self.mask, self.count = size - 1, 0
        self.keys, self.rows = array("Q", bytes(8 * size)), array("q", bytes(8 * size))

    def setdefault(self, key: int, row: int) -> int:
        """The first row of ``key``; ``row`` (now the first) when it is new."""
        key |= 1  # 0 marks an empty slot
        keys, mask = self.keys, self.mask
        slot = (key >> 1) & mask  # the hash's bits are uniform
        while True:
            found = keys[slot]
            if found == key:
                return self.rows[slot]
            if not found:
                break
            slot = (slot + 1) & mask
        keys[slot], self.rows[slot] = key, row
        self.count += 1
        if self.count * 10 > mask * 7:
            self._grow()
        return row

    def _grow(self) -> None:
        """Twice the slots, the entries placed again (in one loop: a file of a million
        rows moves ~1.3 million entries while it grows)."""
        old_keys, old_rows, count = self.keys, self.rows, self.count
        self._allocate(len(old_keys) * 2)
        keys, rows, mask = self.keys, self.rows, self.mask
        for key, row in zip(old_keys, old_rows, strict=True):
            if key:
                slot = (key >> 1) & mask
                while keys[slot]:
                    slot = (slot + 1) & mask
                keys[slot] = key
                rows[slot] = row
        self.count = count
