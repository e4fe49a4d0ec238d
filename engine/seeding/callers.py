"""Who calls: numbers located in the center's province (mobile segments and landline area codes), some from
elsewhere, a few withheld; about one caller in seven called recently already (repeat callers)."""
from __future__ import annotations

import random
from collections import deque

from engine.region_lookup import describe

PROVINCE = "广东"
MOBILE_HEADS = ("138", "139", "135", "136", "137", "150", "151", "158", "159", "188", "189", "133", "180", "186",
                "131", "177", "199")
# Guangdong area codes with a rough weight (population)
LANDLINES = (("020", 18), ("0755", 17), ("0757", 9), ("0769", 10), ("0760", 4), ("0756", 2), ("0754", 5),
             ("0752", 6), ("0750", 5), ("0759", 7), ("0668", 6), ("0758", 4), ("0751", 3), ("0762", 3))


class CallerNumbers:
    """Draws caller numbers: 70 % mobiles of the province, 22 % its landlines, 7 % other provinces, 1 % withheld."""

    def __init__(self, rng: random.Random, repeat_share: float = 0.15):
        self.rng = rng
        self.repeat_share = repeat_share
        self.local_mobile: list[str] = []
        self.other_mobile: list[str] = []
        for head in MOBILE_HEADS:
            for mid in range(0, 10000, 53):
                prefix = f"{head}{mid:04d}"
                text = describe(prefix + "1234")[1]
                if text.startswith(PROVINCE):
                    self.local_mobile.append(prefix)
                elif text:
                    self.other_mobile.append(prefix)
        self.landline_codes = [code for code, _ in LANDLINES]
        self.landline_weights = [weight for _, weight in LANDLINES]
        self.recent: deque[str] = deque(maxlen=5000)

    def draw(self) -> str:
        rng = self.rng
        if self.recent and rng.random() < self.repeat_share:
            return self.recent[rng.randrange(len(self.recent))]
        r = rng.random()
        if r < 0.70:
            number = rng.choice(self.local_mobile) + f"{rng.randrange(10000):04d}"
        elif r < 0.92:
            code = rng.choices(self.landline_codes, self.landline_weights)[0]
            number = code + f"{rng.randrange(2000000, 9000000) if len(code) == 4 else rng.randrange(20000000, 90000000)}"
        elif r < 0.99:
            number = rng.choice(self.other_mobile) + f"{rng.randrange(10000):04d}"
        else:
            return ""                 # withheld
        self.recent.append(number)
        return number
