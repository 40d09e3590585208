#!/usr/bin/env python3
"""Renders a tmux capture with colour escapes (capture-pane -e) to a PNG, each cell as 2x4 pixels
split into its half-block's top and bottom colours, so a half-block preview can be looked at.

    python3 scripts/ansi_to_png.py docs/screenshots/120x40-xterm-256color-halfblock.ansi out.png
"""
import re
import sys

from PIL import Image


def xterm256(n):
    if n < 16:
        base = [(0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
                (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255)]
        return base[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[n // 6 % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return (v, v, v)


def main(src, dst):
    lines = open(src, encoding="utf-8").read().split("\n")
    width = max(len(re.sub(r"\x1b\[[0-9;]*m", "", l)) for l in lines)
    scale = 4
    img = Image.new("RGB", (width * scale, len(lines) * 2 * scale), (0, 0, 0))
    px = img.load()
    for row, line in enumerate(lines):
        fg, bg, col = (200, 200, 200), (0, 0, 0), 0
        for token in re.split(r"(\x1b\[[0-9;]*m)", line):
            if token.startswith("\x1b["):
                codes = [int(c) if c else 0 for c in token[2:-1].split(";")]
                i = 0
                while i < len(codes):
                    c = codes[i]
                    if c == 0: fg, bg = (200, 200, 200), (0, 0, 0)
                    elif c == 38 and codes[i + 1] == 5: fg = xterm256(codes[i + 2]); i += 2
                    elif c == 48 and codes[i + 1] == 5: bg = xterm256(codes[i + 2]); i += 2
                    elif c == 38 and codes[i + 1] == 2: fg = tuple(codes[i + 2:i + 5]); i += 4
                    elif c == 48 and codes[i + 1] == 2: bg = tuple(codes[i + 2:i + 5]); i += 4
                    elif c == 39: fg = (200, 200, 200)
                    elif c == 49: bg = (0, 0, 0)
                    i += 1
                continue
            for ch in token:
                top = fg if ch == "▀" else (fg if ch == "█" else bg)
                bottom = bg if ch == "▀" else (fg if ch == "█" else bg)
                if ch not in " ▀█":
                    top = bottom = tuple((a + b) // 2 for a, b in zip(fg, bg))  # text: a blend, enough to see the layout
                for dy in range(2 * scale):
                    for dx in range(scale):
                        px[col * scale + dx, row * 2 * scale + dy] = top if dy < scale else bottom
                col += 1
    img.save(dst)


main(sys.argv[1], sys.argv[2])
