"""The demo gifts' pictures: one flat illustration per gift, drawn here as SVG and rendered to PNG.

The shop and the admin take raster pictures only (catalog.images refuses SVG, which can carry script), so the
committed files are PNGs in loyalty/demo/data/gifts/, one per sku; the loader uploads them as the admin would.
This module is not used at run time. To redraw after editing a drawing (Debian's Chromium, no download):

    .venv/bin/python -m loyalty.demo.pictures [SKU ...]
"""

import sys
from pathlib import Path

WIDTH, HEIGHT = 600, 400  # the shop's gift tiles are 3:2
OUT_DIR = Path(__file__).resolve().parent / "data" / "gifts"
CHROMIUM = "/usr/bin/chromium"

BACKGROUNDS = {  # by category: a soft wash, so the catalog reads as one set
    "kitchen": "#f7e9dc",
    "home": "#e4edf7",
    "leisure": "#e2f1e5",
    "coffee": "#efe4d8",
    "digital": "#e9e5f7",
    "voucher": "#fcf0d4",
    "seasonal": "#e2eef0",
}

SHADOW = '<ellipse cx="300" cy="338" rx="170" ry="16" fill="#000" opacity="0.08"/>'


def _voucher(amount: str, colour: str, icon: str) -> str:
    """A gift card with its amount: the vouchers differ by colour, amount and the icon of where they are spent."""
    return f"""
    <ellipse cx="300" cy="330" rx="190" ry="14" fill="#000" opacity="0.08"/>
    <g transform="rotate(-6 300 200)">
      <rect x="120" y="95" width="360" height="220" rx="22" fill="{colour}"/>
      <rect x="120" y="95" width="360" height="220" rx="22" fill="url(#shine)"/>
      <rect x="120" y="245" width="360" height="22" fill="#000" opacity="0.12"/>
      <text x="150" y="215" font-family="DejaVu Sans, Arial, sans-serif" font-size="64" font-weight="700"
            fill="#fff">{amount}</text>
      <g transform="translate(410 180)">{icon}</g>
      <rect x="150" y="280" width="90" height="10" rx="5" fill="#fff" opacity="0.6"/>
      <rect x="250" y="280" width="50" height="10" rx="5" fill="#fff" opacity="0.6"/>
    </g>"""


BAG_ICON = """<path d="M-32 -14 h64 l-6 52 h-52 z" fill="#fff"/>
  <path d="M-16 -14 v-8 a16 16 0 0 1 32 0 v8" fill="none" stroke="#fff" stroke-width="6"/>"""
BOOK_ICON = """<path d="M-40 -26 q20 -8 38 4 v56 q-18 -12 -38 -4 z" fill="#fff"/>
  <path d="M40 -26 q-20 -8 -38 4 v56 q18 -12 38 -4 z" fill="#fff" opacity="0.8"/>"""
FUEL_ICON = """<rect x="-30" y="-30" width="40" height="66" rx="6" fill="#fff"/>
  <rect x="-22" y="-22" width="24" height="18" rx="3" fill="#c0392b" opacity="0.7"/>
  <path d="M10 -14 h10 l10 12 v30 a6 6 0 0 1 -12 0 v-16 h-8" fill="none" stroke="#fff" stroke-width="6"/>"""
RESTO_ICON = """<path d="M-24 -34 v26 a8 8 0 0 0 16 0 v-26 M-16 -34 v70" stroke="#fff" stroke-width="6"
  fill="none" stroke-linecap="round"/>
  <path d="M18 36 v-70 q18 10 18 40 h-18" fill="#fff" stroke="#fff" stroke-width="6" stroke-linejoin="round"/>"""


DRAWINGS: dict[str, tuple[str, str]] = {
    # sku: (background, SVG body in a 600 x 400 box)
    "APRON": (
        "kitchen",
        SHADOW
        + """
    <path d="M255 95 q45 -60 90 0" fill="none" stroke="#8a5a3b" stroke-width="8"/>
    <path d="M240 95 h120 v60 q0 10 20 14 l40 8 -20 170 h-200 l-20 -170 40 -8 q20 -4 20 -14 z" fill="#2f7d6d"/>
    <path d="M220 178 q-40 6 -70 40 M380 178 q40 6 70 40" stroke="#8a5a3b" stroke-width="8" fill="none"
          stroke-linecap="round"/>
    <rect x="250" y="230" width="100" height="62" rx="8" fill="#276a5c"/>
    <path d="M250 246 h100" stroke="#f7e9dc" stroke-width="3" stroke-dasharray="6 6"/>
    <path d="M300 230 v62" stroke="#1f574b" stroke-width="3"/>""",
    ),
    "BOARD-GAME": (
        "leisure",
        SHADOW
        + """
    <g transform="rotate(-8 300 210)">
      <rect x="170" y="90" width="240" height="240" rx="14" fill="#f4efe3" stroke="#2d6a4f" stroke-width="10"/>
      <rect x="190" y="110" width="95" height="95" rx="6" fill="#e76f51"/>
      <rect x="295" y="110" width="95" height="95" rx="6" fill="#2a9d8f"/>
      <rect x="190" y="215" width="95" height="95" rx="6" fill="#e9c46a"/>
      <rect x="295" y="215" width="95" height="95" rx="6" fill="#457b9d"/>
      <circle cx="290" cy="210" r="26" fill="#f4efe3"/>
    </g>
    <rect x="400" y="245" width="62" height="62" rx="12" fill="#fff" stroke="#264653" stroke-width="4"/>
    <circle cx="416" cy="261" r="6" fill="#264653"/><circle cx="431" cy="276" r="6" fill="#264653"/>
    <circle cx="446" cy="291" r="6" fill="#264653"/>
    <path d="M140 305 l14 -50 a14 14 0 1 1 16 0 l14 50 z" fill="#e63946"/>""",
    ),
    "BOARD-OAK": (
        "kitchen",
        SHADOW
        + """
    <rect x="130" y="120" width="340" height="190" rx="30" fill="#c8925a"/>
    <rect x="130" y="120" width="340" height="190" rx="30" fill="none" stroke="#a8743f" stroke-width="6"/>
    <circle cx="430" cy="160" r="14" fill="#f7e9dc"/>
    <path d="M160 170 q80 -20 160 5 t120 0 M160 215 q90 20 170 -5 t100 10 M160 260 q70 -15 150 5 t130 -5"
          stroke="#a8743f" stroke-width="4" fill="none" stroke-linecap="round"/>""",
    ),
    "CANDLE": (
        "home",
        SHADOW
        + """
    <rect x="215" y="150" width="170" height="180" rx="22" fill="#cfe0ee" opacity="0.9"/>
    <rect x="225" y="190" width="150" height="130" rx="16" fill="#fbf3e4"/>
    <rect x="240" y="235" width="120" height="50" rx="6" fill="#7b4b94"/>
    <text x="300" y="268" text-anchor="middle" font-family="DejaVu Sans, Arial, sans-serif" font-size="22"
          font-weight="700" fill="#fbf3e4">FIG</text>
    <path d="M300 190 v-22" stroke="#333" stroke-width="4"/>
    <path d="M300 112 q24 30 0 56 q-24 -26 0 -56 z" fill="#f4a300"/>
    <path d="M300 136 q10 14 0 28 q-10 -14 0 -28 z" fill="#ffe08a"/>""",
    ),
    "CINEMA-DUO": (
        "leisure",
        SHADOW
        + """
    <g transform="rotate(-10 300 210)">
      <path d="M150 140 h300 v40 a20 20 0 0 0 0 40 v40 h-300 v-40 a20 20 0 0 0 0 -40 z" fill="#e9c46a"/>
      <path d="M240 140 v120" stroke="#fff" stroke-width="4" stroke-dasharray="8 8"/>
    </g>
    <g transform="rotate(6 300 230)">
      <path d="M160 170 h300 v40 a20 20 0 0 0 0 40 v40 h-300 v-40 a20 20 0 0 0 0 -40 z" fill="#e63946"/>
      <path d="M250 170 v120" stroke="#fff" stroke-width="4" stroke-dasharray="8 8"/>
      <path d="M355 195 l12 26 28 3 -21 19 6 28 -25 -14 -25 14 6 -28 -21 -19 28 -3 z" fill="#fff"/>
      <rect x="185" y="205" width="40" height="40" rx="6" fill="#fff" opacity="0.8"/>
    </g>""",
    ),
    "COFFEE-250": (
        "coffee",
        SHADOW
        + """
    <path d="M225 95 h150 l20 235 h-190 z" fill="#3d2b1f"/>
    <path d="M225 95 h150 l4 40 h-158 z" fill="#2b1d14"/>
    <rect x="236" y="180" width="128" height="100" rx="10" fill="#f2e3c9"/>
    <ellipse cx="300" cy="222" rx="22" ry="30" fill="#6b4226" transform="rotate(25 300 222)"/>
    <path d="M290 198 q20 24 0 50" stroke="#f2e3c9" stroke-width="5" fill="none" transform="rotate(25 300 222)"/>
    <rect x="262" y="258" width="76" height="10" rx="5" fill="#6b4226"/>""",
    ),
    "COOKING-CLASS": (
        "digital",
        SHADOW
        + """
    <rect x="160" y="100" width="280" height="180" rx="14" fill="#2b2d42"/>
    <rect x="175" y="115" width="250" height="150" rx="6" fill="#fdf6ec"/>
    <path d="M120 290 h360 l-20 30 h-320 z" fill="#8d99ae"/>
    <path d="M265 215 h70 v30 h-70 z" fill="#fff" stroke="#2b2d42" stroke-width="4"/>
    <path d="M265 215 a22 22 0 0 1 -10 -40 a26 26 0 0 1 45 -18 a26 26 0 0 1 45 18 a22 22 0 0 1 -10 40 z"
          fill="#fff" stroke="#2b2d42" stroke-width="4"/>
    <circle cx="395" cy="135" r="8" fill="#e63946"/>""",
    ),
    "EBOOK": (
        "digital",
        SHADOW
        + """
    <rect x="215" y="70" width="170" height="260" rx="18" fill="#3a3f58"/>
    <rect x="230" y="90" width="140" height="205" rx="4" fill="#f4f1ea"/>
    <rect x="245" y="108" width="90" height="10" rx="4" fill="#3a3f58"/>
    <g fill="#9aa0b4">
      <rect x="245" y="132" width="110" height="6" rx="3"/><rect x="245" y="148" width="104" height="6" rx="3"/>
      <rect x="245" y="164" width="110" height="6" rx="3"/><rect x="245" y="180" width="80" height="6" rx="3"/>
      <rect x="245" y="204" width="110" height="6" rx="3"/><rect x="245" y="220" width="98" height="6" rx="3"/>
      <rect x="245" y="236" width="110" height="6" rx="3"/><rect x="245" y="252" width="60" height="6" rx="3"/>
    </g>
    <circle cx="300" cy="313" r="7" fill="#5c6381"/>""",
    ),
    "ESPRESSO-CUPS": (
        "coffee",
        SHADOW
        + """
    <g>
      <ellipse cx="215" cy="300" rx="80" ry="14" fill="#fff" opacity="0.9"/>
      <path d="M160 170 h110 l-10 120 a45 12 0 0 1 -90 0 z" fill="#d9ecf2" opacity="0.85"/>
      <path d="M172 200 h86 l-7 86 a36 9 0 0 1 -72 0 z" fill="#5a3825"/>
      <ellipse cx="215" cy="200" rx="43" ry="8" fill="#c68b59"/>
    </g>
    <g>
      <ellipse cx="395" cy="300" rx="80" ry="14" fill="#fff" opacity="0.9"/>
      <path d="M340 170 h110 l-10 120 a45 12 0 0 1 -90 0 z" fill="#d9ecf2" opacity="0.85"/>
      <path d="M352 200 h86 l-7 86 a36 9 0 0 1 -72 0 z" fill="#5a3825"/>
      <ellipse cx="395" cy="200" rx="43" ry="8" fill="#c68b59"/>
    </g>
    <path d="M205 150 q-12 -20 0 -40 q12 -20 0 -40 M385 150 q-12 -20 0 -40 q12 -20 0 -40" stroke="#b9a48f"
          stroke-width="5" fill="none" stroke-linecap="round"/>""",
    ),
    "FRENCH-PRESS": (
        "coffee",
        SHADOW
        + """
    <rect x="240" y="95" width="120" height="30" rx="8" fill="#6c757d"/>
    <rect x="293" y="55" width="14" height="45" fill="#6c757d"/><circle cx="300" cy="52" r="14" fill="#343a40"/>
    <rect x="245" y="120" width="110" height="200" rx="10" fill="#d9ecf2" opacity="0.85"/>
    <rect x="252" y="170" width="96" height="144" rx="6" fill="#4a2c1a"/>
    <rect x="245" y="165" width="110" height="8" fill="#adb5bd"/>
    <path d="M355 140 h30 a20 20 0 0 1 20 20 v110 a20 20 0 0 1 -20 20 h-30" fill="none" stroke="#343a40"
          stroke-width="14"/>
    <rect x="235" y="315" width="130" height="16" rx="6" fill="#6c757d"/>""",
    ),
    "GRINDER": (
        "coffee",
        SHADOW
        + """
    <rect x="220" y="200" width="160" height="130" rx="12" fill="#a0522d"/>
    <rect x="232" y="250" width="136" height="60" rx="8" fill="#8b4513"/>
    <circle cx="300" cy="280" r="8" fill="#d4a373"/>
    <path d="M245 200 l15 -70 h80 l15 70 z" fill="#adb5bd"/>
    <rect x="292" y="95" width="16" height="40" fill="#6c757d"/>
    <path d="M300 100 h110" stroke="#6c757d" stroke-width="12" stroke-linecap="round"/>
    <rect x="400" y="70" width="22" height="50" rx="11" fill="#3d2b1f"/>""",
    ),
    "KETTLE": (
        "coffee",
        SHADOW
        + """
    <path d="M220 320 h170 l-10 -130 q-75 -40 -150 0 z" fill="#2b2d42"/>
    <path d="M232 190 q70 -34 136 0" fill="none" stroke="#8d99ae" stroke-width="6"/>
    <rect x="288" y="148" width="30" height="16" rx="6" fill="#8d99ae"/>
    <path d="M228 290 q-70 0 -70 -90 q0 -30 -30 -50" fill="none" stroke="#2b2d42" stroke-width="12"
          stroke-linecap="round"/>
    <path d="M385 200 q60 10 50 70 q-6 30 -40 40" fill="none" stroke="#c9a227" stroke-width="14"
          stroke-linecap="round"/>
    <circle cx="305" cy="250" r="20" fill="#edf2f4"/><path d="M305 250 l10 -10" stroke="#d90429" stroke-width="4"/>""",
    ),
    "KNIFE-SET": (
        "kitchen",
        SHADOW
        + """
    <path d="M230 110 l20 -8 v-40 a8 8 0 0 1 16 0 v40 z" fill="#212529"/>
    <path d="M285 100 l16 -6 v-50 a8 8 0 0 1 16 0 v50 z" fill="#212529"/>
    <path d="M338 110 l16 -6 v-36 a8 8 0 0 1 16 0 v36 z" fill="#212529"/>
    <path d="M190 330 l40 -220 h170 l40 220 z" fill="#d4a373"/>
    <path d="M230 110 h170 l8 40 h-186 z" fill="#bc8a5f"/>
    <path d="M235 180 l-10 120 M285 170 l-6 130 M345 170 l6 130 M395 180 l10 120" stroke="#bc8a5f"
          stroke-width="4"/>""",
    ),
    "LAMP": (
        "home",
        SHADOW
        + """
    <path d="M330 135 l-90 170" stroke="#495057" stroke-width="12" stroke-linecap="round"/>
    <path d="M330 135 l60 -50" stroke="#495057" stroke-width="12" stroke-linecap="round"/>
    <circle cx="330" cy="135" r="12" fill="#343a40"/>
    <ellipse cx="240" cy="318" rx="75" ry="16" fill="#343a40"/>
    <path d="M365 70 l90 50 -40 40 z" fill="#f4a261"/>
    <path d="M415 160 l60 140 h-120 z" fill="#ffe8a3" opacity="0.6"/>
    <rect x="300" y="308" width="16" height="8" rx="2" fill="#adb5bd"/>""",
    ),
    "LUNCHBOX": (
        "kitchen",
        SHADOW
        + """
    <rect x="150" y="150" width="300" height="170" rx="24" fill="#ced4da"/>
    <rect x="150" y="150" width="300" height="50" rx="20" fill="#adb5bd"/>
    <rect x="170" y="215" width="125" height="90" rx="12" fill="#e9ecef"/>
    <rect x="305" y="215" width="125" height="90" rx="12" fill="#e9ecef"/>
    <circle cx="205" cy="255" r="18" fill="#e76f51"/><circle cx="240" cy="270" r="16" fill="#2a9d8f"/>
    <rect x="330" y="240" width="75" height="40" rx="12" fill="#e9c46a"/>
    <rect x="190" y="140" width="40" height="24" rx="6" fill="#495057"/>
    <rect x="370" y="140" width="40" height="24" rx="6" fill="#495057"/>""",
    ),
    "MAGAZINE": (
        "digital",
        SHADOW
        + """
    <rect x="170" y="70" width="260" height="265" rx="20" fill="#212529"/>
    <rect x="185" y="86" width="230" height="233" rx="6" fill="#fdf6ec"/>
    <rect x="200" y="100" width="200" height="34" rx="4" fill="#e63946"/>
    <text x="300" y="126" text-anchor="middle" font-family="DejaVu Sans, Arial, sans-serif" font-size="24"
          font-weight="700" fill="#fff">COOK</text>
    <circle cx="300" cy="215" r="55" fill="#f4a261"/>
    <circle cx="300" cy="215" r="40" fill="#fff"/>
    <circle cx="285" cy="205" r="10" fill="#2a9d8f"/><circle cx="312" cy="222" r="12" fill="#e63946"/>
    <rect x="200" y="285" width="140" height="8" rx="4" fill="#6c757d"/>""",
    ),
    "MUG-CLASSIC": (
        "kitchen",
        SHADOW
        + """
    <path d="M380 180 a45 45 0 0 1 0 90" fill="none" stroke="#1d3557" stroke-width="20"/>
    <rect x="210" y="150" width="175" height="180" rx="24" fill="#1d3557"/>
    <rect x="210" y="150" width="175" height="26" rx="12" fill="#457b9d"/>
    <path d="M250 230 h95" stroke="#a8dadc" stroke-width="10" stroke-linecap="round"/>
    <path d="M270 135 q-14 -22 0 -44 q14 -22 0 -44 M320 135 q-14 -22 0 -44 q14 -22 0 -44" stroke="#b7a99a"
          stroke-width="6" fill="none" stroke-linecap="round"/>""",
    ),
    "MUSIC-3M": (
        "digital",
        SHADOW
        + """
    <path d="M190 240 v-40 a110 110 0 0 1 220 0 v40" fill="none" stroke="#3a0ca3" stroke-width="22"/>
    <rect x="165" y="220" width="60" height="100" rx="26" fill="#7209b7"/>
    <rect x="375" y="220" width="60" height="100" rx="26" fill="#7209b7"/>
    <path d="M290 190 v-70 l50 -12 v60" stroke="#f72585" stroke-width="10" fill="none"/>
    <circle cx="280" cy="192" r="14" fill="#f72585"/><circle cx="330" cy="180" r="14" fill="#f72585"/>""",
    ),
    "PHOTO-FRAME": (
        "home",
        SHADOW
        + """
    <rect x="170" y="80" width="260" height="250" rx="10" fill="#a47148"/>
    <rect x="195" y="105" width="210" height="200" fill="#fff"/>
    <rect x="210" y="120" width="180" height="170" fill="#bde0fe"/>
    <circle cx="350" cy="160" r="20" fill="#ffd166"/>
    <path d="M210 290 l60 -90 45 60 30 -35 45 65 z" fill="#52b788"/>
    <path d="M210 290 l60 -90 20 30 -30 60 z" fill="#40916c"/>""",
    ),
    "PHOTO-PRINTS": (
        "digital",
        SHADOW
        + """
    <g transform="rotate(-14 300 210)">
      <rect x="200" y="100" width="200" height="220" rx="6" fill="#fff" stroke="#dee2e6" stroke-width="3"/>
      <rect x="215" y="115" width="170" height="150" fill="#ffc8dd"/>
    </g>
    <g transform="rotate(6 300 210)">
      <rect x="200" y="100" width="200" height="220" rx="6" fill="#fff" stroke="#dee2e6" stroke-width="3"/>
      <rect x="215" y="115" width="170" height="150" fill="#a2d2ff"/>
      <circle cx="340" cy="150" r="16" fill="#fff3b0"/>
      <path d="M215 265 l55 -70 40 45 25 -25 50 50 z" fill="#3a86ff"/>
    </g>""",
    ),
    "PICNIC-SET": (
        "leisure",
        SHADOW
        + """
    <path d="M215 180 q85 -120 170 0" fill="none" stroke="#8d5524" stroke-width="14"/>
    <path d="M170 180 h260 l-25 150 h-210 z" fill="#c68642"/>
    <path d="M185 215 h230 M190 250 h220 M195 285 h210" stroke="#8d5524" stroke-width="6"/>
    <path d="M230 180 v150 M280 180 v150 M330 180 v150 M380 180 v150" stroke="#a86a32" stroke-width="4"/>
    <path d="M200 180 l30 -30 h140 l30 30 z" fill="#e63946"/>
    <path d="M230 150 v30 M270 150 v30 M310 150 v30 M350 150 v30 M215 165 h170" stroke="#fff" stroke-width="5"/>""",
    ),
    "PLAID": (
        "home",
        SHADOW
        + """
    <rect x="160" y="230" width="280" height="95" rx="18" fill="#bc4749"/>
    <rect x="175" y="160" width="250" height="85" rx="18" fill="#6a994e"/>
    <rect x="190" y="95" width="220" height="80" rx="18" fill="#386641"/>
    <path d="M160 270 h280 M160 290 h280 M230 230 v95 M250 230 v95 M360 230 v95" stroke="#f2e8cf"
          stroke-width="5" opacity="0.7"/>
    <path d="M175 195 h250 M175 212 h250 M260 160 v85 M345 160 v85" stroke="#f2e8cf" stroke-width="5" opacity="0.6"/>
    <path d="M190 130 h220 M280 95 v80 M330 95 v80" stroke="#a7c957" stroke-width="5" opacity="0.8"/>""",
    ),
    "PLANT-POT": (
        "home",
        SHADOW
        + """
    <path d="M300 200 q-90 -30 -100 -120 q80 20 100 120" fill="#52b788"/>
    <path d="M300 200 q80 -40 110 -130 q-90 10 -110 130" fill="#40916c"/>
    <path d="M300 200 q-10 -90 20 -150 q30 70 -20 150" fill="#74c69d"/>
    <path d="M225 200 h150 l-20 130 h-110 z" fill="#d9774a"/>
    <rect x="215" y="190" width="170" height="32" rx="6" fill="#c4633a"/>""",
    ),
    "SUMMER-PASS-2025": (
        "digital",
        SHADOW
        + """
    <circle cx="420" cy="110" r="40" fill="#ffb703"/>
    <g stroke="#ffb703" stroke-width="8" stroke-linecap="round">
      <path d="M420 45 v-15 M420 175 v15 M355 110 h-15 M485 110 h15 M374 64 l-10 -10 M466 156 l10 10
               M466 64 l10 -10 M374 156 l-10 10"/>
    </g>
    <path d="M170 230 a50 50 0 0 1 50 -50 h160 a50 50 0 0 1 50 50 l15 60 a28 28 0 0 1 -50 20 l-30 -30
             h-130 l-30 30 a28 28 0 0 1 -50 -20 z" fill="#219ebc"/>
    <path d="M225 215 v40 M205 235 h40" stroke="#fff" stroke-width="10" stroke-linecap="round"/>
    <circle cx="370" cy="220" r="10" fill="#fb8500"/><circle cx="395" cy="245" r="10" fill="#fff"/>""",
    ),
    "TEA-TOWELS": (
        "kitchen",
        SHADOW
        + """
    <rect x="170" y="250" width="260" height="75" rx="10" fill="#e9c46a"/>
    <rect x="180" y="180" width="240" height="75" rx="10" fill="#f4a261"/>
    <rect x="190" y="110" width="220" height="75" rx="10" fill="#e76f51"/>
    <path d="M170 270 h260 M170 305 h260" stroke="#fff" stroke-width="6" opacity="0.8"/>
    <path d="M180 200 h240 M180 235 h240" stroke="#fff" stroke-width="6" opacity="0.8"/>
    <path d="M190 130 h220 M190 165 h220" stroke="#fff" stroke-width="6" opacity="0.8"/>""",
    ),
    "TOTE-BAG": (
        "leisure",
        SHADOW
        + """
    <path d="M240 160 v-40 a60 60 0 0 1 120 0 v40" fill="none" stroke="#b08968" stroke-width="14"/>
    <path d="M190 150 h220 l15 180 h-250 z" fill="#ede0d4"/>
    <path d="M190 150 h220 l2 22 h-224 z" fill="#ddb892"/>
    <path d="M300 210 q-40 -30 -40 5 q0 30 40 55 q40 -25 40 -55 q0 -35 -40 -5 z" fill="#2a9d8f"/>""",
    ),
    "UMBRELLA": (
        "leisure",
        SHADOW
        + """
    <path d="M140 200 a160 130 0 0 1 320 0 q-27 -22 -53 0 q-27 -22 -53 0 q-27 -22 -54 0 q-26 -22 -53 0
             q-27 -22 -53 0 z" fill="#ef476f"/>
    <path d="M300 70 q-50 60 -54 130 M300 70 q50 60 54 130" stroke="#d62850" stroke-width="5" fill="none"/>
    <path d="M300 70 v-20" stroke="#343a40" stroke-width="8" stroke-linecap="round"/>
    <path d="M300 200 v100 a22 22 0 0 1 -44 0" fill="none" stroke="#343a40" stroke-width="10"
          stroke-linecap="round"/>""",
    ),
    "V-BOOKS-15": ("voucher", _voucher("15 €", "#6a4c93", BOOK_ICON)),
    "V-FUEL-25": ("voucher", _voucher("25 €", "#c0392b", FUEL_ICON)),
    "V-RESTO-30": ("voucher", _voucher("30 €", "#2d6a4f", RESTO_ICON)),
    "V05": ("voucher", _voucher("5 €", "#0b57a4", BAG_ICON)),
    "V10": ("voucher", _voucher("10 €", "#0a7c86", BAG_ICON)),
    "V20": ("voucher", _voucher("20 €", "#d9822b", BAG_ICON)),
    "V50": ("voucher", _voucher("50 €", "#1b1f24", BAG_ICON)),
    "WATER-BOTTLE": (
        "leisure",
        SHADOW
        + """
    <rect x="268" y="55" width="64" height="40" rx="10" fill="#264653"/>
    <rect x="280" y="90" width="40" height="20" fill="#adb5bd"/>
    <path d="M280 110 h40 q40 15 40 60 v140 a20 20 0 0 1 -20 20 h-80 a20 20 0 0 1 -20 -20 v-140 q0 -45 40 -60 z"
          fill="#2a9d8f"/>
    <rect x="240" y="190" width="120" height="70" fill="#e9f5f2" opacity="0.9"/>
    <path d="M300 205 q-18 24 0 40 q18 -16 0 -40 z" fill="#2a9d8f"/>""",
    ),
    "XMAS-BAUBLES": (
        "seasonal",
        SHADOW
        + """
    <path d="M60 60 q240 60 480 0" stroke="#2d6a4f" stroke-width="10" fill="none"/>
    <path d="M200 82 v90 M300 96 v60 M400 82 v110" stroke="#6c757d" stroke-width="3"/>
    <rect x="188" y="165" width="24" height="16" rx="3" fill="#c9a227"/>
    <circle cx="200" cy="225" r="48" fill="#d62828"/>
    <path d="M156 215 q44 16 88 0" stroke="#fff" stroke-width="5" fill="none" opacity="0.8"/>
    <rect x="288" y="150" width="24" height="16" rx="3" fill="#c9a227"/>
    <circle cx="300" cy="212" r="50" fill="#1d3557"/>
    <circle cx="285" cy="200" r="6" fill="#fff"/><circle cx="315" cy="222" r="6" fill="#fff"/>
    <circle cx="300" cy="185" r="4" fill="#fff"/>
    <rect x="388" y="185" width="24" height="16" rx="3" fill="#c9a227"/>
    <circle cx="400" cy="245" r="46" fill="#f4a300"/>
    <path d="M360 245 h80" stroke="#d62828" stroke-width="8"/>""",
    ),
}


def svg(sku: str) -> str:
    """The gift's illustration as a standalone SVG document."""
    background, body = DRAWINGS[sku]
    return f"""<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}">
  <defs><linearGradient id="shine" x1="0" y1="0" x2="1" y2="1">
    <stop offset="0" stop-color="#fff" stop-opacity="0.22"/><stop offset="1" stop-color="#fff" stop-opacity="0"/>
  </linearGradient></defs>
  <rect width="{WIDTH}" height="{HEIGHT}" fill="{BACKGROUNDS[background]}"/>
  {body}
</svg>"""


def render(skus: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        for sku in skus:
            page.set_content(f'<html><body style="margin:0">{svg(sku)}</body></html>')
            page.screenshot(path=str(OUT_DIR / f"{sku}.png"), clip={"x": 0, "y": 0, "width": WIDTH, "height": HEIGHT})
            print(OUT_DIR / f"{sku}.png")
        browser.close()


if __name__ == "__main__":
    render(sys.argv[1:] or sorted(DRAWINGS))
