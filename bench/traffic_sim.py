"""A day of traffic against an autoscaled LLMServer pool, simulated second by second, to size a cluster
past what one machine can run: replicas used, queueing, the 503 share and p95 latency per hour.

Inputs are measured, never built in: the replica's throughput by concurrency (`--profile`, requests
per second at 1, 4, 16, ... concurrent requests, from bench/capacity.py or bench/engine_clients.py)
and the replica start-up time (`--startup-s`: Serve's own `started successfully ... after N s`, or
bench/capacity.py). The policy is Ray
Serve's default autoscaler as serve_config.yaml configures it: the mean of ongoing requests (running
and queued) over `look_back_period_s`, divided by `target_ongoing_requests`, rounded up and clamped to
[min_replicas, max_replicas]; a change is made only once it has been wanted for `upscale_delay_s` or
`downscale_delay_s`; a new replica serves after the start-up time. A replica runs at most
`max_ongoing_requests` at once; beyond that requests wait, and past `max_queued_requests` waiting ones
a caller gets 503 at once. Past `max_batch_size` rows a replica does no more work, and a request whose
wait and service pass `request_timeout_s` counts as a 504.

The traffic is a fluid model (fractions of requests per second), which keeps a day at one-second steps
exact and fast; a request's latency is its wait in the queue (the queue ahead of it over the pool's
completion rate) plus its service time at the replica's concurrency (Little's law on the profile).

Run: python -m bench.traffic_sim --profile C:REQ_S,C:REQ_S,... --startup-s SECONDS --trough REQ_S \
       --peak REQ_S [--callers N] [--config serve_config.yaml] [--alternative '{"max_replicas": 8}']
(docs/capacity.md has the measured inputs and the command it ran.)
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
from collections import deque
from pathlib import Path

import yaml

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Policy(BaseModel):
    """The LLMServer's autoscaling and admission options, as named in serve_config.yaml; the defaults
    are Ray Serve's own where the config may leave an option out."""

    model_config = ConfigDict(extra="ignore")  # the config's other autoscaling keys do not change this model

    min_replicas: int = Field(1, ge=0)
    max_replicas: int = Field(ge=1)
    target_ongoing_requests: float = Field(2, gt=0)
    upscale_delay_s: float = Field(30, ge=0)
    downscale_delay_s: float = Field(600, ge=0)
    look_back_period_s: float = Field(30, gt=0)
    max_ongoing_requests: int = Field(5, ge=1)
    max_queued_requests: int = Field(ge=0)
    max_batch_size: int = Field(10**6, ge=1, description="The engine's rows per step (user_config); requests "
                                "past it wait inside the replica, so its throughput stops growing there.")
    request_timeout_s: float = Field(float("inf"), gt=0, description="The LLM's request deadline (user_config); "
                                     "a request whose wait and service pass it gets 504 instead of an answer.")
    callers: int = Field(1, ge=1, description="Callers (ingress replicas), each holding its own queue of "
                         "max_queued_requests, as Serve counts it per caller.")

    @classmethod
    def from_serve_config(cls, path: str | Path, deployment: str = "LLMServer") -> "Policy":
        """The shipped policy: ``deployment``'s options in a Serve config file."""
        config = yaml.safe_load(Path(path).read_text())
        for app in config["applications"]:
            for entry in app.get("deployments") or []:
                if entry["name"] == deployment:
                    runtime = {k: v for k, v in (entry.get("user_config") or {}).items()
                               if k in ("max_batch_size", "request_timeout_s")}
                    return cls.model_validate({**entry["autoscaling_config"], **{
                        k: entry[k] for k in ("max_ongoing_requests", "max_queued_requests") if k in entry},
                        **runtime})
        raise ValueError(f"{path} has no deployment {deployment}")


class Profile(BaseModel):
    """One replica's measured throughput: requests per second at each measured concurrency."""

    concurrency: list[float]
    requests_per_s: list[float]

    @model_validator(mode="after")
    def _sorted(self) -> "Profile":
        if len(self.concurrency) != len(self.requests_per_s) or not self.concurrency:
            raise ValueError("the profile needs one throughput per concurrency")
        if self.concurrency != sorted(self.concurrency) or min(self.requests_per_s) <= 0:
            raise ValueError("concurrency must rise and every throughput be positive")
        return self

    @classmethod
    def parse(cls, text: str) -> "Profile":
        """From `c:req_per_s,c:req_per_s,...`."""
        pairs = [tuple(float(x) for x in item.split(":")) for item in text.split(",") if item.strip()]
        return cls(concurrency=[c for c, _ in pairs], requests_per_s=[r for _, r in pairs])

    def rate(self, concurrency: float) -> float:
        """Completions per second of one replica running ``concurrency`` requests: linear between
        measured points, proportional below the first, flat past the last (never extrapolated up)."""
        cs, rs = self.concurrency, self.requests_per_s
        if concurrency <= 0:
            return 0.0
        if concurrency <= cs[0]:
            return rs[0] * concurrency / cs[0]
        if concurrency >= cs[-1]:
            return rs[-1]
        i = bisect.bisect_right(cs, concurrency)
        share = (concurrency - cs[i - 1]) / (cs[i] - cs[i - 1])
        return rs[i - 1] + share * (rs[i] - rs[i - 1])


def day_curve(trough: float, peak: float, seconds: int = 86_400) -> list[float]:
    """Arrivals per second over a working day: the trough at night, a morning and an afternoon peak
    (two smooth bumps at 10:00 and 15:00 local time) reaching ``peak``."""
    rates = []
    for t in range(seconds):
        hour = t / 3600
        bump = max(math.exp(-((hour - 10) / 1.6) ** 2), math.exp(-((hour - 15) / 1.8) ** 2))
        rates.append(trough + (peak - trough) * bump)
    return rates


class HourStats(BaseModel):
    hour: int
    arrivals_per_s: float
    replicas_mean: float
    replicas_max: int
    queue_mean: float
    queue_max: float
    rejected_share: float
    timed_out_share: float
    p95_latency_s: float


def _weighted_p95(samples: list[tuple[float, float]]) -> float:
    """The 95th percentile of latencies weighted by how many requests saw each."""
    total = sum(w for _, w in samples)
    if total <= 0:
        return 0.0
    seen = 0.0
    for latency, weight in sorted(samples):
        seen += weight
        if seen >= 0.95 * total:
            return latency
    return samples[-1][0]


def simulate(rates: list[float], profile: Profile, policy: Policy, startup_s: float) -> list[HourStats]:
    """One-second steps over ``rates`` (arrivals per second); statistics per hour."""
    ready = max(policy.min_replicas, 1)  # serving replicas; the pool starts warm at min_replicas
    starting: deque[float] = deque()  # the times starting replicas become ready
    target = ready
    running = queued = 0.0
    window: deque[float] = deque()
    wanted_since: float | None = None
    hours: list[HourStats] = []
    acc = _Hour()
    for t, arriving in enumerate(rates):
        while starting and starting[0] <= t:
            starting.popleft()
            ready += 1
        # completions at the replicas' current concurrency
        per_replica = min(running / ready, policy.max_batch_size) if ready else 0.0
        done = min(running, ready * profile.rate(per_replica))
        running -= done
        # arrivals join the queue, past its limit they are refused; the queue fills free slots in order
        room = max(0.0, policy.max_queued_requests * policy.callers - queued)
        admitted = min(arriving, room)
        rejected = arriving - admitted
        queued += admitted
        moved = min(queued, max(0.0, ready * policy.max_ongoing_requests - running))
        queued -= moved
        running += moved
        # a request arriving now waits for the queue ahead of it, then is served at this concurrency
        concurrency = max(running / ready if ready else 0.0, 1.0)
        rate = profile.rate(min(concurrency, policy.max_batch_size))  # one replica's completions per second
        wait = queued / (ready * rate) if ready else float("inf")
        service = concurrency / rate  # Little's law: waiting for a row inside the replica included
        late = admitted if wait + service > policy.request_timeout_s else 0.0
        acc.add(arriving, rejected, late, ready + len(starting), queued, (min(wait + service, policy.request_timeout_s),
                                                                        admitted))
        # the autoscaler: mean ongoing over the look-back window, decisions after their delay
        window.append(running + queued)
        while len(window) > policy.look_back_period_s:
            window.popleft()
        desired = math.ceil(sum(window) / len(window) / policy.target_ongoing_requests)
        desired = min(policy.max_replicas, max(policy.min_replicas, desired))
        target, wanted_since = _decide(t, desired, target, wanted_since, policy, starting, startup_s)
        while ready + len(starting) > target:  # scale down: idle starting replicas first, then serving
            if starting:
                starting.pop()
            else:
                ready -= 1
        if (t + 1) % 3600 == 0:
            hours.append(acc.close(len(hours)))
            acc = _Hour()
    return hours


def _decide(t: float, desired: int, target: int, since: float | None, policy: Policy,
            starting: deque[float], startup_s: float) -> tuple[int, float | None]:
    """Serve's delays: a new target only after it has been wanted for the whole delay."""
    if desired == target:
        return target, None
    since = t if since is None else since
    delay = policy.upscale_delay_s if desired > target else policy.downscale_delay_s
    if t - since < delay:
        return target, since
    for _ in range(desired - target):
        starting.append(t + startup_s)
    return desired, None


class _Hour:
    """Running sums of one hour."""

    def __init__(self) -> None:
        self.arrivals = self.rejected = self.late = self.replicas = self.queue = self.queue_max = 0.0
        self.replicas_max, self.steps = 0, 0
        self.latencies: list[tuple[float, float]] = []

    def add(self, arriving: float, rejected: float, late: float, replicas: int, queue: float,
            latency: tuple[float, float]) -> None:
        self.arrivals += arriving
        self.rejected += rejected
        self.late += late
        self.replicas += replicas
        self.replicas_max = max(self.replicas_max, replicas)
        self.queue += queue
        self.queue_max = max(self.queue_max, queue)
        self.steps += 1
        self.latencies.append(latency)

    def close(self, hour: int) -> HourStats:
        return HourStats(hour=hour, arrivals_per_s=self.arrivals / self.steps, replicas_mean=self.replicas / self.steps,
                         replicas_max=self.replicas_max, queue_mean=self.queue / self.steps, queue_max=self.queue_max,
                         rejected_share=self.rejected / self.arrivals if self.arrivals else 0.0,
                         timed_out_share=self.late / self.arrivals if self.arrivals else 0.0,
                         p95_latency_s=_weighted_p95(self.latencies))


def report(name: str, hours: list[HourStats]) -> str:
    """A table per hour and the day's totals."""
    lines = [f"== {name}", f"{'hour':>4s} {'req/s':>7s} {'replicas':>9s} {'max':>4s} {'queue':>7s} {'q max':>7s}"
             f" {'503 %':>6s} {'504 %':>6s} {'p95 s':>7s}"]
    for h in hours:
        lines.append(f"{h.hour:4d} {h.arrivals_per_s:7.2f} {h.replicas_mean:9.2f} {h.replicas_max:4d} "
                     f"{h.queue_mean:7.1f} {h.queue_max:7.1f} {100 * h.rejected_share:6.2f} {100 * h.timed_out_share:6.2f} "
                     f"{h.p95_latency_s:7.1f}")
    arrivals = sum(h.arrivals_per_s for h in hours) * 3600
    rejected = sum(h.arrivals_per_s * h.rejected_share for h in hours) * 3600
    late = sum(h.arrivals_per_s * h.timed_out_share for h in hours) * 3600
    replica_hours = sum(h.replicas_mean for h in hours)
    lines.append(f"day: {arrivals:,.0f} requests, {100 * rejected / arrivals if arrivals else 0:.2f}% refused (503), "
                 f"{100 * late / arrivals if arrivals else 0:.2f}% timed out (504), {replica_hours:.1f} replica-hours, worst hourly p95 {max(h.p95_latency_s for h in hours):.1f} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", required=True, help="measured c:requests_per_s pairs of one replica")
    parser.add_argument("--startup-s", type=float, required=True, help="measured replica start-up time")
    parser.add_argument("--trough", type=float, required=True, help="arrivals per second at night")
    parser.add_argument("--peak", type=float, required=True, help="arrivals per second at the busiest minute")
    parser.add_argument("--config", default="serve_config.yaml", help="the Serve config holding the shipped policy")
    parser.add_argument("--callers", type=int, default=1, help="ingress replicas, each with its own queue")
    parser.add_argument("--alternative", default=None, help="JSON over the shipped policy: a second run")
    args = parser.parse_args(argv)
    profile = Profile.parse(args.profile)
    rates = day_curve(args.trough, args.peak)
    print(f"profile {args.profile} req/s; start-up {args.startup_s:g} s; trough {args.trough:g} req/s, peak "
          f"{args.peak:g} req/s ({args.peak / args.trough:.0f}x)")
    shipped = Policy.from_serve_config(args.config).model_copy(update={"callers": args.callers})
    print(report(f"shipped {shipped.model_dump()}", simulate(rates, profile, shipped, args.startup_s)))
    if args.alternative:
        other = Policy.model_validate({**shipped.model_dump(), **json.loads(args.alternative)})
        print(report(f"alternative {json.loads(args.alternative)}", simulate(rates, profile, other, args.startup_s)))


if __name__ == "__main__":
    main()
