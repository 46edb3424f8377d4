"""The load benchmark's pure parts: how a step's answers are summed up."""

from bench.load import window_p99s


def test_window_p99s_splits_a_step_by_send_time():
    # 20 answers a second for 60 s: fast, except one slow second in the middle window.
    sent = [i / 20 for i in range(1200)]
    latencies = [200.0 if 30 <= s < 31 else 5.0 for s in sent]
    assert window_p99s(sent, latencies, width=20) == [5.0, 200.0, 5.0]


def test_window_p99s_keeps_a_short_tail_window_only_when_it_is_most_of_a_window():
    sent = [i / 10 for i in range(450)]  # 45 s: two whole windows and 5 s left over
    assert len(window_p99s(sent, [1.0] * len(sent), width=20)) == 2
    sent = [i / 10 for i in range(560)]  # 56 s: the third window is 16 s of 20
    assert len(window_p99s(sent, [1.0] * len(sent), width=20)) == 3


def test_window_p99s_of_a_step_shorter_than_two_windows_is_empty():
    sent = [i / 10 for i in range(300)]
    assert window_p99s(sent, [1.0] * len(sent), width=20) == []
