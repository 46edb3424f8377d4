"""vegeta's command for a step, and how its recorded answers are read back."""

import json
from pathlib import Path

from bench.vegeta import attack_args, parse_results, window_p99s


def vegeta_line(timestamp: str, latency_ms: float, code: int = 200) -> bytes:
    return json.dumps(
        {"timestamp": timestamp, "latency": int(latency_ms * 1e6), "code": code}
    ).encode()


def test_parse_results_measures_a_step_that_crosses_midnight():
    recorded = parse_results(
        [
            vegeta_line("2026-12-07T23:59:59.500000000Z", 10),
            vegeta_line("2026-12-08T00:00:00.250000000Z", 20),
            vegeta_line("2026-12-08T00:00:01.000000000Z", 30, code=0),
        ]
    )
    assert recorded.sent == [0.0, 0.75, 1.5]
    assert recorded.latencies == [10.0, 20.0, 30.0]
    assert recorded.codes == {"200": 2, "no answer": 1}
    assert abs(recorded.span - 1.53) < 1e-6


def test_parse_results_reads_vegeta_offsets_and_nanoseconds():
    recorded = parse_results(
        [
            vegeta_line("2026-12-07T10:00:00.000000001+02:00", 5),
            vegeta_line("2026-12-07T08:00:02.000000001Z", 5),
        ]
    )
    assert recorded.sent == [0.0, 2.0]


def test_window_p99s_splits_a_step_by_send_time():
    # 20 answers a second for 60 s: fast, except one slow second in the middle window.
    sent = [i / 20 for i in range(1200)]
    latencies = [200.0 if 30 <= s < 31 else 5.0 for s in sent]
    assert window_p99s(sent, latencies, width=20) == [5.0, 200.0, 5.0]


def test_a_send_on_a_window_boundary_belongs_to_the_later_window():
    sent = [0.0, 19.9, 20.0, 39.9]
    assert window_p99s(sent, [1.0, 1.0, 9.0, 9.0], width=20) == [1.0, 9.0]


def test_a_short_last_window_counts_from_three_quarters_of_a_window():
    # 40 s whole, then sends up to 14.9 s (left out) or 15.1 s (a window of its own).
    short = [i / 10 for i in range(550)]
    assert len(window_p99s(short, [1.0] * len(short), width=20)) == 2
    longer = [i / 10 for i in range(552)]
    assert len(window_p99s(longer, [1.0] * len(longer), width=20)) == 3


def test_window_p99s_leaves_out_a_window_no_request_was_sent_in():
    sent = [0.0, 5.0, 45.0, 50.0, 75.0]
    assert window_p99s(sent, [1.0, 2.0, 3.0, 4.0, 5.0], width=20) == [2.0, 4.0, 5.0]


def test_window_p99s_of_a_step_too_short_for_two_windows_is_empty():
    sent = [i / 10 for i in range(340)]  # 33.9 s: one window and 13.9 s
    assert window_p99s(sent, [1.0] * len(sent), width=20) == []
    assert window_p99s([], [], width=20) == []


def test_attack_args_paces_an_open_loop_by_rate():
    args = attack_args("vegeta", Path("t.jsonl"), rate=120.4, seconds=10, out=Path("o.bin"))
    assert "-rate=120/1s" in args and "-duration=10s" in args
    assert not any(a.startswith("-workers=") for a in args)


def test_attack_args_holds_a_fixed_number_of_clients_in_a_closed_loop():
    args = attack_args("vegeta", Path("t.jsonl"), clients=8, seconds=15, out=Path("o.bin"))
    # rate 0 is as fast as the clients go: each sends its next request when answered.
    assert "-rate=0" in args
    assert "-workers=8" in args and "-max-workers=8" in args
    assert not any(a.startswith("-rate=") and a != "-rate=0" for a in args)


def test_attack_args_needs_a_rate_or_clients_not_both_nor_zero():
    # vegeta reads -rate=0 as no limit: a rate that rounds to 0 must not get that far.
    for kwargs in ({}, {"rate": 10.0, "clients": 8}, {"rate": 0.4}, {"clients": 0}):
        try:
            attack_args("vegeta", Path("t"), seconds=1, out=Path("o"), **kwargs)
        except ValueError:
            continue
        raise AssertionError(f"accepted {kwargs}")
