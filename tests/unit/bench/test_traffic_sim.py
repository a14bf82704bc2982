"""The traffic simulator's parts: the profile's interpolation, the day curve, Serve's delays, the
replica start-up time, the queue limit (503s) and latency, on small hand-made inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.traffic_sim import Policy, Profile, day_curve, main, simulate

# one replica: 1 request/s alone, 4 at 8 concurrent, no more past 8
PROFILE = Profile(concurrency=[1, 8], requests_per_s=[1.0, 4.0])


def policy(**changes) -> Policy:
    base = dict(min_replicas=1, max_replicas=4, target_ongoing_requests=4, upscale_delay_s=10, downscale_delay_s=60,
                look_back_period_s=5, max_ongoing_requests=8, max_queued_requests=100)
    return Policy(**{**base, **changes})


def test_profile_interpolates_and_never_extrapolates_up():
    assert PROFILE.rate(0) == 0
    assert PROFILE.rate(0.5) == pytest.approx(0.5)
    assert PROFILE.rate(4.5) == pytest.approx(2.5)
    assert PROFILE.rate(64) == 4.0
    assert Profile.parse("1:0.5, 4:1.5").requests_per_s == [0.5, 1.5]
    with pytest.raises(ValueError):
        Profile(concurrency=[4, 1], requests_per_s=[1, 2])


def test_day_curve_runs_from_trough_to_peak():
    rates = day_curve(0.5, 50.0)
    assert len(rates) == 86_400
    assert min(rates) == pytest.approx(0.5, rel=1e-3)
    assert max(rates) == pytest.approx(50.0, rel=1e-3)
    assert rates.index(max(rates)) // 3600 == 10  # the morning peak


def test_a_light_load_keeps_one_replica_and_no_queue():
    hours = simulate([0.5] * 7200, PROFILE, policy(), startup_s=30)
    assert [h.replicas_max for h in hours] == [1, 1]
    assert all(h.rejected_share == 0 and h.queue_max == 0 for h in hours)
    assert hours[1].p95_latency_s == pytest.approx(1.0, rel=0.05)  # alone: 1 s per request


def test_a_step_scales_out_after_the_delay_and_the_start_up_time():
    rates = [0.5] * 600 + [9.0] * 3000
    early = simulate(rates[:600 + 5], PROFILE, policy(), startup_s=40)  # no hour closed: nothing reported yet
    assert early == []
    hours = simulate(rates + [9.0] * 3600, PROFILE, policy(), startup_s=40)
    assert hours[0].replicas_max == 4  # wanted: ongoing (8 per replica max) / target 4 rises past 3 replicas
    assert hours[1].replicas_mean == pytest.approx(hours[1].replicas_max, abs=0.01)
    assert hours[1].rejected_share == 0
    slow_start = simulate(rates + [9.0] * 3600, PROFILE, policy(), startup_s=600)
    assert slow_start[0].queue_mean > 5 * hours[0].queue_mean  # the longer start-up leaves a longer queue
    assert slow_start[0].rejected_share > hours[0].rejected_share
    assert slow_start[0].p95_latency_s > hours[0].p95_latency_s


def test_too_few_replicas_refuse_the_excess_with_503():
    hours = simulate([20.0] * 3600, PROFILE, policy(max_replicas=2), startup_s=10)
    served = 2 * PROFILE.rate(8)  # two replicas at their measured best
    assert hours[0].replicas_max == 2
    assert hours[0].rejected_share == pytest.approx(1 - served / 20.0, abs=0.02)
    bigger_queue = simulate([20.0] * 3600, PROFILE, policy(max_replicas=2, callers=3), startup_s=10)
    assert hours[0].queue_max == pytest.approx(100, abs=10)  # full, less what entered service this second
    assert bigger_queue[0].queue_max == pytest.approx(300, abs=10)  # max_queued_requests per caller


def test_scale_down_waits_for_its_delay():
    rates = [9.0] * 3600 + [0.2] * 3600
    quick = simulate(rates, PROFILE, policy(downscale_delay_s=30), startup_s=10)
    slow = simulate(rates, PROFILE, policy(downscale_delay_s=1200), startup_s=10)
    assert quick[1].replicas_mean < 1.1
    assert slow[1].replicas_mean > quick[1].replicas_mean + 0.5  # 4 replicas for the first 1,200 s
    assert slow[1].replicas_mean == pytest.approx((4 * 1200 + 2400) / 3600, abs=0.1)


def test_the_shipped_policy_is_read_from_serve_config(capsys):
    root = Path(__file__).resolve().parents[3]
    shipped = Policy.from_serve_config(root / "serve_config.yaml")
    assert shipped.max_replicas >= shipped.min_replicas >= 1
    assert shipped.max_ongoing_requests >= shipped.target_ongoing_requests
    main(["--config", str(root / "serve_config.yaml"), "--profile", "1:0.5,16:4", "--startup-s", "30",
          "--trough", "0.2", "--peak", "4", "--alternative", '{"max_replicas": 8}'])
    out = capsys.readouterr().out
    assert out.count("day: ") == 2 and "alternative {'max_replicas': 8}" in out
    assert len([line for line in out.splitlines() if line[:4].strip().isdigit()]) == 48


def test_past_the_batch_size_a_replica_does_no_more_work():
    wide = simulate([3.5] * 3600, PROFILE, policy(max_replicas=1), startup_s=10)
    narrow = simulate([3.5] * 3600, PROFILE, policy(max_replicas=1, max_batch_size=2), startup_s=10)
    assert wide[0].rejected_share == 0  # 8 rows: up to 4 requests/s
    assert narrow[0].rejected_share == pytest.approx(1 - PROFILE.rate(2) / 3.5, abs=0.03)  # 2 rows: ~1.43/s


def test_a_long_queue_past_the_deadline_is_counted_as_timed_out():
    patient = simulate([6.0] * 3600, PROFILE, policy(max_replicas=1, max_queued_requests=1000), startup_s=10)
    strict = simulate([6.0] * 3600, PROFILE, policy(max_replicas=1, max_queued_requests=1000, request_timeout_s=60),
                      startup_s=10)
    assert patient[0].timed_out_share == 0 and patient[0].p95_latency_s > 60
    assert strict[0].timed_out_share > 0.1 and strict[0].p95_latency_s == 60  # capped at the deadline
