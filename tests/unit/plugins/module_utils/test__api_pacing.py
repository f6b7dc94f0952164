# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""RatePacer under a clock whose sleeps last longer than asked, as on a busy machine."""

from __future__ import annotations

import pytest

from ansible_collections.community.neon.plugins.module_utils._api import RATE_BURST, RATE_PER_SECOND, RatePacer


class LateClock(object):
    """Every sleep lasts `late` seconds longer than asked."""

    def __init__(self, late):
        self.now = 1000.0
        self.late = late
        self.sent = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds + self.late


def send(pacer, clock, count):
    for dummy in range(count):
        pacer.acquire()
        clock.sent.append(clock.now)


def test_oversleeping_is_not_added_to_every_request():
    clock = LateClock(late=0.005)
    pacer = RatePacer(rate=10.0, burst=5, clock=clock, sleep=clock.sleep)
    send(pacer, clock, 105)
    # 5 in the burst, 100 at 10 a second: 10 s; each sleep's lateness counts as time earned, so only about one
    # lateness is lost, not 100 of them (0.5 s).
    assert clock.sent[-1] - 1000.0 == pytest.approx(10.0, abs=0.02)


@pytest.mark.parametrize('late', [0.0, 0.003, 0.04])
def test_no_window_goes_over_the_limits(late):
    clock = LateClock(late=late)
    pacer = RatePacer(clock=clock, sleep=clock.sleep)
    send(pacer, clock, 1500)
    for width, limit in ((60.0, RATE_BURST + RATE_PER_SECOND * 60), (1.0, RATE_BURST + RATE_PER_SECOND)):
        start = 0
        for end, stamp in enumerate(clock.sent):
            while clock.sent[start] <= stamp - width:
                start += 1
            assert end - start + 1 <= limit + 1e-9
    assert RATE_BURST + RATE_PER_SECOND * 60 <= 700 and RATE_BURST + RATE_PER_SECOND <= 40
