"""A tiny RGB canvas that writes PNG with the standard library (zlib, struct): lines, dots and a
5x7 upper-case bitmap font — enough for the benchmark plot without adding a plotting dependency."""

import struct
import zlib

# 5x7 glyphs, one 5-bit row per hex byte, top row first.
_FONT = {
    "0": "0E1113151911 0E", "1": "040C04040404 0E", "2": "0E1101020408 1F", "3": "1F0204020111 0E",
    "4": "02060A121F02 02", "5": "1F101E010111 0E", "6": "0608101E1111 0E", "7": "1F0102040808 08",
    "8": "0E11110E1111 0E", "9": "0E11110F0102 0C", "A": "0E11111F1111 11", "B": "1E11111E1111 1E",
    "C": "0E1110101011 0E", "D": "1C1211111112 1C", "E": "1F10101E1010 1F", "F": "1F10101E1010 10",
    "G": "0E1110171111 0F", "H": "1111111F1111 11", "I": "0E0404040404 0E", "J": "070202020212 0C",
    "K": "111214181412 11", "L": "101010101010 1F", "M": "111B15151111 11", "N": "111119151311 11",
    "O": "0E1111111111 0E", "P": "1E11111E1010 10", "Q": "0E1111111512 0D", "R": "1E11111E1412 11",
    "S": "0F10100E0101 1E", "T": "1F0404040404 04", "U": "111111111111 0E", "V": "11111111110A 04",
    "W": "111111151515 0A", "X": "11110A040A11 11", "Y": "1111110A0404 04", "Z": "1F0102040810 1F",
    " ": "000000000000 00", ".": "00000000000C 0C", ",": "000000000C04 08", "(": "020408080804 02",
    ")": "080402020204 08", "/": "000102040810 00", "-": "0000001F0000 00", "=": "00001F001F00 00",
    ":": "000C0C000C0C 00", "%": "181902040813 03", "<": "020408100804 02", ">": "080402010204 08",
}
GLYPHS = dict((ch, [int(code.replace(" ", "")[i:i + 2], 16) for i in range(0, 14, 2)]) for ch, code in _FONT.items())

WHITE, BLACK, GREY, LIGHT = (255, 255, 255), (0, 0, 0), (120, 120, 120), (225, 225, 225)


class Canvas:
    def __init__(self, width, height, background=WHITE):
        self.width, self.height = width, height
        self.pixels = bytearray(bytes(background) * (width * height))

    def dot(self, x, y, colour, radius=0):
        for dy in range(-radius, radius + 1):
            for dx in range(-radius, radius + 1):
                if dx * dx + dy * dy <= radius * radius + radius:
                    px, py = int(round(x)) + dx, int(round(y)) + dy
                    if 0 <= px < self.width and 0 <= py < self.height:
                        offset = 3 * (py * self.width + px)
                        self.pixels[offset:offset + 3] = bytes(colour)

    def line(self, x0, y0, x1, y1, colour, width=1, dash=0):
        steps = int(max(abs(x1 - x0), abs(y1 - y0))) or 1
        for i in range(steps + 1):
            if dash and (i // dash) % 2:
                continue
            self.dot(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps, colour, radius=width // 2)

    def text(self, x, y, text, colour=BLACK, scale=2, anchor="left"):
        """Upper-case text; ``anchor`` left/center/right of x; y is the top."""
        text = text.upper()
        span = len(text) * 6 * scale
        x = x - span if anchor == "right" else x - span // 2 if anchor == "center" else x
        for index, char in enumerate(text):
            rows = GLYPHS.get(char, GLYPHS[" "])
            for row, bits in enumerate(rows):
                for col in range(5):
                    if bits & (0x10 >> col):
                        for sy in range(scale):
                            for sx in range(scale):
                                self.dot(x + (index * 6 + col) * scale + sx, y + row * scale + sy, colour)

    def png(self):
        raw = b"".join(b"\x00" + bytes(self.pixels[3 * self.width * y:3 * self.width * (y + 1)])
                       for y in range(self.height))

        def chunk(kind, data):
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
        return b"\x89PNG\r\n\x1a\n" + body
